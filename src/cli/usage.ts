// The CLI's commands, their usage lines and help, its exit codes, and argument parsing that reports a
// mistake as a UsageError (one line, then the command's usage) instead of a stack trace.
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** The exit codes, documented in the README. 78 is EX_CONFIG of BSD's sysexits.h. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    /** The command whose usage is shown after the message. */
    readonly command: string,
  ) {
    super(message);
  }
}

interface CommandHelp {
  usage: string;
  summary: string;
  /** Further lines: options and what the command reads. */
  details?: string;
}

const PLAN_OPTIONS =
  '  --multiplier X    over list prices for every model the rules do not name (default 1)\n' +
  "  --rule GLOB=X     a multiplier for a glob or an exact id ('openai/*=0.9'); the most specific wins\n" +
  '  --price MODEL=IN,OUT[,CACHED[,WRITE[,WRITE_1H]]]  fixed token prices of one model, USD per million\n' +
  'Gateways on the same DATABASE_URL read plans again within a second, at once with REDIS_URL.';

/** Every command and subcommand, by its words (`keys create`). A group (`keys`) lists its subcommands. */
export const COMMANDS: Record<string, CommandHelp> = {
  serve: {
    usage: 'tokgate serve',
    summary: 'Run the gateway in the foreground',
    details:
      'Reads PORT, HOST, DATABASE_URL, TOKGATE_CONFIG (a YAML file, ./tokgate.yaml by default) and the\n' +
      'providers\u2019 keys from the environment. SIGTERM or SIGINT: finish in-flight requests, then exit 0.',
  },
  'config check': {
    usage: 'tokgate config check [--config PATH]',
    summary: 'Validate the configuration (environment and YAML) without starting',
    details:
      '  --config PATH   the YAML file to check (default: TOKGATE_CONFIG, else ./tokgate.yaml)\n' +
      'Exit 0 with a one-line summary, or the error on one line and exit 78.',
  },
  'keys create': {
    usage:
      "tokgate keys create --name NAME [--account ID] [--models 'openai/*,...'] [--budget USD] [--rpm N] [--tpm N] [--expires DATE]",
    summary: 'Issue a key (its secret is printed once)',
    details:
      '  --models   model globs the key may use (default: all)   --budget  USD the key may spend\n' +
      '  --rpm/--tpm  requests / tokens per minute   --expires  an ISO date or date-time, or unix seconds',
  },
  'keys list': { usage: 'tokgate keys list', summary: 'List keys (no secrets)' },
  'keys revoke': { usage: 'tokgate keys revoke ID', summary: 'Revoke a key' },
  'accounts create': {
    usage: 'tokgate accounts create --name NAME [--credits USD] [--metering prepaid|unmetered]',
    summary: 'Create an account (prepaid with --credits)',
  },
  'accounts update': {
    usage:
      'tokgate accounts update ID [--name NAME] [--metering prepaid|unmetered] [--low-balance USD|none] [--plan PLAN|none]',
    summary:
      'Rename an account, switch its metering, set the balance below which a webhook fires, or its price plan',
    details: '  --plan  a price plan (id or name) its requests are charged by; none: list prices',
  },
  'accounts topup': {
    usage: 'tokgate accounts topup ID --amount USD [--note TEXT] [--idempotency-key KEY] [--expires DATE]',
    summary: 'Add credit to a prepaid account (a ledger entry; a retry with the same key is applied once)',
  },
  'accounts statement': {
    usage: 'tokgate accounts statement ID [--from DATE] [--to DATE] [--format json|csv]',
    summary: 'Opening balance, credits, spend per day and model, closing balance',
  },
  'accounts show': {
    usage: 'tokgate accounts show [ID]',
    summary: 'One account with its top-ups, or all accounts',
  },
  'codes create': {
    usage: 'tokgate codes create --count N --amount USD [--expires DATE] [--note TEXT]',
    summary: 'Create single-use redemption codes (shown once)',
  },
  'codes list': {
    usage: 'tokgate codes list',
    summary: 'List redemption codes (no codes) and who redeemed them',
  },
  'plans create': {
    usage:
      'tokgate plans create --name NAME [--multiplier X] [--rule GLOB=X]... [--price MODEL=IN,OUT[,CACHED[,WRITE[,WRITE_1H]]]]... [--description TEXT]',
    summary: 'Create a price plan: a multiplier over list prices, per glob or model, or fixed prices',
    details: PLAN_OPTIONS,
  },
  'plans list': {
    usage: 'tokgate plans list',
    summary: 'List price plans and how many accounts are on each',
  },
  'plans show': { usage: 'tokgate plans show PLAN', summary: 'One price plan (by id or name), as JSON' },
  'plans update': {
    usage:
      'tokgate plans update PLAN [--name NAME] [--multiplier X] [--rule GLOB=X|none]... [--price MODEL=IN,OUT,...|none]... [--description TEXT]',
    summary: 'Change a price plan (the --rule and --price given replace all of its rules or prices)',
    details: PLAN_OPTIONS,
  },
  'plans delete': {
    usage: 'tokgate plans delete PLAN',
    summary: 'Delete a price plan no account is on',
  },
  usage: {
    usage:
      'tokgate usage [--key ID] [--account ID] [--model M] [--from DATE] [--to DATE] [--group-by model|key|day]',
    summary: 'Usage totals from the ledger',
  },
  'prices import': {
    usage: 'tokgate prices import FILE [--source TEXT]',
    summary: 'Record a price file as the new price version (LiteLLM\u2019s JSON or tokgate\u2019s)',
    details:
      '  --source TEXT   where the prices come from (default: each entry\u2019s, else the file\u2019s kind)\n' +
      'Prints what changes (as prices diff does), then the version. Gateways on the same DATABASE_URL apply it\n' +
      'within five seconds, at once with REDIS_URL. A malformed file is refused and nothing is recorded.',
  },
  'prices diff': {
    usage: 'tokgate prices diff FILE [--source TEXT] [--json]',
    summary: 'Show what importing a price file would change, model by model and field by field',
    details:
      '  +  added   ~  changed (old \u2192 new, USD)   -  removed (unpriced after)   --json  the admin API\u2019s shape',
  },
  'prices versions': {
    usage: 'tokgate prices versions',
    summary: 'List the price versions, newest (the one applied) first',
  },
  'admin-key rotate': {
    usage: 'tokgate admin-key rotate',
    summary: 'Replace the admin key: the new one is printed once, the old one stops working',
    details:
      'Every gateway on the same DATABASE_URL reads the new key within a second, at once with REDIS_URL.\n' +
      'Not available while TOKGATE_ADMIN_KEY is set (the key then comes from the environment).',
  },
  help: { usage: 'tokgate help [COMMAND]', summary: 'Show help (also: tokgate COMMAND --help)' },
};

/** The subcommands of a group (`keys` → `keys create`, ...). */
const subcommands = (group: string) => Object.keys(COMMANDS).filter((name) => name.startsWith(`${group} `));

export const isGroup = (name: string) => subcommands(name).length > 0;

export function version(): string {
  // package.json sits two levels up from src/cli/ and from dist/cli/ alike.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const line = (help: CommandHelp) => {
  const first = help.usage.replace(/^tokgate /, '');
  return first.length > 54
    ? `  ${first}\n  ${' '.repeat(55)}${help.summary}`
    : `  ${first.padEnd(54)} ${help.summary}`;
};

/** Help for one command, a group, or (no name) everything. */
export function helpText(name?: string): string {
  if (name && COMMANDS[name]) {
    const help = COMMANDS[name];
    return `Usage: ${help.usage}\n\n${help.summary}.\n${help.details ? `\n${help.details}\n` : ''}`;
  }
  if (name && isGroup(name)) {
    return `Usage: tokgate ${name} <command>\n\nCommands:\n${subcommands(name)
      .map((sub) => line(COMMANDS[sub]!))
      .join('\n')}\n\nRun \`tokgate ${name} <command> --help\` for a command's options.\n`;
  }
  return `Usage: tokgate <command> [options]

Commands:
${Object.values(COMMANDS).map(line).join('\n')}

Options:
  --help, -h     Show help (of a command: tokgate keys create --help)
  --version, -v  Show the version

Admin commands work on the database in DATABASE_URL, the same one the server uses.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 78 configuration error.
`;
}

/** The usage line(s) shown after an error. */
export function usageOf(name: string): string {
  if (COMMANDS[name]) return `Usage: ${COMMANDS[name].usage}`;
  if (isGroup(name))
    return `Usage: tokgate ${name} <${subcommands(name)
      .map((s) => s.split(' ')[1])
      .join('|')}>`;
  return 'Usage: tokgate <command> [options] (tokgate --help lists them)';
}

/** node:util's parseArgs, strict, with its errors turned into a UsageError of `command`. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
  positionals: { min: number; max: number } = { min: 0, max: 0 },
) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's message, without its advice on `--` (not this CLI's convention).
    const message = (error as Error).message.split('. To specify')[0]!.replace(/\.$/, '');
    throw new UsageError(message, command);
  }
  const count = parsed.positionals.length;
  if (count > positionals.max)
    throw new UsageError(`unexpected argument '${parsed.positionals[positionals.max]}'`, command);
  if (count < positionals.min) throw new UsageError('missing argument', command);
  return parsed;
}
