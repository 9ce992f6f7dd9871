// GET /admin/models: the catalog with prices (USD per million tokens), where and when each price was read,
// and which providers are enabled.
import type { FastifyInstance } from 'fastify';
import { priceInUsd } from '../catalog/price-view.js';
import type { Router } from '../router/router.js';

export function registerAdminModelRoutes(
  app: FastifyInstance,
  router: Router,
  providers: ReadonlyArray<{ id: string; format: string }>,
): void {
  app.get('/admin/models', async () => ({
    object: 'list',
    data: router.catalog.all().map((entry) => ({
      id: entry.id,
      provider: entry.provider,
      model: entry.model,
      kind: entry.kind,
      context_window: entry.contextWindow ?? null,
      max_output_tokens: entry.maxOutputTokens ?? null,
      price: entry.price ? priceInUsd(entry.price) : null,
      price_version: entry.priceVersion ?? null,
      price_source: entry.priceSource ?? null,
      price_date: entry.priceDate ?? null,
      enabled: router.hasProvider(entry.provider),
    })),
    providers: providers.map((p) => ({ id: p.id, format: p.format })),
  }));
}
