// `tokgate keys|accounts|usage`: the admin API's operations on the same database the server uses, for
// operators at a shell. Bodies go through the same parsing and the same functions as the HTTP routes.
import { parseArgs } from 'node:util';
import type { GatewayConfig } from '../config/config.js';
import { GatewayError, notFound } from '../core/errors.js';
import {
  accountObject,
  addCredit,
  createAccount,
  creditObject,
  updateAccount,
} from '../server/admin-accounts.js';
import { createKey, keyObject } from '../server/admin-keys.js';
import { parseGroupBy, parseWindow, usageObject } from '../server/query.js';
import { codeObject, createCodes } from '../server/redemption.js';
import { accountStatement, parseFormat, statementCsv } from '../server/statement.js';
import { Store } from '../store/store.js';

export const ADMIN_HELP = `  keys create --name NAME [--account ID] [--models 'openai/*,anthropic/*'] [--budget USD]
              [--rpm N] [--tpm N] [--expires ISO-DATE]     Issue a key (its secret is printed once)
  keys list                                              List keys (no secrets)
  keys revoke ID                                         Revoke a key
  accounts create --name NAME [--credits USD] [--metering prepaid|unmetered]
                                                         Create an account (prepaid with --credits)
  accounts update ID [--name NAME] [--metering prepaid|unmetered] [--low-balance USD|none]
                                                         Rename an account, switch its metering, or set
                                                         the balance below which a webhook fires
  accounts topup ID --amount USD [--note TEXT] [--idempotency-key KEY] [--expires ISO-DATE]
                                                         Add credit to a prepaid account (a ledger entry;
                                                         a retry with the same key is applied once)
  accounts statement ID [--from DATE] [--to DATE] [--format json|csv]
                                                         Opening balance, credits, spend per day and model,
                                                         closing balance
  accounts show [ID]                                     One account with its top-ups, or all accounts
  codes create --count N --amount USD [--expires ISO-DATE] [--note TEXT]
                                                         Create single-use redemption codes (shown once)
  codes list                                             List redemption codes (no codes) and who redeemed them
  usage [--key ID] [--account ID] [--model M] [--from DATE] [--to DATE] [--group-by model|key|day]
`;

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

function table(rows: Array<Record<string, unknown>>, columns: string[]): void {
  const cells = rows.map((row) =>
    columns.map((c) => (row[c] === null || row[c] === undefined ? '-' : String(row[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(columns), ...cells.map(line)].join('\n')}\n`);
}

const numberOption = (value: string | undefined) => (value === undefined ? undefined : Number(value));

async function keys(store: Store, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      account: { type: 'string' },
      models: { type: 'string' },
      budget: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      expires: { type: 'string' },
    },
  });
  if (action === 'create') {
    const body: Record<string, unknown> = { name: values.name };
    if (values.account) body.account_id = values.account;
    if (values.models) body.models = values.models.split(',').map((m) => m.trim());
    if (values.budget) body.budget_usd = numberOption(values.budget);
    if (values.rpm) body.rpm = numberOption(values.rpm);
    if (values.tpm) body.tpm = numberOption(values.tpm);
    if (values.expires) body.expires_at = new Date(values.expires).toISOString();
    const { row, key } = await createKey(store, body);
    print({ ...keyObject(row), key });
    process.stderr.write('The secret `key` is shown only now; only its hash is stored.\n');
  } else if (action === 'list') {
    table((await store.listKeys()).map(keyObject), [
      'id',
      'name',
      'account_id',
      'spend_usd',
      'budget_usd',
      'rpm',
      'tpm',
      'revoked_at',
    ]);
  } else if (action === 'revoke') {
    const id = positionals[0];
    if (!id || !(await store.revokeKey(id, Date.now()))) throw notFound(`No API key with id '${id ?? ''}'.`);
    print(keyObject((await store.getKey(id))!));
  } else throw usage(`Unknown keys command '${action ?? ''}'.`);
}

async function accounts(store: Store, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      credits: { type: 'string' },
      amount: { type: 'string' },
      note: { type: 'string' },
      metering: { type: 'string' },
      'idempotency-key': { type: 'string' },
      'low-balance': { type: 'string' },
      expires: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
    },
  });
  if (action === 'create') {
    const body: Record<string, unknown> = { name: values.name };
    if (values.credits !== undefined) body.credits_usd = numberOption(values.credits);
    if (values.metering !== undefined) body.metering = values.metering;
    print(accountObject(await createAccount(store, body)));
  } else if (action === 'update') {
    const body: Record<string, unknown> = {};
    if (values.name !== undefined) body.name = values.name;
    if (values.metering !== undefined) body.metering = values.metering;
    const low = values['low-balance'];
    if (low !== undefined) body.low_balance_usd = low === 'none' ? null : numberOption(low);
    print(accountObject(await updateAccount(store, positionals[0] ?? '', body)));
  } else if (action === 'topup') {
    const body: Record<string, unknown> = { amount_usd: numberOption(values.amount) };
    if (values.note) body.note = values.note;
    if (values.expires) {
      const expires = new Date(values.expires);
      body.expires_at = Number.isNaN(expires.getTime()) ? values.expires : expires.toISOString();
    }
    const { account, entry, replayed } = await addCredit(
      store,
      positionals[0] ?? '',
      body,
      values['idempotency-key'],
    );
    print({ ...accountObject(account), credit: creditObject(entry) });
    if (replayed) process.stderr.write('Already applied with this idempotency key: nothing added.\n');
  } else if (action === 'statement') {
    const format = parseFormat(values.format);
    const statement = await accountStatement(store, positionals[0] ?? '', {
      ...(values.from ? { from: values.from } : {}),
      ...(values.to ? { to: values.to } : {}),
    });
    if (format === 'csv') process.stdout.write(statementCsv(statement));
    else print(statement);
  } else if (action === 'show') {
    const id = positionals[0];
    if (!id) {
      table((await store.listAccounts()).map(accountObject), [
        'id',
        'name',
        'metering',
        'credits_usd',
        'spend_usd',
        'balance_usd',
      ]);
      return;
    }
    const account = await store.getAccount(id);
    if (!account) throw notFound(`No account with id '${id}'.`);
    print({ ...accountObject(account), credits: (await store.listCredits(id)).map(creditObject) });
  } else throw usage(`Unknown accounts command '${action ?? ''}'.`);
}

async function codes(store: Store, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      count: { type: 'string' },
      amount: { type: 'string' },
      expires: { type: 'string' },
      note: { type: 'string' },
    },
  });
  if (action === 'create') {
    const body: Record<string, unknown> = {
      count: numberOption(values.count ?? '1'),
      amount_usd: numberOption(values.amount),
    };
    if (values.expires) {
      const expires = new Date(values.expires);
      body.expires_at = Number.isNaN(expires.getTime()) ? values.expires : expires.toISOString();
    }
    if (values.note) body.note = values.note;
    print(await createCodes(store, body));
    process.stderr.write('The codes are shown only now; only their hashes are stored.\n');
  } else if (action === 'list') {
    table((await store.listRedemptionCodes()).map(codeObject), [
      'id',
      'amount_usd',
      'note',
      'expires_at',
      'redeemed_at',
      'account_id',
    ]);
  } else throw usage(`Unknown codes command '${action ?? ''}'.`);
}

async function usageReport(store: Store, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      key: { type: 'string' },
      account: { type: 'string' },
      model: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'group-by': { type: 'string' },
    },
  });
  const rows = await store.usage({
    ...parseWindow({
      ...(values.from ? { from: values.from } : {}),
      ...(values.to ? { to: values.to } : {}),
    }),
    groupBy: parseGroupBy(values['group-by']),
    ...(values.key ? { keyId: values.key } : {}),
    ...(values.account ? { accountId: values.account } : {}),
    ...(values.model ? { model: values.model } : {}),
  });
  table(rows.map(usageObject), [
    'group',
    'requests',
    'errors',
    'prompt_tokens',
    'completion_tokens',
    'cost_usd',
    'avg_latency_ms',
  ]);
}

class UsageError extends Error {}
const usage = (message: string) => new UsageError(message);

/** Runs an admin command; returns the process exit code. */
export async function runAdminCommand(
  config: GatewayConfig,
  command: string,
  args: string[],
): Promise<number> {
  const store = await Store.open(config.databaseUrl);
  try {
    if (command === 'keys') await keys(store, args);
    else if (command === 'accounts') await accounts(store, args);
    else if (command === 'codes') await codes(store, args);
    else await usageReport(store, args);
    return 0;
  } catch (error) {
    if (
      error instanceof GatewayError ||
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`tokgate: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await store.close();
  }
}
