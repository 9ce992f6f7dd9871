// /admin/accounts: accounts hold money; a top-up is a credit ledger entry.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Ledger } from '../accounting/ledger.js';
import type { PlanBook } from '../accounting/plans.js';
import { MAX_AMOUNT_USD, microsToUsd, usdToMicros } from '../accounting/pricing.js';
import type { Wallet } from '../accounting/wallet/wallet.js';
import { randomBase62 } from '../auth/key-format.js';
import { gatewayError, invalidRequest, notFound } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { IdempotencyStore } from '../router/idempotency.js';
import type { AccountRow, CreditApplied, CreditEntryRow, Store } from '../store/store.js';
import { findPlan } from './admin-plans.js';
import { parseBody } from './body.js';
import { deliveryObject } from './low-balance.js';

export function accountObject(row: AccountRow) {
  return {
    id: row.id,
    object: 'account',
    name: row.name,
    metering: meteringOf(row),
    credits_usd: row.credits_micros === null ? null : microsToUsd(row.credits_micros),
    spend_usd: microsToUsd(row.spend_micros),
    balance_usd: row.credits_micros === null ? null : microsToUsd(row.credits_micros - row.spend_micros),
    low_balance_usd: row.low_balance_micros === null ? null : microsToUsd(row.low_balance_micros),
    /** The price plan its requests are charged by; null: list prices. */
    plan_id: row.plan_id,
    created_at: new Date(row.created_at).toISOString(),
  };
}

/** How an account's requests are paid: from prepaid credit (null credits = unmetered). */
export type Metering = 'prepaid' | 'unmetered';
export const meteringOf = (row: Pick<AccountRow, 'credits_micros'>): Metering =>
  row.credits_micros === null ? 'unmetered' : 'prepaid';

export const creditObject = (row: CreditEntryRow) => ({
  id: row.id,
  object: 'credit',
  account_id: row.account_id,
  amount_usd: microsToUsd(row.amount_micros),
  note: row.note,
  created_at: new Date(row.created_at).toISOString(),
  expires_at: row.expires_at == null ? null : new Date(row.expires_at).toISOString(),
  expired_at: row.expired_at == null ? null : new Date(row.expired_at).toISOString(),
});

const meteringSchema = z.enum(['prepaid', 'unmetered']);
const createSchema = z.strictObject({
  name: z.string().min(1).max(200),
  /** Default: prepaid when `credits_usd` is given, unmetered otherwise. */
  metering: meteringSchema.optional(),
  credits_usd: z.number().nonnegative().max(MAX_AMOUNT_USD).nullable().optional(),
});
const patchSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    metering: meteringSchema.optional(),
    /** A webhook fires when the balance falls below this; null clears it. */
    low_balance_usd: z.number().nonnegative().max(MAX_AMOUNT_USD).nullable().optional(),
    /** The price plan (id or name) its requests are charged by; null: list prices. */
    plan_id: z.string().min(1).max(128).nullable().optional(),
  })
  .refine(
    (body) =>
      body.name !== undefined ||
      body.metering !== undefined ||
      body.low_balance_usd !== undefined ||
      body.plan_id !== undefined,
    'give name, metering, low_balance_usd or plan_id',
  );
const creditSchema = z.strictObject({
  amount_usd: z
    .number()
    .refine((v) => v !== 0, 'must not be 0')
    .refine((v) => Math.abs(v) <= MAX_AMOUNT_USD, `must be at most ${MAX_AMOUNT_USD} in size`),
  note: z.string().max(500).optional(),
  /** A grant that expires: its unspent rest is withdrawn then. */
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

type Params = { Params: { id: string } };

const newCreditId = () => `cred_${randomUUID().replaceAll('-', '')}`;

/** Creates an account from an admin-API body (also used by `tokgate accounts create`). */
export async function createAccount(store: Store, input: unknown): Promise<AccountRow> {
  const body = parseBody(createSchema, input);
  const credits = body.credits_usd ?? undefined;
  const metering = body.metering ?? (credits === undefined ? 'unmetered' : 'prepaid');
  if (metering === 'unmetered' && credits !== undefined)
    throw invalidRequest(
      'An unmetered account has no credits: leave out credits_usd, or make it prepaid.',
      'credits_usd',
    );
  const id = `acct_${randomBase62(16)}`;
  const now = Date.now();
  const row = await store.insertAccount({
    id,
    name: body.name,
    credits_micros: metering === 'prepaid' ? 0 : null,
    created_at: now,
  });
  if (credits === undefined) return row;
  // Opening credit is a ledger entry like any top-up (a prepaid account may start at $0).
  const entry = {
    id: newCreditId(),
    account_id: id,
    amount_micros: usdToMicros(credits),
    note: 'opening balance',
    created_at: now,
  };
  return (await store.addCredit(entry)) as AccountRow;
}

/** The refusal of a top-up of an unmetered account, naming it and how to switch it. */
const unmeteredTopUp = (id: string) =>
  gatewayError('account_unmetered', {
    message: `The account '${id}' is unmetered: a top-up would not limit its spend (and would silently make it prepaid). Switch it to prepaid first: PATCH /admin/accounts/${id} with {"metering": "prepaid"} (or \`tokgate accounts update ${id} --metering prepaid\`); its balance then starts at $0.`,
  });

/**
 * Tops a prepaid account up (or corrects it, with a negative amount) as a credit ledger entry. With an
 * `idempotencyKey`, a retry gets the first attempt's entry back (`replayed`) and adds nothing; the same key
 * with another amount or note is a 409.
 */
export async function addCredit(
  store: Store,
  accountId: string,
  input: unknown,
  idempotencyKey?: string,
): Promise<CreditApplied> {
  const body = parseBody(creditSchema, input);
  const entry: CreditEntryRow = {
    id: newCreditId(),
    account_id: accountId,
    amount_micros: usdToMicros(body.amount_usd),
    note: body.note ?? null,
    created_at: Date.now(),
    idempotency_key: idempotencyKey ?? null,
    expires_at: body.expires_at === undefined ? null : Date.parse(body.expires_at),
  };
  if (entry.expires_at !== null && entry.amount_micros < 0)
    throw invalidRequest('Only a grant (a positive amount) can expire.', 'expires_at');
  const applied = await store.addCreditOnce(entry);
  if (!applied) throw notFound(`No account with id '${accountId}'.`);
  if (applied === 'unmetered') throw unmeteredTopUp(accountId);
  if (
    applied.replayed &&
    (applied.entry.amount_micros !== entry.amount_micros ||
      applied.entry.note !== entry.note ||
      (applied.entry.expires_at ?? null) !== entry.expires_at)
  ) {
    throw gatewayError('idempotency_key_reused', {
      message:
        'This Idempotency-Key was already used for a top-up of another amount or note. Use a new key for a new top-up.',
    });
  }
  return applied;
}

/** Renames an account or switches its metering (also used by `tokgate accounts update`). */
export async function updateAccount(store: Store, id: string, input: unknown): Promise<AccountRow> {
  const body = parseBody(patchSchema, input);
  let row = await store.getAccount(id);
  if (!row) throw notFound(`No account with id '${id}'.`);
  // The plan first: an unknown plan refuses the whole change.
  const plan = typeof body.plan_id === 'string' ? await planNamed(store, body.plan_id) : body.plan_id;
  if (body.name !== undefined) row = await store.renameAccount(id, body.name);
  if (body.metering !== undefined && row) {
    row = await store.setMetering(id, body.metering, {
      id: newCreditId(),
      account_id: id,
      amount_micros: 0,
      note: 'switched to prepaid: the balance starts at $0 (this entry carries the spend while unmetered)',
      created_at: Date.now(),
    });
  }
  if (body.low_balance_usd !== undefined && row) {
    const micros = body.low_balance_usd === null ? null : usdToMicros(body.low_balance_usd);
    row = await store.setLowBalance(id, micros);
  }
  if (plan !== undefined && row) row = await store.setAccountPlan(id, plan === null ? null : plan.id);
  if (!row) throw notFound(`No account with id '${id}'.`);
  return row;
}

/** The plan an account is put on, by id or name; an unknown one is a 400 naming the parameter. */
async function planNamed(store: Store, idOrName: string) {
  try {
    return await findPlan(store, idOrName);
  } catch {
    throw invalidRequest(`No price plan '${idOrName}'. See GET /admin/plans.`, 'plan_id', 'invalid_value');
  }
}

export function registerAdminAccountRoutes(
  app: FastifyInstance,
  store: Store,
  ledger: Ledger,
  wallet: Wallet,
  plans?: PlanBook,
) {
  async function account(id: string): Promise<AccountRow> {
    await ledger.flush();
    const row = await store.getAccount(id);
    if (!row) throw notFound(`No account with id '${id}'.`);
    return row;
  }

  app.post('/admin/accounts', async (request, reply) => {
    return reply.code(201).send(accountObject(await createAccount(store, request.body)));
  });

  app.get('/admin/accounts', async () => {
    await ledger.flush();
    return { object: 'list', data: (await store.listAccounts()).map(accountObject) };
  });

  app.get<Params>('/admin/accounts/:id', async (request) => accountObject(await account(request.params.id)));

  app.patch<Params>('/admin/accounts/:id', async (request) => {
    await ledger.flush(); // a switch to prepaid carries the spend so far: every row of it written first
    const row = await updateAccount(store, request.params.id, request.body);
    wallet.invalidate(row.id);
    if (isObject(request.body) && 'plan_id' in request.body) await plans?.changed();
    return accountObject(row);
  });

  app.post<Params>('/admin/accounts/:id/credits', async (request, reply) => {
    const idempotencyKey = IdempotencyStore.parseKey(request.headers['idempotency-key']);
    const applied = await addCredit(store, request.params.id, request.body, idempotencyKey);
    const { account: row, entry } = applied;
    if (!applied.replayed) wallet.invalidate(row.id);
    await ledger.flush();
    const fresh = (await store.getAccount(row.id))!;
    if (applied.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(201).send({ ...accountObject(fresh), credit: creditObject(entry) });
  });

  app.get<{ Querystring: { account_id?: string } }>('/admin/webhook-deliveries', async (request) => ({
    object: 'list',
    data: (await store.listDeliveries(request.query.account_id)).map(deliveryObject),
  }));

  app.get<Params>('/admin/accounts/:id/credits', async (request) => {
    await account(request.params.id);
    return { object: 'list', data: (await store.listCredits(request.params.id)).map(creditObject) };
  });
}
