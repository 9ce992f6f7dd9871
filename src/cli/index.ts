#!/usr/bin/env node
// The `tokgate` command.
import { ConfigError, loadConfig } from '../config/config.js';
import { createGateway } from '../gateway.js';
import { ADMIN_HELP, runAdminCommand } from './admin-commands.js';

const HELP = `Usage: tokgate <command>

Commands:
  serve                                                  Run the gateway in the foreground (PORT, HOST,
                                                         DATABASE_URL, TOKGATE_CONFIG, provider keys from the env)
${ADMIN_HELP}  help                                                   Show this help

Admin commands work on the database in DATABASE_URL, the same one the server uses.
`;

const SHUTDOWN_DEADLINE_MS = 30_000;

async function serve(): Promise<void> {
  const config = loadConfig();
  const gateway = await createGateway(config, { defaultMetrics: true });
  const { app, log } = gateway;
  await app.listen({ port: config.port, host: config.host });
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
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const [command = 'help'] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'keys':
    case 'accounts':
    case 'codes':
    case 'usage':
      process.exitCode = await runAdminCommand(loadConfig(), command, argv.slice(1));
      return;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return;
    default:
      process.stderr.write(`Unknown command '${command}'.\n\n${HELP}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`tokgate: ${error.message}\n`);
  else
    process.stderr.write(
      `tokgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  process.exit(1);
});
