// Prometheus metrics, one registry per app so tests can build several apps side by side.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { TokenPoolStats } from '../accounting/token-pool.js';
import type { SlotBoard } from '../router/slots.js';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'tokgate_requests_total',
    help: 'Requests by provider, outcome and HTTP status',
    labelNames: ['provider', 'status', 'code'] as const,
    registers: [this.registry],
  });
  readonly overhead = new Histogram({
    name: 'tokgate_gateway_overhead_seconds',
    help: 'Time the gateway spent on a request that was not spent waiting for the upstream',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'tokgate_request_duration_seconds',
    help: 'Whole request duration, by provider and stream or not',
    labelNames: ['provider', 'stream'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly unpriced = new Counter({
    name: 'tokgate_unpriced_requests_total',
    // By provider, not model: model ids come from clients, and one series per invented id would grow without bound.
    help: 'Requests for models without a price (recorded with no cost), by provider; the ledger names the model',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'tokgate_' });
  }

  /** The router's attempts and limits, read from its counters at scrape time (nothing on the hot path). */
  watchRouter(slots: SlotBoard): void {
    const { counters } = slots;
    const registers = [this.registry];
    // Counters only go up: each scrape adds what the router counted since the last one.
    const reported = { first: 0, fallback: 0, retry: 0, saturated: 0, budgetSpent: 0 };
    const catchUp = (counter: Counter, field: keyof typeof reported, labels?: Record<string, string>) => {
      const delta = counters[field] - reported[field];
      reported[field] = counters[field];
      if (delta > 0) {
        if (labels) counter.inc(labels, delta);
        else counter.inc(delta);
      }
    };
    new Counter({
      name: 'tokgate_upstream_attempts_total',
      help: "Upstream attempts: a request's first, a fallback to a deployment it had not tried, a retry of one it had",
      labelNames: ['kind'] as const,
      registers,
      collect() {
        catchUp(this, 'first', { kind: 'first' });
        catchUp(this, 'fallback', { kind: 'fallback' });
        catchUp(this, 'retry', { kind: 'retry' });
      },
    });
    new Counter({
      name: 'tokgate_deployment_saturated_total',
      help: 'Attempts that found their deployment at max_in_flight with its queue full, or waited too long',
      registers,
      collect() {
        catchUp(this, 'saturated');
      },
    });
    new Counter({
      name: 'tokgate_retry_budget_exhausted_total',
      help: 'Requests answered with their error instead of a retry, the retry budget of their deployments spent',
      registers,
      collect() {
        catchUp(this, 'budgetSpent');
      },
    });
    new Gauge({
      name: 'tokgate_upstream_calls',
      help: 'Upstream calls holding a slot (in flight) or waiting for one (queued), over every deployment',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const { inFlight, queued } = slots.totals();
        this.set({ state: 'in_flight' }, inFlight);
        this.set({ state: 'queued' }, queued);
      },
    });
  }

  /**
   * Exact token counts, and those that fell back to a bound or an estimate (the budget ran out, or the
   * pool was saturated). The pool is the process's, so these are the process's counts.
   */
  watchTokenizer(stats: Readonly<TokenPoolStats>): void {
    const reported: TokenPoolStats = { counted: 0, expired: 0, saturated: 0 };
    new Counter({
      name: 'tokgate_tokenizer_counts_total',
      help: 'Exact token counts asked of the worker pool, by result: counted, expired (fell back), saturated (fell back)',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        for (const result of ['counted', 'expired', 'saturated'] as const) {
          const delta = stats[result] - reported[result];
          reported[result] = stats[result];
          if (delta > 0) this.inc({ result }, delta);
        }
      },
    });
  }
}
