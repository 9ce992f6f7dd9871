// GET /v1/models and GET /v1/models/{id} (OpenAI's Model objects; an id holds a `/`, `openai/gpt-4o`), and
// GET /v1beta/models (the same OpenAI-shaped list, for Gemini clients too): the models of the enabled
// providers and the routes, narrowed to what the key may use. A priced model carries what the caller pays
// for it in OpenRouter's `pricing` shape (USD per token, as decimal strings), its account's price plan
// applied. `?kind=image` (tokgate's; the console's playground asks it) narrows the list to one kind of
// model, the catalog's (a route's: its deployments').
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type PlanBook, tenantPrice } from '../accounting/plans.js';
import { accountOf } from '../auth/principal.js';
import type { Price } from '../catalog/catalog.js';
import type { Operation } from '../core/embeddings.js';
import { invalidRequest, modelNotFound } from '../core/errors.js';
import type { ModelInfo } from '../core/types.js';
import type { Router } from '../router/router.js';

const KINDS: readonly Operation[] = ['chat', 'embedding', 'rerank', 'speech', 'transcription', 'image'];

/** OpenRouter's `pricing` fields that tokgate's prices have: USD per token (per request for `request`). */
export interface OpenRouterPricing {
  prompt: string;
  completion: string;
  request: string;
  input_cache_read: string;
  input_cache_write?: string;
}

/**
 * Micro-USD per million tokens as USD per token, a plain decimal string (never `2.5e-7`): exact for the
 * catalog's integer prices, to 1e-18 USD for a plan's fractional ones.
 */
export function usdPerToken(microsPerMillion: number): string {
  const atto = Number.isInteger(microsPerMillion)
    ? BigInt(microsPerMillion) * 1_000_000n
    : BigInt(Math.round(microsPerMillion * 1_000_000));
  const digits = atto.toString().padStart(19, '0');
  const fraction = digits.slice(-18).replace(/0+$/, '');
  const whole = digits.slice(0, -18);
  return fraction ? `${whole}.${fraction}` : whole;
}

export function openRouterPricing(price: Price): OpenRouterPricing {
  const pricing: OpenRouterPricing = {
    prompt: usdPerToken(price.input),
    completion: usdPerToken(price.output),
    // No fee per request: a request pays for its tokens.
    request: '0',
    input_cache_read: usdPerToken(price.cachedInput),
  };
  if (price.cacheWrite !== undefined) pricing.input_cache_write = usdPerToken(price.cacheWrite);
  return pricing;
}

export function registerModelRoutes(scope: FastifyInstance, router: Router, plans?: PlanBook): void {
  /** A listed model's kind: its catalog entry's, a route's first known deployment's; chat when unknown. */
  const kindOf = (id: string): Operation => {
    for (const group of router.plan(id).groups)
      for (const { target } of group.deployments) if (target.entry) return target.entry.kind;
    return 'chat';
  };
  const visible = (
    request: FastifyRequest,
    kind?: Operation,
  ): Array<ModelInfo & { pricing?: OpenRouterPricing }> => {
    const principal = request.principal!;
    let models = router.listModels();
    if (principal.kind === 'key' && principal.key.allows)
      models = models.filter((m) => principal.key.allows!(m.id));
    if (kind !== undefined) models = models.filter((m) => kindOf(m.id) === kind);
    const account = accountOf(principal);
    return models.map((model) => {
      const list = router.catalog.get(model.id)?.price;
      const price = plans ? tenantPrice(list, plans.rateFor(account, model.id)) : list;
      return price ? { ...model, pricing: openRouterPricing(price) } : model;
    });
  };
  const list = async (request: FastifyRequest<{ Querystring: { kind?: unknown } }>, reply: FastifyReply) => {
    const { kind } = request.query;
    if (kind !== undefined && !KINDS.includes(kind as Operation))
      throw invalidRequest(`Invalid 'kind': expected one of ${KINDS.join(', ')}.`, 'kind', 'invalid_value');
    const data = visible(request, kind as Operation | undefined);
    return reply.type('application/json').send(JSON.stringify({ object: 'list', data }));
  };
  scope.get('/v1/models', list);
  scope.get('/v1beta/models', list);
  // The wildcard takes the rest of the path, slashes included (`/v1/models/openai/gpt-4o`, or with the
  // slash percent-encoded as the openai SDK sends it).
  scope.get<{ Params: { '*': string } }>('/v1/models/*', async (request, reply) => {
    const id = request.params['*'];
    const model = visible(request).find((m) => m.id === id);
    if (!model) throw modelNotFound(id);
    return reply.type('application/json').send(JSON.stringify(model));
  });
}
