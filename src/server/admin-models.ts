// GET /admin/models: the catalog with prices (USD per million tokens) and which providers are enabled.
import type { FastifyInstance } from 'fastify';
import type { Price } from '../catalog/catalog.js';
import type { Router } from '../router/router.js';

const perMillionUsd = (micros: number) => micros / 1_000_000;

function priceObject(price: Price | undefined) {
  if (!price) return null;
  return {
    input: perMillionUsd(price.input),
    output: perMillionUsd(price.output),
    cached_input: perMillionUsd(price.cachedInput),
    cache_write: price.cacheWrite === undefined ? null : perMillionUsd(price.cacheWrite),
    cache_write_1h: price.cacheWrite1h === undefined ? null : perMillionUsd(price.cacheWrite1h),
    // Rerank models billed per search: USD per 1,000 searches.
    ...(price.searchUnit === undefined ? {} : { per_thousand_searches: price.searchUnit / 1000 }),
    // Audio models, in the YAML's names: per million characters, per minute, per million audio tokens.
    ...(price.character === undefined ? {} : { per_million_characters: perMillionUsd(price.character) }),
    ...(price.audioSecond === undefined
      ? {}
      : { per_minute: (perMillionUsd(price.audioSecond) * 60) / 1_000_000 }),
    ...(price.audioInput === undefined ? {} : { audio_input: perMillionUsd(price.audioInput) }),
    ...(price.audioOutput === undefined ? {} : { audio_output: perMillionUsd(price.audioOutput) }),
  };
}

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
      price: priceObject(entry.price),
      price_version: entry.priceVersion ?? null,
      enabled: router.hasProvider(entry.provider),
    })),
    providers: providers.map((p) => ({ id: p.id, format: p.format })),
  }));
}
