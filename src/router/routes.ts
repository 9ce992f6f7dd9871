// Routes: a model id or alias → the deployments that may serve it. A configured route (`routes:` in the
// YAML) names them, in order (`fallback`) or by weight (`weighted`); a model id without a route is its own
// single deployment. The request's `models` array (OpenRouter's convention) appends more, tried in order
// after the requested model's own.

import type { Target } from '../catalog/target.js';
import type { RouteSettings, RouteTimeouts, RoutingSettings } from '../config/config.js';
import { ConfigError } from '../core/config-error.js';
import type { Candidate, Strategy } from './balancer.js';
import type { RetryPolicy } from './retry-policy.js';

export interface Deployment extends Candidate {
  /** `provider/model`: the health key, the `x-tokgate-deployment` header, the ledger's attempts. */
  id: string;
  weight: number;
  target: Target;
}

/** A group of deployments ordered by one strategy: a route, or one model of the `models` list. */
export interface DeploymentGroup {
  strategy: Strategy;
  deployments: Deployment[];
}

export interface RoutePlan {
  /** What the client asked for, echoed in answers. */
  model: string;
  /** Tried group by group, each in its strategy's order. */
  groups: DeploymentGroup[];
  policy: RetryPolicy;
  timeouts: RouteTimeouts;
}

export class RouteTable {
  constructor(
    private readonly routing: RoutingSettings,
    /** Resolves `provider/model` to its target (throws 404 for an unknown provider). */
    private readonly direct: (model: string) => Target,
  ) {
    // Every deployment must resolve now: a route naming a provider that is not enabled is a config error.
    // A route serves one door: its deployments may not mix kinds of model (chat, embedding, rerank).
    for (const [name, route] of Object.entries(routing.routes)) {
      const kinds = new Map<string, string>();
      for (const deployment of route.deployments) {
        let target: Target;
        try {
          target = direct(deployment.model);
        } catch {
          const provider = deployment.model.slice(0, deployment.model.indexOf('/'));
          throw new ConfigError(
            `routes.${name}: deployment '${deployment.model}' names provider '${provider}', which is not enabled; set its API key variable or add it under providers:`,
          );
        }
        const kind = target.entry?.kind;
        if (kind !== undefined && !kinds.has(kind)) kinds.set(kind, deployment.model);
      }
      if (kinds.size > 1) {
        const named = [...kinds].map(([kind, model]) => `'${model}' is ${kind}`).join(', ');
        throw new ConfigError(
          `routes.${name}: a route may not mix kinds of model (${named}); give each kind its own route`,
        );
      }
    }
  }

  has(model: string): boolean {
    return Object.hasOwn(this.routing.routes, model);
  }

  names(): string[] {
    return Object.keys(this.routing.routes);
  }

  private route(model: string): RouteSettings | undefined {
    return this.has(model) ? this.routing.routes[model] : undefined;
  }

  private group(model: string): DeploymentGroup {
    const route = this.route(model);
    if (!route) {
      const target = this.direct(model);
      return { strategy: 'fallback', deployments: [{ id: target.model, weight: 1, target }] };
    }
    return {
      strategy: route.strategy,
      deployments: route.deployments.map((d) => ({
        id: d.model,
        weight: d.weight,
        target: this.direct(d.model),
      })),
    };
  }

  /** The plan for a request: the model's deployments, then those of each fallback model not already in. */
  plan(model: string, fallbacks: readonly string[] = []): RoutePlan {
    const route = this.route(model);
    const groups = [this.group(model)];
    const seen = new Set(groups[0]!.deployments.map((d) => d.id));
    for (const fallback of fallbacks) {
      const group = this.group(fallback);
      group.deployments = group.deployments.filter((d) => !seen.has(d.id));
      for (const d of group.deployments) seen.add(d.id);
      if (group.deployments.length > 0) groups.push(group);
    }
    const base = route?.maxAttempts ?? this.routing.directMaxAttempts;
    return {
      model,
      groups,
      // Every deployment named gets its chance, whatever the attempt budget says.
      policy: {
        maxAttempts: Math.max(base, seen.size),
        backoffBaseMs: this.routing.backoffBaseMs,
        backoffMaxMs: this.routing.backoffMaxMs,
        maxRetryAfterMs: this.routing.maxRetryAfterMs,
      },
      timeouts: route?.timeouts ?? this.routing.timeouts,
    };
  }
}
