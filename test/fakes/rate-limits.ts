// Each vendor's rate-limit headers on a 429, as its API reference shows them (the references are named in
// src/providers/rate-limit-headers.ts): the fakes send these with a `status` fault, so the gateway reads
// exactly what the vendor would send.

/** OpenAI: no Retry-After, the windows' state as `x-ratelimit-*` with Go durations (`1s`, `6m0s`). */
export const openAIRateLimited = (w: {
  requestsLeft: number;
  requestsReset: string;
  tokensLeft: number;
  tokensReset: string;
}) => ({
  'x-ratelimit-limit-requests': '60',
  'x-ratelimit-limit-tokens': '150000',
  'x-ratelimit-remaining-requests': String(w.requestsLeft),
  'x-ratelimit-remaining-tokens': String(w.tokensLeft),
  'x-ratelimit-reset-requests': w.requestsReset,
  'x-ratelimit-reset-tokens': w.tokensReset,
});

/** Groq: OpenAI's `x-ratelimit-*` (requests per day, tokens per minute) and, on a 429 only, `retry-after`. */
export const groqRateLimited = (retryAfterS: number) => ({
  'retry-after': String(retryAfterS),
  'x-ratelimit-limit-requests': '14400',
  'x-ratelimit-limit-tokens': '18000',
  'x-ratelimit-remaining-requests': '14370',
  'x-ratelimit-remaining-tokens': '0',
  'x-ratelimit-reset-requests': '2m59.56s',
  'x-ratelimit-reset-tokens': '7.66s',
});

/** Azure OpenAI: `retry-after-ms` beside `retry-after` (whole seconds), and the remaining counts. */
export const azureRateLimited = (ms: number) => ({
  'retry-after-ms': String(ms),
  'retry-after': String(Math.ceil(ms / 1000)),
  'x-ratelimit-remaining-requests': '0',
  'x-ratelimit-remaining-tokens': '1000',
});

/** Anthropic: `anthropic-ratelimit-*` with RFC 3339 resets, and `retry-after` seconds when it gives one. */
export function anthropicRateLimited(w: {
  retryAfterS?: number;
  inputTokensLeft: number;
  inputTokensResetAt: Date;
  requestsResetAt: Date;
}) {
  return {
    ...(w.retryAfterS === undefined ? {} : { 'retry-after': String(w.retryAfterS) }),
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': '49',
    'anthropic-ratelimit-requests-reset': w.requestsResetAt.toISOString(),
    'anthropic-ratelimit-input-tokens-limit': '40000',
    'anthropic-ratelimit-input-tokens-remaining': String(w.inputTokensLeft),
    'anthropic-ratelimit-input-tokens-reset': w.inputTokensResetAt.toISOString(),
    'anthropic-ratelimit-output-tokens-limit': '8000',
    'anthropic-ratelimit-output-tokens-remaining': '8000',
    'anthropic-ratelimit-output-tokens-reset': w.requestsResetAt.toISOString(),
  };
}

/** Cerebras: requests per day and tokens per minute, resets in fractional seconds. */
export const cerebrasRateLimited = (w: {
  tokensLeft: number;
  tokensReset: number;
  requestsReset: number;
}) => ({
  'x-ratelimit-limit-requests-day': '14400',
  'x-ratelimit-limit-tokens-minute': '60000',
  'x-ratelimit-remaining-requests-day': '14000',
  'x-ratelimit-remaining-tokens-minute': String(w.tokensLeft),
  'x-ratelimit-reset-requests-day': String(w.requestsReset),
  'x-ratelimit-reset-tokens-minute': String(w.tokensReset),
});

/** Together AI: per-second request and token limits, one `x-ratelimit-reset` (seconds). */
export const togetherRateLimited = (w: { tokensLeft: number; resetS: number }) => ({
  'x-ratelimit-limit': '10',
  'x-ratelimit-remaining': '7',
  'x-ratelimit-reset': String(w.resetS),
  'x-tokenlimit-limit': '3000',
  'x-tokenlimit-remaining': String(w.tokensLeft),
});
