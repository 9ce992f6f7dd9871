// Query-string parsing shared by the usage and request-log endpoints, in OpenAI's error vocabulary.
import { invalidRequest } from '../core/errors.js';
import type { UsageGroupBy } from '../store/store.js';

const DAY_MS = 86_400_000;
/** Usage reads are bounded by a window: the last 30 days unless the caller says otherwise. */
export const DEFAULT_WINDOW_MS = 30 * DAY_MS;

const MAX_TIME_MS = 8.64e15;

/** An ISO date or date-time, or unix seconds, as ms since the epoch. */
export function parseTime(value: string | undefined, param: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d+(\.\d+)?$/.test(value) ? Math.round(Number(value) * 1000) : Date.parse(value);
  // Beyond JavaScript's dates (year 275760) a time is not one: it would also overflow the database's integers.
  if (Number.isNaN(ms) || ms > MAX_TIME_MS) {
    throw invalidRequest(
      `Invalid '${param}': expected an ISO date or unix seconds, got '${value.slice(0, 64)}'.`,
      param,
      'invalid_value',
    );
  }
  return ms;
}

export function parseWindow(query: { from?: string; to?: string }): { from: number; to: number } {
  const to = parseTime(query.to, 'to') ?? Date.now() + 1;
  const from = parseTime(query.from, 'from') ?? to - DEFAULT_WINDOW_MS;
  if (from >= to) throw invalidRequest("Invalid 'from': it must be before 'to'.", 'from', 'invalid_value');
  return { from, to };
}

export function parseGroupBy(value: string | undefined): UsageGroupBy {
  if (value === undefined || value === '') return 'model';
  if (value === 'model' || value === 'key' || value === 'day') return value;
  throw invalidRequest(
    `Invalid 'group_by': '${value}'. Supported values are: 'model', 'key', and 'day'.`,
    'group_by',
    'invalid_value',
  );
}

export function parseLimit(value: string | undefined, fallback = 100, max = 1000): number {
  if (value === undefined || value === '') return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw invalidRequest(`Invalid 'limit': expected an integer from 1 to ${max}.`, 'limit', 'invalid_value');
  }
  return limit;
}

export const usageObject = (row: {
  group: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
  avg_latency_ms: number;
}) => ({
  group: row.group,
  requests: row.requests,
  errors: row.errors,
  prompt_tokens: row.prompt_tokens,
  completion_tokens: row.completion_tokens,
  cost_usd: row.cost_micros / 1_000_000,
  avg_latency_ms: row.avg_latency_ms,
});
