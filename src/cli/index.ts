#!/usr/bin/env node
// The `tokgate` command. Every failure is one line on stderr (a usage error adds the command's usage) and a
// documented exit code: 0 ok, 1 runtime failure, 2 usage error, 78 configuration error. Never a stack trace.
//
// Only the help and the argument checks load at start; the gateway, the configuration and the database
// drivers are imported by the command that needs them, so `--help` and `--version` answer at once.
import type { GatewayConfig } from '../config/config.js';
import { ConfigError } from '../core/config-error.js';
import {
  COMMANDS,
  EXIT,
  helpText,
  isGroup,
  parseCommandArgs,
  UsageError,
  usageOf,
  version,
} from './usage.js';

const SHUTDOWN_DEADLINE_MS = 30_000;

const loadConfig = async (env: NodeJS.ProcessEnv = process.env) =>
  (await import('../config/config.js')).loadConfig(env);

async function serve(args: string[]): Promise<void> {
  parseCommandArgs('serve', args, {});
  const config = await loadConfig();
  const { createGateway } = await import('../gateway.js');
  const gateway = await createGateway(config, { defaultMetrics: true });
  const { app, log } = gateway;
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await gateway.close().catch(() => undefined);
    const code = (error as { code?: string }).code;
    throw new Error(
      code === 'EADDRINUSE'
        ? `cannot listen on ${config.host}:${config.port}: the port is in use (set PORT to another)`
        : `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
    );
  }
  const providers =
    config.providers.map((p) => p.id).join(', ') || 'none (set OPENAI_API_KEY or another provider key)';
  log.info(
    { port: config.port, host: config.host, database: config.databaseUrl.split(':')[0] },
    'tokgate listening',
  );
  log.info(`providers enabled: ${providers}`);

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const deadline = setTimeout(() => {
      log.error('shutdown deadline passed; exiting with requests still open');
      process.exit(EXIT.failure);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    gateway.close().then(
      () => process.exit(EXIT.ok),
      (error: unknown) => {
        log.error({ err: error }, 'error while shutting down');
        process.exit(EXIT.failure);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** `config check`: the configuration as `serve` would read it, built but not started. */
async function configCheck(args: string[]): Promise<void> {
  const { values } = parseCommandArgs('config check', args, { config: { type: 'string' } });
  const env = values.config === undefined ? process.env : { ...process.env, TOKGATE_CONFIG: values.config };
  const file = env.TOKGATE_CONFIG ?? './tokgate.yaml';
  const config = await loadConfig(env);
  await (await import('../gateway.js')).checkConfig(config);
  process.stdout.write(`tokgate: configuration OK: ${summary(config, file)}\n`);
}

function summary(config: GatewayConfig, file: string): string {
  const providers = config.providers.map((p) => p.id).join(', ') || 'none';
  const routes = Object.keys(config.routing.routes).length;
  return [
    `listens on ${config.host}:${config.port}`,
    `database ${config.databaseUrl.split(':')[0]}`,
    `redis ${config.redisUrl ? 'on' : 'off'}`,
    `providers: ${providers}`,
    `${routes} route${routes === 1 ? '' : 's'}`,
    `admin key ${config.adminKey ? 'from TOKGATE_ADMIN_KEY' : 'stored in the database'}`,
    `file ${file === '' ? 'none' : file}`,
  ].join('; ');
}

/** The longest run of leading words that names a command or group (`keys create`, `keys`, `serve`). */
function commandOf(argv: string[]): { name: string; rest: string[] } {
  const two = argv.slice(0, 2).join(' ');
  if (argv.length >= 2 && COMMANDS[two]) return { name: two, rest: argv.slice(2) };
  return { name: argv[0] ?? '', rest: argv.slice(1) };
}

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

async function main(argv: string[]): Promise<void> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h') {
    process.stdout.write(helpText());
    return;
  }
  if (first === '--version' || first === '-v') {
    if (argv.length > 1) throw new UsageError(`unexpected argument '${argv[1]}'`, '');
    process.stdout.write(`${version()}\n`);
    return;
  }
  const { name, rest } = commandOf(argv);
  if (name === 'help') {
    const topic = wantsHelp(rest) ? 'help' : rest.join(' ');
    if (topic && !COMMANDS[topic] && !isGroup(topic)) throw new UsageError(`unknown command '${topic}'`, '');
    process.stdout.write(helpText(topic || undefined));
    return;
  }
  if (wantsHelp(rest) && (COMMANDS[name] || isGroup(name))) {
    process.stdout.write(helpText(name));
    return;
  }
  if (name === 'serve') return serve(rest);
  if (name === 'config check') return configCheck(rest);
  if (COMMANDS[name]) {
    // The rest are the admin commands, on the configured database.
    const { runAdminCommand } = await import('./admin-commands.js');
    return runAdminCommand(await loadConfig(), name, rest);
  }
  if (isGroup(name)) {
    throw new UsageError(
      rest[0] === undefined ? `'${name}' needs a command` : `unknown ${name} command '${rest[0]}'`,
      name,
    );
  }
  throw new UsageError(`unknown command '${name}'`, '');
}

/** One line (and a usage line for usage errors) on stderr, and the exit code; never a stack trace. */
function fail(error: unknown): never {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  if (error instanceof UsageError) {
    const prefix = error.command ? `tokgate ${error.command}` : 'tokgate';
    process.stderr.write(`${prefix}: ${message}\n${usageOf(error.command)}\n`);
    process.exit(EXIT.usage);
  }
  process.stderr.write(`tokgate: ${message}\n`);
  process.exit(error instanceof ConfigError ? EXIT.config : EXIT.failure);
}

main(process.argv.slice(2)).catch(fail);
