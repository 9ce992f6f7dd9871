// The ledger row of a request, built in one place from what happened: who asked, what served it, what it
// used and cost. Front doors and the cache describe an outcome; only this module knows the columns.
import type { Principal } from '../auth/authenticator.js';
import { accountOf, keyIdOf } from '../auth/principal.js';
import type { RequestRow } from '../store/schema.js';
import type { Metered } from './meter.js';

export type RequestStatus = RequestRow['status'];

/** What served a request: a deployment's provider and model, or the response cache. */
export interface ServedBy {
  provider: string;
  upstreamModel: string | null;
  /** The price list the cost was computed from (`builtin@...`, `config@...`, `cache`). */
  priceVersion: string | null;
}

export interface Outcome {
  id: string;
  createdAt: number;
  principal: Principal;
  /** The model id the client asked for. */
  model: string;
  servedBy: ServedBy;
  status: RequestStatus;
  httpStatus: number;
  stream: boolean;
  /** Usage and cost, when any was measured (failures before an answer have none). */
  metered: Metered | undefined;
  latencyMs: number;
  ttftMs: number | null;
  errorCode: string | null;
  /** The router's attempt records (JSON-serialisable), empty when no upstream was tried. */
  attempts: readonly unknown[];
}

/**
 * What a request is charged, micro-USD: failures cost nothing (0 once something was measured, null when
 * nothing was), aborted and answered requests pay for what was generated (null when unpriced).
 */
export function chargeOf(status: RequestStatus, metered: Metered | undefined): number | null {
  if (status === 'error') return metered ? 0 : null;
  return metered?.costMicros ?? null;
}

export function ledgerRow(outcome: Outcome): RequestRow {
  const { principal, metered, servedBy } = outcome;
  const usage = metered?.usage;
  return {
    id: outcome.id,
    created_at: outcome.createdAt,
    key_id: keyIdOf(principal),
    account_id: accountOf(principal),
    model: outcome.model,
    provider: servedBy.provider,
    upstream_model: servedBy.upstreamModel,
    status: outcome.status,
    http_status: outcome.httpStatus,
    stream: outcome.stream ? 1 : 0,
    prompt_tokens: usage?.prompt_tokens ?? null,
    cached_tokens: usage?.prompt_tokens_details?.cached_tokens ?? null,
    completion_tokens: usage?.completion_tokens ?? null,
    reasoning_tokens: usage?.completion_tokens_details?.reasoning_tokens ?? null,
    usage_source: metered?.source ?? null,
    cost_micros: chargeOf(outcome.status, metered),
    latency_ms: Math.round(outcome.latencyMs),
    ttft_ms: outcome.ttftMs === null ? null : Math.round(outcome.ttftMs),
    error_code: outcome.errorCode,
    attempts: outcome.attempts.length > 0 ? JSON.stringify(outcome.attempts) : null,
    // A price version only where a price was applied.
    price_version: metered?.costMicros === undefined ? null : servedBy.priceVersion,
  };
}
