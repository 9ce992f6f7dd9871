// Prometheus metrics, one registry per app so tests can build several apps side by side.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

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
}
