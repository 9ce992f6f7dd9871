// `tokgate keys|accounts|codes|usage|prices`: the admin API's operations on the same database the server uses, for
// operators at a shell. Bodies go through the same parsing and the same functions as the HTTP routes.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { importPrices, loadNewestPrices, versionLabel } from '../accounting/price-versions.js';
import { Authenticator } from '../auth/authenticator.js';
import { ModelCatalog } from '../catalog/catalog.js';
import { diffText } from '../catalog/price-diff.js';
import type { GatewayConfig } from '../config/config.js';
import { ConfigError } from '../core/config-error.js';
import { GatewayError, invalidRequest, notFound } from '../core/errors.js';
import {
  accountObject,
  addCredit,
  createAccount,
  creditObject,
  updateAccount,
} from '../server/admin-accounts.js';
import { createKey, keyObject } from '../server/admin-keys.js';
import { createPlan, deletePlan, findPlan, planObject, updatePlan } from '../server/admin-plans.js';
import { diffObject, priceVersionObject } from '../server/admin-prices.js';
import { parseGroupBy, parseTime, parseWindow, usageObject } from '../server/query.js';
import { codeObject, createCodes } from '../server/redemption.js';
import { accountStatement, parseFormat, statementCsv } from '../server/statement.js';
import { type Invalidation, RedisHub } from '../store/redis.js';
import { Store } from '../store/store.js';
import { parseCommandArgs, UsageError } from './usage.js';

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

type Work = (store: Store) => Promise<void>;

function keysCreate(args: string[]): Work {
  const { values } = parseCommandArgs('keys create', args, {
    name: { type: 'string' },
    account: { type: 'string' },
    models: { type: 'string' },
    budget: { type: 'string' },
    rpm: { type: 'string' },
    tpm: { type: 'string' },
    expires: { type: 'string' },
  });
  const body: Record<string, unknown> = { name: values.name };
  if (values.account) body.account_id = values.account;
  if (values.models) body.models = values.models.split(',').map((m) => m.trim());
  if (values.budget) body.budget_usd = numberOption(values.budget);
  if (values.rpm) body.rpm = numberOption(values.rpm);
  if (values.tpm) body.tpm = numberOption(values.tpm);
  if (values.expires !== undefined) {
    const expires = parseTime(values.expires, 'expires');
    if (expires === undefined) throw new UsageError('--expires needs a date', 'keys create');
    body.expires_at = new Date(expires).toISOString();
  }
  return async (store) => {
    const { row, key } = await createKey(store, body);
    print({ ...keyObject(row), key });
    process.stderr.write('The secret `key` is shown only now; only its hash is stored.\n');
  };
}

function keysList(args: string[]): Work {
  parseCommandArgs('keys list', args, {});
  return async (store) =>
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
}

function keysRevoke(args: string[]): Work {
  const id = parseCommandArgs('keys revoke', args, {}, { min: 1, max: 1 }).positionals[0]!;
  return async (store) => {
    if (!(await store.revokeKey(id, Date.now()))) throw notFound(`No API key with id '${id}'.`);
    print(keyObject((await store.getKey(id))!));
  };
}

/** An `--expires` date as the API takes it (ISO), or a usage error of `command`. */
function expiresOption(value: string, command: string): string {
  const expires = parseTime(value, 'expires');
  if (expires === undefined) throw new UsageError('--expires needs a date', command);
  return new Date(expires).toISOString();
}

function accountsCreate(args: string[]): Work {
  const { values } = parseCommandArgs('accounts create', args, {
    name: { type: 'string' },
    credits: { type: 'string' },
    metering: { type: 'string' },
  });
  const body: Record<string, unknown> = { name: values.name };
  if (values.credits !== undefined) body.credits_usd = numberOption(values.credits);
  if (values.metering !== undefined) body.metering = values.metering;
  return async (store) => {
    print(accountObject(await createAccount(store, body)));
  };
}

function accountsUpdate(config: GatewayConfig, args: string[]): Work {
  const { values, positionals } = parseCommandArgs(
    'accounts update',
    args,
    {
      name: { type: 'string' },
      metering: { type: 'string' },
      'low-balance': { type: 'string' },
      plan: { type: 'string' },
    },
    { min: 1, max: 1 },
  );
  const body: Record<string, unknown> = {};
  if (values.name !== undefined) body.name = values.name;
  if (values.metering !== undefined) body.metering = values.metering;
  const low = values['low-balance'];
  if (low !== undefined) body.low_balance_usd = low === 'none' ? null : numberOption(low);
  if (values.plan !== undefined) body.plan_id = values.plan === 'none' ? null : values.plan;
  return async (store) => {
    print(accountObject(await updateAccount(store, positionals[0]!, body)));
    if (values.plan !== undefined)
      await tellFleet(config, { kind: 'plans' }, 'gateways read the change within a second');
  };
}

const PLAN_FLAGS = {
  name: { type: 'string' },
  description: { type: 'string' },
  multiplier: { type: 'string' },
  rule: { type: 'string', multiple: true },
  price: { type: 'string', multiple: true },
} as const;

/** `GLOB=X`s as the API's `multipliers` (`none`: no rules). */
function ruleOptions(rules: string[], command: string): Record<string, number> {
  if (rules.length === 1 && rules[0] === 'none') return {};
  const out: Record<string, number> = {};
  for (const rule of rules) {
    const at = rule.lastIndexOf('=');
    if (at <= 0) throw new UsageError(`--rule '${rule}': give GLOB=MULTIPLIER, as openai/*=0.9`, command);
    out[rule.slice(0, at)] = Number(rule.slice(at + 1));
  }
  return out;
}

const PRICE_FIELDS = ['input', 'output', 'cached_input', 'cache_write', 'cache_write_1h'] as const;

/** `MODEL=IN,OUT[,CACHED[,WRITE[,WRITE_1H]]]`s as the API's `prices` (`none`: no fixed prices). */
function priceOptions(prices: string[], command: string): Record<string, Record<string, number>> {
  if (prices.length === 1 && prices[0] === 'none') return {};
  const out: Record<string, Record<string, number>> = {};
  for (const price of prices) {
    const at = price.indexOf('=');
    const numbers = at > 0 ? price.slice(at + 1).split(',') : [];
    if (numbers.length < 2 || numbers.length > PRICE_FIELDS.length)
      throw new UsageError(
        `--price '${price}': give MODEL=INPUT,OUTPUT[,CACHED_INPUT[,CACHE_WRITE[,CACHE_WRITE_1H]]] in USD per million tokens`,
        command,
      );
    out[price.slice(0, at)] = Object.fromEntries(numbers.map((n, i) => [PRICE_FIELDS[i], Number(n)]));
  }
  return out;
}

/** A plan's body from the flags given (what is not given is left out). */
function planBody(
  values: { [K in keyof typeof PLAN_FLAGS]?: string | string[] | undefined },
  command: string,
) {
  const body: Record<string, unknown> = {};
  if (values.name !== undefined) body.name = values.name;
  if (values.description !== undefined) body.description = values.description;
  if (values.multiplier !== undefined) body.multiplier = numberOption(values.multiplier as string);
  if (values.rule !== undefined) body.multipliers = ruleOptions(values.rule as string[], command);
  if (values.price !== undefined) body.prices = priceOptions(values.price as string[], command);
  return body;
}

function plansCreate(config: GatewayConfig, args: string[]): Work {
  const { values } = parseCommandArgs('plans create', args, PLAN_FLAGS);
  const body = planBody(values, 'plans create');
  return async (store) => {
    print(planObject(await createPlan(store, body), 0));
    await tellFleet(config, { kind: 'plans' }, 'gateways read the change within a second');
  };
}

function plansUpdate(config: GatewayConfig, args: string[]): Work {
  const { values, positionals } = parseCommandArgs('plans update', args, PLAN_FLAGS, { min: 1, max: 1 });
  const body = planBody(values, 'plans update');
  return async (store) => {
    print(planObject(await updatePlan(store, positionals[0]!, body)));
    await tellFleet(config, { kind: 'plans' }, 'gateways read the change within a second');
  };
}

/** How many accounts are on each plan. */
async function planAccounts(store: Store): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { plan_id } of await store.listPlanAssignments())
    counts.set(plan_id, (counts.get(plan_id) ?? 0) + 1);
  return counts;
}

function plansList(args: string[]): Work {
  parseCommandArgs('plans list', args, {});
  return async (store) => {
    const counts = await planAccounts(store);
    table(
      (await store.listPlans()).map((row) => {
        const plan = planObject(row, counts.get(row.id) ?? 0);
        return {
          ...plan,
          rules: Object.entries(plan.multipliers)
            .map(([glob, x]) => `${glob}=${x}`)
            .join(' '),
          fixed_prices: Object.keys(plan.prices).join(' '),
        };
      }),
      ['id', 'name', 'multiplier', 'rules', 'fixed_prices', 'accounts'],
    );
  };
}

function plansShow(args: string[]): Work {
  const plan = parseCommandArgs('plans show', args, {}, { min: 1, max: 1 }).positionals[0]!;
  return async (store) => {
    const row = await findPlan(store, plan);
    print(planObject(row, (await planAccounts(store)).get(row.id) ?? 0));
  };
}

function plansDelete(config: GatewayConfig, args: string[]): Work {
  const plan = parseCommandArgs('plans delete', args, {}, { min: 1, max: 1 }).positionals[0]!;
  return async (store) => {
    const row = await deletePlan(store, plan);
    print({ id: row.id, object: 'plan', deleted: true });
    await tellFleet(config, { kind: 'plans' }, 'gateways read the change within a second');
  };
}

function accountsTopup(args: string[]): Work {
  const { values, positionals } = parseCommandArgs(
    'accounts topup',
    args,
    {
      amount: { type: 'string' },
      note: { type: 'string' },
      'idempotency-key': { type: 'string' },
      expires: { type: 'string' },
    },
    { min: 1, max: 1 },
  );
  const body: Record<string, unknown> = { amount_usd: numberOption(values.amount) };
  if (values.note) body.note = values.note;
  if (values.expires !== undefined) body.expires_at = expiresOption(values.expires, 'accounts topup');
  return async (store) => {
    const { account, entry, replayed } = await addCredit(
      store,
      positionals[0]!,
      body,
      values['idempotency-key'],
    );
    print({ ...accountObject(account), credit: creditObject(entry) });
    if (replayed) process.stderr.write('Already applied with this idempotency key: nothing added.\n');
  };
}

function accountsStatement(args: string[]): Work {
  const { values, positionals } = parseCommandArgs(
    'accounts statement',
    args,
    { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' } },
    { min: 1, max: 1 },
  );
  const format = parseFormat(values.format);
  return async (store) => {
    const statement = await accountStatement(store, positionals[0]!, {
      ...(values.from ? { from: values.from } : {}),
      ...(values.to ? { to: values.to } : {}),
    });
    if (format === 'csv') process.stdout.write(statementCsv(statement));
    else print(statement);
  };
}

function codesCreate(args: string[]): Work {
  const { values } = parseCommandArgs('codes create', args, {
    count: { type: 'string' },
    amount: { type: 'string' },
    expires: { type: 'string' },
    note: { type: 'string' },
  });
  const body: Record<string, unknown> = {
    count: numberOption(values.count ?? '1'),
    amount_usd: numberOption(values.amount),
  };
  if (values.expires !== undefined) body.expires_at = expiresOption(values.expires, 'codes create');
  if (values.note) body.note = values.note;
  return async (store) => {
    print(await createCodes(store, body));
    process.stderr.write('The codes are shown only now; only their hashes are stored.\n');
  };
}

function codesList(args: string[]): Work {
  parseCommandArgs('codes list', args, {});
  return async (store) =>
    table((await store.listRedemptionCodes()).map(codeObject), [
      'id',
      'amount_usd',
      'note',
      'expires_at',
      'redeemed_at',
      'account_id',
    ]);
}

function accountsShow(args: string[]): Work {
  const id = parseCommandArgs('accounts show', args, {}, { min: 0, max: 1 }).positionals[0];
  return async (store) => {
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
  };
}

function usageReport(args: string[]): Work {
  const { values } = parseCommandArgs('usage', args, {
    key: { type: 'string' },
    account: { type: 'string' },
    model: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'group-by': { type: 'string' },
  });
  const query = {
    ...parseWindow({
      ...(values.from ? { from: values.from } : {}),
      ...(values.to ? { to: values.to } : {}),
    }),
    groupBy: parseGroupBy(values['group-by']),
    ...(values.key ? { keyId: values.key } : {}),
    ...(values.account ? { accountId: values.account } : {}),
    ...(values.model ? { model: values.model } : {}),
  };
  return async (store) =>
    table((await store.usage(query)).map(usageObject), [
      'group',
      'requests',
      'errors',
      'prompt_tokens',
      'completion_tokens',
      'cost_usd',
      'avg_latency_ms',
    ]);
}

/**
 * `admin-key rotate`: a new admin key replaces the stored one. Gateways read it again within a second; with
 * REDIS_URL they are told at once. A key from TOKGATE_ADMIN_KEY cannot be rotated here.
 */
function adminKeyRotate(config: GatewayConfig, args: string[]): Work {
  parseCommandArgs('admin-key rotate', args, {});
  if (config.adminKey)
    throw new ConfigError(
      'TOKGATE_ADMIN_KEY: set, so the admin key comes from the environment and cannot be rotated here; change the variable and restart, or unset it and run admin-key rotate',
    );
  return async (store) => {
    const key = await Authenticator.rotateAdminKey(store);
    process.stdout.write(`${key}\n`);
    process.stderr.write(
      'The new admin key is shown only now; only its hash is stored. The old one no longer works.\n',
    );
    await tellFleet(config, { kind: 'admin' }, 'gateways read the new key within a second');
  };
}

/** Publishes an invalidation when REDIS_URL is set; if Redis cannot take it, says when gateways notice. */
async function tellFleet(config: GatewayConfig, event: Invalidation, otherwise: string): Promise<void> {
  if (!config.redisUrl) return;
  const redis = await RedisHub.connect(config.redisUrl, config.redisPrefix, silentLog);
  try {
    await redis.publishNow(event);
  } catch {
    process.stderr.write(`Redis could not be told: ${otherwise}.\n`);
  } finally {
    await redis.close();
  }
}

/** A price file's JSON; a file that is not JSON is refused like a malformed one. */
function readJsonFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`${path} is not JSON: ${(error as Error).message}`);
  }
}

/** The catalog as the gateways on this database price it now: the config's, under the newest version. */
async function currentCatalog(config: GatewayConfig, store: Store): Promise<ModelCatalog> {
  const catalog = ModelCatalog.fromConfig(config);
  await loadNewestPrices(store, catalog);
  return catalog;
}

function pricesImport(config: GatewayConfig, args: string[]): Work {
  const { values, positionals } = parseCommandArgs(
    'prices import',
    args,
    { source: { type: 'string' } },
    { min: 1, max: 1 },
  );
  return async (store) => {
    const body = readJsonFile(positionals[0]!);
    const catalog = await currentCatalog(config, store);
    const result = await importPrices(store, catalog, body, { source: values.source });
    const version = result.version!;
    process.stdout.write(diffText(result.diff, result.skipped));
    process.stdout.write(
      `recorded price version ${version.id} (${versionLabel(version)}): ${version.models} models, ${result.format} format\n`,
    );
    await tellFleet(config, { kind: 'prices' }, 'gateways read the new version within five seconds');
  };
}

function pricesDiff(config: GatewayConfig, args: string[]): Work {
  const { values, positionals } = parseCommandArgs(
    'prices diff',
    args,
    { source: { type: 'string' }, json: { type: 'boolean' } },
    { min: 1, max: 1 },
  );
  return async (store) => {
    const body = readJsonFile(positionals[0]!);
    const catalog = await currentCatalog(config, store);
    const result = await importPrices(store, catalog, body, { source: values.source, dryRun: true });
    if (values.json)
      print({
        format: result.format,
        models: result.models,
        skipped: result.skipped,
        ...diffObject(result.diff),
      });
    else process.stdout.write(diffText(result.diff, result.skipped));
  };
}

function pricesVersions(args: string[]): Work {
  parseCommandArgs('prices versions', args, {});
  return async (store) =>
    table((await store.listPriceVersions()).map(priceVersionObject), [
      'id',
      'version',
      'format',
      'models',
      'source',
      'created_at',
    ]);
}

/** A logger for the CLI's short-lived Redis connection: its reconnection chatter is not the user's business. */
const silentLog = pino({ level: 'silent' });

const COMMAND_WORK: Record<string, (config: GatewayConfig, args: string[]) => Work> = {
  'keys create': (_, args) => keysCreate(args),
  'keys list': (_, args) => keysList(args),
  'keys revoke': (_, args) => keysRevoke(args),
  'accounts create': (_, args) => accountsCreate(args),
  'accounts update': (config, args) => accountsUpdate(config, args),
  'accounts topup': (_, args) => accountsTopup(args),
  'accounts statement': (_, args) => accountsStatement(args),
  'accounts show': (_, args) => accountsShow(args),
  'codes create': (_, args) => codesCreate(args),
  'codes list': (_, args) => codesList(args),
  'plans create': plansCreate,
  'plans list': (_, args) => plansList(args),
  'plans show': (_, args) => plansShow(args),
  'plans update': plansUpdate,
  'plans delete': plansDelete,
  usage: (_, args) => usageReport(args),
  'admin-key rotate': adminKeyRotate,
  'prices import': pricesImport,
  'prices diff': pricesDiff,
  'prices versions': (_, args) => pricesVersions(args),
};

/**
 * Runs an admin command (`name` is its words, `keys create`) on the configured database. Arguments are
 * checked before the database is opened. A refused body or an unknown id is a UsageError of the command.
 */
export async function runAdminCommand(config: GatewayConfig, name: string, args: string[]): Promise<void> {
  const command = COMMAND_WORK[name];
  if (!command) throw new UsageError(`unknown command '${name}'`, '');
  let work: Work;
  try {
    work = command(config, args);
  } catch (error) {
    if (error instanceof GatewayError) throw new UsageError(error.message, name);
    throw error;
  }
  const store = await Store.open(config.databaseUrl);
  try {
    await work(store);
  } catch (error) {
    if (error instanceof GatewayError) throw new UsageError(error.message, name);
    throw error;
  } finally {
    await store.close();
  }
}
