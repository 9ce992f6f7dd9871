// Redemption codes: the admin creates them in bulk (each worth an amount, single use, shown once: only
// their hash is stored), a tenant redeems one for its own prepaid account with POST /v1/credits/redeem.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Ledger } from '../accounting/ledger.js';
import { MAX_AMOUNT_USD, microsToUsd, usdToMicros } from '../accounting/pricing.js';
import type { Wallet } from '../accounting/wallet/wallet.js';
import { randomBase62 } from '../auth/key-format.js';
import { gatewayError, invalidRequest, notFound } from '../core/errors.js';
import { DEFAULT_ACCOUNT_ID } from '../store/schema.js';
import type { RedemptionCodeRow, Store } from '../store/store.js';
import { accountObject, creditObject } from './admin-accounts.js';
import { parseBody } from './body.js';

/** At most this many codes per call. */
export const MAX_CODES_PER_BATCH = 1000;

const createSchema = z.strictObject({
  count: z.number().int().min(1).max(MAX_CODES_PER_BATCH),
  amount_usd: z.number().positive().max(MAX_AMOUNT_USD),
  expires_at: z.iso.datetime({ offset: true }).optional(),
  note: z.string().max(500).optional(),
});
const redeemSchema = z.strictObject({ code: z.string().min(1).max(200) });

const hashCode = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');

export const codeObject = (row: RedemptionCodeRow) => ({
  id: row.id,
  object: 'redemption_code',
  amount_usd: microsToUsd(row.amount_micros),
  note: row.note,
  created_at: new Date(row.created_at).toISOString(),
  expires_at: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
  redeemed_at: row.redeemed_at === null ? null : new Date(row.redeemed_at).toISOString(),
  account_id: row.account_id,
});

/** Creates `count` codes (also used by `tokgate codes create`); the codes are in the answer only. */
export async function createCodes(store: Store, input: unknown) {
  const body = parseBody(createSchema, input);
  const now = Date.now();
  const expiresAt = body.expires_at === undefined ? null : Date.parse(body.expires_at);
  const made = Array.from({ length: body.count }, () => {
    const code = `tgc-${randomBase62(24)}`;
    const row: RedemptionCodeRow = {
      id: `rc_${randomBase62(16)}`,
      code_hash: hashCode(code),
      amount_micros: usdToMicros(body.amount_usd),
      note: body.note ?? null,
      created_at: now,
      expires_at: expiresAt,
      redeemed_at: null,
      account_id: null,
      credit_id: null,
    };
    return { code, row };
  });
  await store.insertRedemptionCodes(made.map((m) => m.row));
  return made.map(({ code, row }) => ({ ...codeObject(row), code }));
}

/** Redeems `input.code` for `accountId` (a prepaid account): exactly one of concurrent redemptions wins. */
export async function redeemCode(store: Store, accountId: string, input: unknown) {
  const { code } = parseBody(redeemSchema, input);
  const now = Date.now();
  const entry = {
    id: `cred_${randomUUID().replaceAll('-', '')}`,
    account_id: accountId,
    note: 'redemption code',
    created_at: now,
    idempotency_key: null,
  };
  const outcome = await store.redeemCode(hashCode(code.trim()), accountId, entry, now);
  switch (outcome) {
    case 'unknown':
      throw gatewayError('redemption_code_invalid', { message: 'No such redemption code.' });
    case 'expired':
      throw gatewayError('redemption_code_invalid', { message: 'This redemption code has expired.' });
    case 'used':
      throw gatewayError('redemption_code_used');
    case 'unmetered':
      throw gatewayError('account_unmetered', {
        message:
          'This account is unmetered (no prepaid balance), so a code cannot be redeemed for it. Ask the operator to make it prepaid.',
      });
    case 'no_account':
      throw notFound('This key no longer has an account.');
    default:
      return outcome;
  }
}

export function registerAdminCodeRoutes(app: FastifyInstance, store: Store): void {
  app.post('/admin/redemption-codes', async (request, reply) => {
    const data = await createCodes(store, request.body);
    return reply.code(201).send({ object: 'list', data });
  });
  app.get('/admin/redemption-codes', async () => ({
    object: 'list',
    data: (await store.listRedemptionCodes()).map(codeObject),
  }));
}

/** POST /v1/credits/redeem: a tenant key redeems a code for its own account. */
export function registerRedeemRoute(
  app: FastifyInstance,
  store: Store,
  ledger: Ledger,
  wallet: Wallet,
): void {
  app.post('/v1/credits/redeem', async (request) => {
    const principal = request.principal!;
    if (principal.kind === 'admin')
      throw invalidRequest(
        `The admin key's account (${DEFAULT_ACCOUNT_ID}) is not a tenant's: redeem a code with the tenant's own key.`,
      );
    const applied = await redeemCode(store, principal.key.accountId, request.body);
    wallet.invalidate(applied.account.id);
    await ledger.flush();
    const fresh = (await store.getAccount(applied.account.id)) ?? applied.account;
    return { ...accountObject(fresh), credit: creditObject(applied.entry) };
  });
}
