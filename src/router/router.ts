// Resolves a requested model id to the provider that serves it. Model ids split on the first `/`:
// `openai/gpt-4o` → provider `openai`, upstream model `gpt-4o`; `together/meta-llama/Llama-3-8b` keeps the rest.
// Configured routes (aliases → deployments) and the shared reliability state (deployment health, slots,
// idempotency) hang off the router too, so the server needs no more wiring than the router itself.

import type { ModelCatalog } from '../catalog/catalog.js';
import { modelIdProblem } from '../catalog/model-id.js';
import type { Target } from '../catalog/target.js';
import type { RoutingSettings } from '../config/config.js';
import { type Clock, systemClock } from '../core/clock.js';
import { gatewayError, invalidRequest, modelNotFound } from '../core/errors.js';
import type { ModelInfo, Provider } from '../core/types.js';
import { HealthBoard } from './health.js';
import { IdempotencyStore } from './idempotency.js';
import { type RoutePlan, RouteTable } from './routes.js';
import { SlotBoard } from './slots.js';

/** A fixed `created` for routes listed by /v1/models, so listings are stable across restarts. */
const ROUTE_CREATED = 1_700_000_000;

export class Router {
  private readonly providerIds: ReadonlySet<string>;
  readonly routes: RouteTable;
  readonly health: HealthBoard;
  readonly idempotency: IdempotencyStore;
  readonly slots: SlotBoard;

  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    readonly catalog: ModelCatalog,
    readonly routing: RoutingSettings,
    readonly clock: Clock = systemClock,
  ) {
    this.providerIds = new Set(providers.keys());
    this.routes = new RouteTable(routing, (model) => this.resolve(model));
    this.health = new HealthBoard(routing, clock);
    this.idempotency = new IdempotencyStore(routing.idempotency, clock);
    this.slots = new SlotBoard(routing.slots, routing.retryBudget);
  }

  /** The deployments a request may use, and the policy to use them with (404 for an unknown model). */
  plan(model: string, fallbacks: readonly string[] = []): RoutePlan {
    return this.routes.plan(model, fallbacks);
  }

  resolve(model: string): Target {
    // Every way to a target passes here: the grammar holds wherever a model id reaches an upstream URL.
    const problem = modelIdProblem(model);
    if (problem) throw invalidRequest(`Invalid model id: ${problem}.`, 'model', 'invalid_value');
    const slash = model.indexOf('/');
    if (slash <= 0 || slash === model.length - 1) {
      throw gatewayError('model_not_found', {
        message: `The model \`${model}\` does not exist. Model ids name the provider: 'provider/model', e.g. 'openai/gpt-4o'.`,
      });
    }
    const prefix = model.slice(0, slash);
    const provider = this.providers.get(prefix);
    if (!provider) {
      const enabled = [...this.providers.keys()].join(', ') || 'none';
      throw modelNotFound(model, `provider '${prefix}' is not enabled on this gateway (enabled: ${enabled})`);
    }
    return { model, provider, upstreamModel: model.slice(slash + 1), entry: this.catalog.get(model) };
  }

  /** The catalog's models of enabled providers, and every route name that is not already one of them. */
  listModels(): ModelInfo[] {
    const models = this.catalog.list(this.providerIds);
    const listed = new Set(models.map((m) => m.id));
    for (const name of this.routes.names()) {
      if (!listed.has(name))
        models.push({ id: name, object: 'model', created: ROUTE_CREATED, owned_by: 'tokgate' });
    }
    return models;
  }

  hasProvider(id: string): boolean {
    return this.providerIds.has(id);
  }
}
