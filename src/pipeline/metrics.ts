// Prometheus metrics, one registry per app so tests can build several apps side by side.
//
// Labels stay bounded: `model` is a catalog model or a configured route, anything else (clients may name any
// model of a provider) is `other`; `provider` is a configured provider (`none` before one was chosen,
// `cache` for a cache hit); `door` is one of the gateway's front doors.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { TokenPoolStats } from '../accounting/token-pool.js';
import type { Usage } from '../core/types.js';
import type { AttemptRecord } from '../router/executor.js';
import type { HealthBoard } from '../router/health.js';
import type { SlotBoard } from '../router/slots.js';
import { TallyCounter } from './tally.js';

/** The label value of a model that is neither a catalog model nor a configured route. */
export const OTHER_MODEL = 'other';

/** The labels of one request's metrics. */
export interface RequestLabels {
  door: string;
  provider: string;
  model: string;
}

/** An attempt's result as `tokgate_upstream_attempt_results_total` counts it. */
function attemptResult(attempt: AttemptRecord): string {
  if (attempt.status === 200) return 'ok';
  if (attempt.code === 'client_closed') return 'client_closed';
  if (attempt.code === 'deployment_saturated') return 'saturated';
  if (attempt.status === 429) return 'rate_limited';
  if (attempt.status === 504 || attempt.code === 'upstream_timeout') return 'timeout';
  return attempt.status >= 500 ? 'upstream_error' : 'rejected';
}

/** A request's labels with a token type, as a literal: see `counted`. */
function ofType(labels: RequestLabels, type: string) {
  return { door: labels.door, provider: labels.provider, model: labels.model, type };
}

const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;

export class Metrics {
  readonly registry = new Registry();
  /** Whether a model id may be a label value (a catalog model or a route): set by `boundModels`. */
  private known: (model: string) => boolean = () => false;
  readonly requests = new TallyCounter({
    name: 'tokgate_requests_total',
    help: 'Requests of the front doors, refused ones included, by door, provider, model, HTTP status and code (the error code, or the outcome)',
    labelNames: ['door', 'provider', 'model', 'status', 'code'] as const,
    registers: [this.registry],
  });
  readonly tokens = new TallyCounter({
    name: 'tokgate_tokens_total',
    help: 'Tokens of answered requests by door, provider, model and type: input, output, cached (input read from a prompt cache, part of input), reasoning (part of output)',
    labelNames: ['door', 'provider', 'model', 'type'] as const,
    registers: [this.registry],
  });
  readonly cost = new TallyCounter({
    name: 'tokgate_cost_usd_total',
    help: 'What requests cost, USD, by door, provider and model (unpriced requests add nothing: see tokgate_unpriced_requests_total)',
    labelNames: ['door', 'provider', 'model'] as const,
    registers: [this.registry],
  });
  readonly ttft = new Histogram({
    name: 'tokgate_time_to_first_token_seconds',
    help: "Streams: time from the request's arrival to its first content chunk, by door, provider and model",
    labelNames: ['door', 'provider', 'model'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [this.registry],
  });
  readonly interToken = new Histogram({
    name: 'tokgate_inter_token_latency_seconds',
    help: "Streams: mean time between output tokens after the first (the stream's time from its first to its last content chunk over its output tokens but one), one sample per stream",
    labelNames: ['door', 'provider', 'model'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64],
    registers: [this.registry],
  });
  readonly attemptResults = new TallyCounter({
    name: 'tokgate_upstream_attempt_results_total',
    help: 'Upstream attempts by provider and result: ok, rate_limited, timeout, upstream_error, rejected (another 4xx), saturated (no slot), client_closed',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });
  readonly walletUnavailable = new Counter({
    name: 'tokgate_wallet_unavailable_total',
    help: 'Metered requests refused (503) because the shared wallet (Redis) could not be reached: money checks fail closed',
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
  readonly unpriced = new TallyCounter({
    name: 'tokgate_unpriced_requests_total',
    // By provider, not model: model ids come from clients, and one series per invented id would grow without bound.
    help: 'Requests for models without a price (recorded with no cost), by provider; the ledger names the model',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'tokgate_' });
  }

  /** Bounds the `model` label: models `known` says yes to are themselves, any other is `other`. */
  boundModels(known: (model: string) => boolean): void {
    this.known = known;
  }

  /** A model id as a label value. */
  modelLabel(model: string | undefined): string {
    return model !== undefined && this.known(model) ? model : OTHER_MODEL;
  }

  /** One request of a front door, refused or answered, at its end. */
  counted(labels: RequestLabels, status: number, code: string): void {
    // Literals, not `{ ...labels, status }`: V8 adds a member to a spread copy on a slow path (~1 µs each).
    this.requests.inc({
      door: labels.door,
      provider: labels.provider,
      model: labels.model,
      status: String(status),
      code,
    });
  }

  /** What a settled request used: tokens, cost, stream timings, its attempts' results. */
  used(
    labels: RequestLabels,
    usage: Usage | undefined,
    costMicros: number | undefined,
    attempts: readonly AttemptRecord[],
    stream: { ttftMs: number | null; lastChunkMs: number | null } | undefined,
  ): void {
    for (const attempt of attempts)
      this.attemptResults.inc({ provider: attempt.provider, result: attemptResult(attempt) });
    if (usage) {
      this.tokens.inc(ofType(labels, 'input'), usage.prompt_tokens);
      this.tokens.inc(ofType(labels, 'output'), usage.completion_tokens);
      const cached = usage.prompt_tokens_details?.cached_tokens;
      if (cached) this.tokens.inc(ofType(labels, 'cached'), cached);
      const reasoning = usage.completion_tokens_details?.reasoning_tokens;
      if (reasoning) this.tokens.inc(ofType(labels, 'reasoning'), reasoning);
    }
    if (costMicros) this.cost.inc(labels, costMicros / 1_000_000);
    if (!stream || stream.ttftMs === null) return;
    this.ttft.observe(labels, stream.ttftMs / 1000);
    const tokens = usage?.completion_tokens ?? 0;
    if (stream.lastChunkMs !== null && stream.lastChunkMs > stream.ttftMs && tokens > 1)
      this.interToken.observe(labels, (stream.lastChunkMs - stream.ttftMs) / 1000 / (tokens - 1));
  }

  /**
   * Each deployment's circuit (1 for its state, 0 for the others), for the deployments of catalog models
   * and configured routes that have health kept; read at scrape time.
   */
  watchCircuits(health: HealthBoard): void {
    const known = (id: string) => this.known(id);
    new Gauge({
      name: 'tokgate_deployment_circuit_state',
      help: "Each deployment's circuit breaker: 1 for its state (closed, open, half-open), 0 for the others (catalog models and routes' deployments only)",
      labelNames: ['deployment', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const id of health.ids()) {
          if (!known(id)) continue;
          const state = health.state(id);
          for (const each of CIRCUIT_STATES)
            this.set({ deployment: id, state: each }, each === state ? 1 : 0);
        }
      },
    });
  }

  /** The ledger's rows not yet written, in memory and in the spool; read at scrape time. */
  watchLedger(pending: () => { buffered: number; spooled: number }): void {
    new Gauge({
      name: 'tokgate_ledger_pending_rows',
      help: 'Ledger rows not yet in the database: held in memory, and in the write-ahead spool (which includes those in memory that were spooled)',
      labelNames: ['place'] as const,
      registers: [this.registry],
      collect() {
        const { buffered, spooled } = pending();
        this.set({ place: 'memory' }, buffered);
        this.set({ place: 'spool' }, spooled);
      },
    });
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
