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
  /** Undefined for a request refused before any deployment was chosen. */
  servedBy: ServedBy | undefined;
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
  /** The front door the request came through. */
  door: string;
}

/**
 * What a request is charged, micro-USD: failures cost nothing (0 once something was measured, null when
 * nothing was), aborted and answered requests pay for what was generated (null when unpriced).
 */
export function chargeOf(status: RequestStatus, metered: Metered | undefined): number | null {
  if (status === 'error') return metered ? 0 : null;
  return metered?.costMicros ?? null;
}

/** What the answer cost upstream at list price, micro-USD (for failures as `chargeOf`: nothing). */
export function upstreamCostOf(status: RequestStatus, metered: Metered | undefined): number | null {
  if (status === 'error' || metered?.upstreamCostMicros === undefined) return chargeOf(status, metered);
  return metered.upstreamCostMicros;
}

/** The row of an outcome; `Ledger.record` makes it storable (`storableRow`) as it queues it. */
export function ledgerRow(outcome: Outcome): RequestRow {
  const { principal, metered, servedBy } = outcome;
  const usage = metered?.usage;
  return {
    id: outcome.id,
    created_at: outcome.createdAt,
    key_id: keyIdOf(principal),
    account_id: accountOf(principal),
    model: outcome.model,
    provider: servedBy?.provider ?? null,
    upstream_model: servedBy?.upstreamModel ?? null,
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
    price_version: metered?.costMicros === undefined ? null : (servedBy?.priceVersion ?? null),
    door: outcome.door,
    units: metered?.units?.count ?? null,
    unit: metered?.units?.unit ?? null,
    upstream_cost_micros: upstreamCostOf(outcome.status, metered),
  };
}

/**
 * The longest text each ledger column keeps, in UTF-16 code units (JavaScript string length). Longer text
 * is cut and ends in `…`, so a cut value is visible as such. Client-chosen text (the model id) and
 * upstream-chosen text (upstream model, attempts) are the ones that can be long; the rest are our own ids.
 */
export const LEDGER_TEXT_LIMITS = {
  id: 128,
  key_id: 128,
  account_id: 128,
  model: 256,
  provider: 128,
  upstream_model: 256,
  status: 16,
  usage_source: 32,
  error_code: 64,
  price_version: 128,
  door: 64,
  unit: 16,
  /** JSON; an array over this length keeps the attempts that fit and ends in `{"omitted": n}`. */
  attempts: 4096,
} as const satisfies Partial<Record<keyof RequestRow, number>>;

/** PostgreSQL `integer` columns (tokens, times, status) hold up to this; `bigint` ones keep to safe integers. */
const INT4_MAX = 2_147_483_647;

/** Longest text of one string inside an attempts array that had to be shortened. */
const ATTEMPT_STRING_LIMIT = 256;

// Control characters (PostgreSQL text cannot hold U+0000; none belongs in an id) and lone surrogates
// (not UTF-8: PostgreSQL refuses them, SQLite would store mojibake).
const UNSTORABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text as a database column can hold it: at most `max` code units (cut text ends in `…`, never in half a
 * surrogate pair), control characters and lone surrogates replaced by U+FFFD.
 */
export function storableText(text: string, max: number): string {
  let out = text;
  if (out.length > max) {
    let cut = max - 1;
    const last = out.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
    out = `${out.slice(0, cut)}…`;
  }
  // Cut first: the replacement maps one code unit to one, so a 10 MB id is never scanned whole.
  return out.replace(UNSTORABLE, '\ufffd');
}

function text(value: unknown, max: number): string | null {
  if (value === null || value === undefined) return null;
  return storableText(typeof value === 'string' ? value : String(value), max);
}

/** An integer within [min, max]: fractions rounded, out-of-range values clamped, non-finite ones null. */
function integer(value: unknown, min: number, max: number): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  return Math.min(max, Math.max(min, Math.round(value)));
}

/** A finite number (a count of units may be fractional: seconds), else null. */
const number = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(value, -1e15), 1e15) : null;
const int4 = (value: unknown) => integer(value, -INT4_MAX - 1, INT4_MAX);
const int8 = (value: unknown) => integer(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

function shortened(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value, ATTEMPT_STRING_LIMIT);
  if (Array.isArray(value)) return value.map(shortened);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shortened(v)]));
  return value;
}

/** The attempts column: valid JSON (the admin API parses it) within its limit. */
function storableAttempts(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const max = LEDGER_TEXT_LIMITS.attempts;
  // One code unit for one: cleaning keeps JSON valid (the ledger's own JSON.stringify made it).
  if (value.length <= max) return storableText(value, max);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null; // cut, it could not be shown anyway
  }
  const attempts = Array.isArray(parsed) ? parsed.map(shortened) : [shortened(parsed)];
  const kept: unknown[] = [];
  let length = 2 + 40; // the brackets, and room for the omitted marker
  for (const attempt of attempts) {
    const size = JSON.stringify(attempt).length + 1;
    if (length + size > max) break;
    kept.push(attempt);
    length += size;
  }
  if (kept.length < attempts.length) kept.push({ omitted: attempts.length - kept.length });
  return storableText(JSON.stringify(kept), max);
}

/**
 * A row every database can store, whatever it was given: text cleaned and capped (LEDGER_TEXT_LIMITS),
 * integers rounded and within their column's range (PostgreSQL `integer` or safe `bigint`), a missing
 * required number 0 (a missing time: `now`). Idempotent; the ledger applies it to every row it queues or
 * replays, so one odd value (a model id holding U+0000, a 10 MB one) cannot make a batch unwritable.
 */
export function storableRow(row: RequestRow, now = Date.now()): RequestRow {
  const t = LEDGER_TEXT_LIMITS;
  // Column by column (no spread): a row read back from a damaged spool carries nothing else along.
  return {
    id: text(row.id, t.id) ?? '',
    created_at: int8(row.created_at) ?? now,
    key_id: text(row.key_id, t.key_id),
    account_id: text(row.account_id, t.account_id),
    model: text(row.model, t.model) ?? '',
    provider: text(row.provider, t.provider),
    upstream_model: text(row.upstream_model, t.upstream_model),
    status: (text(row.status, t.status) ?? 'error') as RequestStatus,
    http_status: int4(row.http_status) ?? 0,
    stream: int4(row.stream) ?? 0,
    prompt_tokens: int4(row.prompt_tokens),
    cached_tokens: int4(row.cached_tokens),
    completion_tokens: int4(row.completion_tokens),
    reasoning_tokens: int4(row.reasoning_tokens),
    usage_source: text(row.usage_source, t.usage_source),
    cost_micros: int8(row.cost_micros),
    latency_ms: int4(row.latency_ms) ?? 0,
    ttft_ms: int4(row.ttft_ms),
    error_code: text(row.error_code, t.error_code),
    attempts: storableAttempts(row.attempts),
    price_version: text(row.price_version, t.price_version),
    door: text(row.door, t.door),
    units: number(row.units),
    unit: text(row.unit, t.unit),
    upstream_cost_micros: int8(row.upstream_cost_micros),
  };
}
