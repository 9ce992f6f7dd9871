import type { GatewayConfig } from './config.js';

const SECRET_OPTION = /key|secret|token|password/i;

/** Every credential the configuration holds: provider keys, their auth headers and options, the admin key. */
export function configSecrets(config: GatewayConfig): string[] {
  const secrets: string[] = [];
  if (config.adminKey) secrets.push(config.adminKey);
  if (config.metricsToken) secrets.push(config.metricsToken);
  if (config.images.s3) secrets.push(config.images.s3.secretAccessKey);
  if (config.webhook.secret) secrets.push(config.webhook.secret);
  for (const provider of config.providers) {
    if (provider.apiKey) secrets.push(provider.apiKey);
    // Custom headers carry auth for self-hosted servers; treat every value as secret.
    secrets.push(...Object.values(provider.headers));
    for (const [name, value] of Object.entries(provider.options))
      if (SECRET_OPTION.test(name)) secrets.push(value);
  }
  return secrets;
}
