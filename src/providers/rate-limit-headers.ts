// How long an upstream asks to be left alone, read from its answer (a 429, or a 503/529 that says so):
// `retry-after-ms` (Azure OpenAI; OpenAI's SDKs read it first), the standard `retry-after` (seconds or an
// HTTP date: Anthropic, Groq on its 429s, any vendor sending it), else the reset of the rate-limit window
// the answer says is used up, in each vendor's own header family below. Gemini's and Vertex's
// RESOURCE_EXHAUSTED says it in the body instead (RetryInfo `retryDelay`, google/google-error.ts).
//
// The families are data, one entry per vendor convention. Their header names do not collide, so every
// answer is read against all of them: an OpenAI-compatible server copying OpenAI's headers is understood
// whatever its provider id.

type Headers = Record<string, string | string[] | undefined>;

/** How a family writes when a window resets. */
type ResetFormat =
  /** A Go duration from now: `6m0s`, `1s`, `12ms`, `2m59.56s` (a bare number is seconds). */
  | 'duration'
  /** Seconds from now, fractional: `11.382867097854614`. */
  | 'seconds'
  /** An RFC 3339 instant: `2025-10-25T12:00:00Z`. */
  | 'instant'
  /**
   * Seconds from now, or an epoch instant when the number is that large (seconds from 1e9, milliseconds
   * from 1e12): `x-ratelimit-reset` carries either, depending on who sends it.
   */
  | 'seconds-or-epoch';

export interface RateLimitFamily {
  /** Who sends it, and the reference it was read from. */
  vendor: string;
  source: string;
  format: ResetFormat;
  /** Each window: the header saying what is left of it, and the one saying when it resets. */
  windows: ReadonlyArray<readonly [remaining: string, reset: string]>;
}

export const RATE_LIMIT_FAMILIES: readonly RateLimitFamily[] = [
  {
    vendor: 'OpenAI, Groq, Azure OpenAI, and OpenAI-compatible servers copying them',
    source:
      'https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers; https://console.groq.com/docs/rate-limits',
    format: 'duration',
    windows: [
      ['x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'],
      ['x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
    ],
  },
  {
    vendor: 'Anthropic',
    source: 'https://docs.anthropic.com/en/api/rate-limits#response-headers',
    format: 'instant',
    windows: [
      ['anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset'],
      ['anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-tokens-reset'],
      ['anthropic-ratelimit-input-tokens-remaining', 'anthropic-ratelimit-input-tokens-reset'],
      ['anthropic-ratelimit-output-tokens-remaining', 'anthropic-ratelimit-output-tokens-reset'],
    ],
  },
  {
    vendor: 'Together AI (requests and tokens per second; one reset, "the suggested retry interval")',
    source: 'https://docs.together.ai/docs/rate-limits',
    format: 'seconds-or-epoch',
    windows: [
      ['x-ratelimit-remaining', 'x-ratelimit-reset'],
      ['x-tokenlimit-remaining', 'x-ratelimit-reset'],
    ],
  },
  {
    vendor: 'Cerebras',
    source: 'https://inference-docs.cerebras.ai/support/rate-limits',
    format: 'seconds',
    windows: [
      ['x-ratelimit-remaining-requests-day', 'x-ratelimit-reset-requests-day'],
      ['x-ratelimit-remaining-tokens-minute', 'x-ratelimit-reset-tokens-minute'],
    ],
  },
];

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 1e-6,
};

/** Milliseconds in a Go duration (`1h2m3.5s`, `250ms`); a bare number is seconds. */
export function parseDuration(value: string): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * UNIT_MS[unit as string]!, 0);
}

const first = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Milliseconds until a window resets, in the family's format (undefined when unreadable). */
function untilReset(format: ResetFormat, raw: string, now: number): number | undefined {
  let ms: number | undefined;
  if (format === 'duration') ms = parseDuration(raw);
  else if (format === 'seconds') ms = Number(raw) * 1000;
  else if (format === 'instant') ms = Date.parse(raw) - now;
  else {
    const n = Number(raw);
    ms = n >= 1e12 ? n - now : n >= 1e9 ? n * 1000 - now : n * 1000;
  }
  return ms !== undefined && Number.isFinite(ms) ? Math.max(0, Math.ceil(ms)) : undefined;
}

/** `retry-after-ms`, then `retry-after` (seconds, fractional allowed, or an HTTP date), in milliseconds. */
function askedRetryAfter(headers: Headers, now: number): number | undefined {
  const ms = Number(first(headers, 'retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const raw = first(headers, 'retry-after');
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long the upstream asked to be left alone, in milliseconds, or undefined when it did not say. Without
 * a Retry-After, the windows it reports as used up (remaining 0) decide: the latest of their resets, as
 * nothing passes before every exhausted window has refilled.
 */
export function upstreamWaitMs(headers: Headers, now: number = Date.now()): number | undefined {
  const asked = askedRetryAfter(headers, now);
  if (asked !== undefined) return asked;
  let wait: number | undefined;
  for (const family of RATE_LIMIT_FAMILIES) {
    for (const [remaining, reset] of family.windows) {
      const left = first(headers, remaining);
      const when = first(headers, reset);
      if (left === undefined || when === undefined || Number(left) !== 0) continue;
      const ms = untilReset(family.format, when, now);
      if (ms !== undefined) wait = Math.max(wait ?? 0, ms);
    }
  }
  return wait;
}
