// /admin/plans: price plans (accounting/plans.ts), created, read, changed and deleted; an account is put on
// one with PATCH /admin/accounts/{id} {"plan_id"}. The same functions serve `tokgate plans ...`.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PlanBook, PlanPriceSettings } from '../accounting/plans.js';
import { randomBase62 } from '../auth/key-format.js';
import { gatewayError, notFound } from '../core/errors.js';
import type { PricePlanRow } from '../store/schema.js';
import { isUniqueViolation, type Store } from '../store/store.js';
import { parseBody } from './body.js';

/** A multiplier over list prices: 0 (free) up to 1000 times. */
const multiplierSchema = z.number().nonnegative().max(1000);
/** `*`, a provider glob (`openai/*`, `anthropic/claude-*`) or an exact model id. */
const patternSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\s]+$/, 'a model id or glob has no spaces');
const modelIdSchema = z
  .string()
  .min(3)
  .max(256)
  .regex(/^[^\s*]+\/[^\s*]+$/, 'a fixed price is for an exact model id (`provider/model`), without `*`');
const usdPerMillion = z.number().nonnegative().max(1_000_000);
const priceSchema = z.strictObject({
  input: usdPerMillion,
  output: usdPerMillion,
  cached_input: usdPerMillion.optional(),
  cache_write: usdPerMillion.optional(),
  cache_write_1h: usdPerMillion.optional(),
});
const multipliersSchema = z.record(patternSchema, multiplierSchema);
const pricesSchema = z.record(modelIdSchema, priceSchema);
const nameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\s]/, 'must not start with a space');

const createSchema = z.strictObject({
  name: nameSchema,
  description: z.string().max(500).nullable().optional(),
  multiplier: multiplierSchema.optional(),
  multipliers: multipliersSchema.optional(),
  prices: pricesSchema.optional(),
});
const patchSchema = createSchema
  .partial()
  .refine(
    (body) => Object.keys(body).length > 0,
    'give name, description, multiplier, multipliers or prices',
  );

export function planObject(row: PricePlanRow, accounts?: number) {
  return {
    id: row.id,
    object: 'plan',
    name: row.name,
    description: row.description,
    multiplier: row.multiplier,
    multipliers: JSON.parse(row.multipliers) as Record<string, number>,
    prices: JSON.parse(row.prices) as Record<string, PlanPriceSettings>,
    ...(accounts === undefined ? {} : { accounts }),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

const nameTaken = (name: string) =>
  gatewayError('plan_name_taken', { message: `A price plan named '${name}' exists already.` });

/** A plan by id or by name (the CLI takes either). */
export async function findPlan(store: Store, idOrName: string): Promise<PricePlanRow> {
  const plan = (await store.getPlan(idOrName)) ?? (await store.listPlans()).find((p) => p.name === idOrName);
  if (!plan) throw notFound(`No price plan '${idOrName}'.`);
  return plan;
}

/** Creates a plan from an admin-API body (also `tokgate plans create`). */
export async function createPlan(store: Store, input: unknown): Promise<PricePlanRow> {
  const body = parseBody(createSchema, input);
  const now = Date.now();
  try {
    return await store.insertPlan({
      id: `plan_${randomBase62(16)}`,
      name: body.name,
      description: body.description ?? null,
      multiplier: body.multiplier ?? 1,
      multipliers: JSON.stringify(body.multipliers ?? {}),
      prices: JSON.stringify(body.prices ?? {}),
      created_at: now,
      updated_at: now,
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(body.name);
    throw error;
  }
}

/** Changes a plan (also `tokgate plans update`): `multipliers` and `prices` are replaced whole. */
export async function updatePlan(store: Store, idOrName: string, input: unknown): Promise<PricePlanRow> {
  const body = parseBody(patchSchema, input);
  const plan = await findPlan(store, idOrName);
  const patch: Parameters<Store['updatePlan']>[1] = { updated_at: Date.now() };
  if (body.name !== undefined) patch.name = body.name;
  if (body.description !== undefined) patch.description = body.description;
  if (body.multiplier !== undefined) patch.multiplier = body.multiplier;
  if (body.multipliers !== undefined) patch.multipliers = JSON.stringify(body.multipliers);
  if (body.prices !== undefined) patch.prices = JSON.stringify(body.prices);
  try {
    return (await store.updatePlan(plan.id, patch))!;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(body.name ?? plan.name);
    throw error;
  }
}

/** Deletes a plan no account is on (also `tokgate plans delete`). */
export async function deletePlan(store: Store, idOrName: string): Promise<PricePlanRow> {
  const plan = await findPlan(store, idOrName);
  const deleted = await store.deletePlan(plan.id);
  if (typeof deleted === 'object')
    throw gatewayError('plan_in_use', {
      message: `${deleted.inUse} account(s) are on the price plan '${plan.name}': move them to another plan (PATCH /admin/accounts/{id} {"plan_id": ...}, or null for list prices) before deleting it.`,
    });
  if (!deleted) throw notFound(`No price plan '${idOrName}'.`);
  return plan;
}

/** How many accounts are on each plan. */
async function accountCounts(store: Store): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { plan_id } of await store.listPlanAssignments())
    counts.set(plan_id, (counts.get(plan_id) ?? 0) + 1);
  return counts;
}

export function registerAdminPlanRoutes(app: FastifyInstance, store: Store, plans: PlanBook | undefined) {
  type Params = { Params: { id: string } };
  const changed = async () => plans?.changed();

  app.post('/admin/plans', async (request, reply) => {
    const row = await createPlan(store, request.body);
    await changed();
    return reply.code(201).send(planObject(row, 0));
  });

  app.get('/admin/plans', async () => {
    const counts = await accountCounts(store);
    return {
      object: 'list',
      data: (await store.listPlans()).map((row) => planObject(row, counts.get(row.id) ?? 0)),
    };
  });

  app.get<Params>('/admin/plans/:id', async (request) => {
    const row = await findPlan(store, request.params.id);
    return planObject(row, (await accountCounts(store)).get(row.id) ?? 0);
  });

  app.patch<Params>('/admin/plans/:id', async (request) => {
    const row = await updatePlan(store, request.params.id, request.body);
    await changed();
    return planObject(row, (await accountCounts(store)).get(row.id) ?? 0);
  });

  app.delete<Params>('/admin/plans/:id', async (request) => {
    const row = await deletePlan(store, request.params.id);
    await changed();
    return { id: row.id, object: 'plan', deleted: true };
  });
}
