// /admin/keys: issue, list, read, update and revoke API keys. The secret is returned once, at creation.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Ledger } from '../accounting/ledger.js';
import { MAX_AMOUNT_USD, microsToUsd, usdToMicros } from '../accounting/pricing.js';
import type { Wallet } from '../accounting/wallet/wallet.js';
import type { Authenticator } from '../auth/authenticator.js';
import { generateKey, hashKey, keyPreview } from '../auth/key-format.js';
import { invalidRequest, notFound } from '../core/errors.js';
import { DEFAULT_ACCOUNT_ID } from '../store/schema.js';
import type { KeyPatch, KeyRow, Store } from '../store/store.js';
import { parseBody } from './body.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function keyObject(row: KeyRow) {
  return {
    id: row.id,
    object: 'api_key',
    name: row.name,
    account_id: row.account_id,
    preview: keyPreview(row.id),
    models: row.models ? (JSON.parse(row.models) as string[]) : null,
    budget_usd: row.budget_micros === null ? null : microsToUsd(row.budget_micros),
    rpm: row.rpm,
    tpm: row.tpm,
    expires_at: iso(row.expires_at),
    created_at: iso(row.created_at),
    revoked_at: iso(row.revoked_at),
    spend_usd: microsToUsd(row.spend_micros),
  };
}

const limits = {
  models: z.array(z.string().min(1)).min(1).nullable().optional(),
  budget_usd: z.number().nonnegative().max(MAX_AMOUNT_USD).nullable().optional(),
  rpm: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  tpm: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
};
const createSchema = z.strictObject({
  name: z.string().min(1).max(200),
  account_id: z.string().min(1).optional(),
  ...limits,
});
const patchSchema = z.strictObject({ name: z.string().min(1).max(200).optional(), ...limits });

function toPatch(body: z.infer<typeof patchSchema>): KeyPatch {
  const patch: KeyPatch = {};
  if (body.name !== undefined) patch.name = body.name;
  if (body.models !== undefined) patch.models = body.models === null ? null : JSON.stringify(body.models);
  if (body.budget_usd !== undefined)
    patch.budget_micros = body.budget_usd === null ? null : usdToMicros(body.budget_usd);
  if (body.rpm !== undefined) patch.rpm = body.rpm;
  if (body.tpm !== undefined) patch.tpm = body.tpm;
  if (body.expires_at !== undefined)
    patch.expires_at = body.expires_at === null ? null : Date.parse(body.expires_at);
  return patch;
}

/** Issues a key from an admin-API body (also used by `tokgate keys create`). The secret is returned once. */
export async function createKey(store: Store, input: unknown): Promise<{ row: KeyRow; key: string }> {
  const body = parseBody(createSchema, input);
  const accountId = body.account_id ?? DEFAULT_ACCOUNT_ID;
  if (!(await store.accountExists(accountId))) {
    throw invalidRequest(`No account with id '${accountId}'.`, 'account_id', 'account_not_found');
  }
  const { id, key } = generateKey();
  const row = await store.insertKey({
    id,
    account_id: accountId,
    key_hash: hashKey(key),
    models: null,
    budget_micros: null,
    rpm: null,
    tpm: null,
    expires_at: null,
    created_at: Date.now(),
    revoked_at: null,
    ...toPatch(body),
    name: body.name,
  });
  return { row, key };
}

export function registerAdminKeyRoutes(
  app: FastifyInstance,
  store: Store,
  auth: Authenticator,
  ledger: Ledger,
  wallet: Wallet,
): void {
  app.post('/admin/keys', async (request, reply) => {
    const { row, key } = await createKey(store, request.body);
    return reply.code(201).send({ ...keyObject(row), key });
  });

  app.get('/admin/keys', async () => {
    await ledger.flush();
    return { object: 'list', data: (await store.listKeys()).map(keyObject) };
  });

  app.get<{ Params: { id: string } }>('/admin/keys/:id', async (request) => {
    await ledger.flush();
    const row = await store.getKey(request.params.id);
    if (!row) throw notFound(`No API key with id '${request.params.id}'.`);
    return keyObject(row);
  });

  app.patch<{ Params: { id: string } }>('/admin/keys/:id', async (request) => {
    const patch = toPatch(parseBody(patchSchema, request.body));
    const row = await store.updateKey(request.params.id, patch);
    if (!row) throw notFound(`No API key with id '${request.params.id}'.`);
    auth.invalidate(row.id);
    wallet.invalidate(undefined, row.id);
    return keyObject(row);
  });

  app.delete<{ Params: { id: string } }>('/admin/keys/:id', async (request) => {
    const { id } = request.params;
    if (!(await store.revokeKey(id, Date.now()))) throw notFound(`No API key with id '${id}'.`);
    auth.invalidate(id);
    return keyObject((await store.getKey(id))!);
  });
}
