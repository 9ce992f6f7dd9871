// /admin/prices: import a price file as a new price version (LiteLLM's format or tokgate's), see what one
// would change, and list the versions. `tokgate prices import|diff|versions` do the same on the database.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { importPrices, versionLabel } from '../accounting/price-versions.js';
import type { PriceDiff } from '../catalog/price-diff.js';
import { notFound } from '../core/errors.js';
import type { Router } from '../router/router.js';
import type { PriceVersionRow, Store } from '../store/store.js';
import { parseBody } from './body.js';

export function priceVersionObject(row: Omit<PriceVersionRow, 'prices_json'>) {
  return {
    id: row.id,
    object: 'price_version',
    version: versionLabel(row),
    format: row.format,
    source: row.source,
    models: row.models,
    created_at: new Date(row.created_at).toISOString(),
  };
}

/** How many models a file adds, changes and removes (prices as a gateway would charge them). */
export function diffCounts(diff: PriceDiff) {
  const count = (kind: string) => diff.changes.filter((c) => c.change === kind).length;
  return {
    added: count('added'),
    changed: count('changed'),
    removed: count('removed'),
    unchanged: diff.unchanged,
  };
}

export function diffObject(diff: PriceDiff) {
  return {
    ...diffCounts(diff),
    changes: diff.changes.map((c) => ({
      model: c.model,
      change: c.change,
      fields: c.fields,
      old_version: c.oldVersion,
      new_version: c.newVersion,
    })),
  };
}

const importQuery = z.strictObject({ source: z.string().min(1).max(2000).optional() });

export function registerAdminPriceRoutes(
  app: FastifyInstance,
  store: Store,
  router: Router,
  /** Tells the other replicas (Redis) that a version was imported; they also find it by polling. */
  imported: () => void,
): void {
  app.post('/admin/prices', async (request, reply) => {
    const { source } = parseBody(importQuery, request.query);
    const result = await importPrices(store, router.catalog, request.body, { source });
    imported();
    return reply.code(201).send({
      ...priceVersionObject(result.version!),
      skipped: result.skipped,
      ...diffCounts(result.diff),
    });
  });

  app.post('/admin/prices/diff', async (request) => {
    const { source } = parseBody(importQuery, request.query);
    const result = await importPrices(store, router.catalog, request.body, { source, dryRun: true });
    return {
      object: 'price_diff',
      format: result.format,
      models: result.models,
      skipped: result.skipped,
      ...diffObject(result.diff),
    };
  });

  app.get('/admin/prices/versions', async () => ({
    object: 'list',
    current: router.catalog.importedId ?? null,
    data: (await store.listPriceVersions()).map(priceVersionObject),
  }));

  app.get<{ Params: { id: string } }>('/admin/prices/versions/:id', async (request) => {
    const id = Number(request.params.id);
    const row = Number.isSafeInteger(id) ? await store.getPriceVersion(id) : undefined;
    if (!row) throw notFound(`No price version ${request.params.id}.`);
    return { ...priceVersionObject(row), prices: JSON.parse(row.prices_json).prices as unknown };
  });
}
