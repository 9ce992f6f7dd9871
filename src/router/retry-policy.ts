// When and how long to wait before the next attempt. The error's `retryable` flag is the only input
// besides the policy: no status lists here.
import type { GatewayError } from '../core/errors.js';

export interface RetryPolicy {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A Retry-After longer than this is not waited for on the same deployment. */
  maxRetryAfterMs: number;
}

/** Full jitter (uniform in [0, min(cap, base·2^retry)]): spreads retries of many clients evenly. */
export function backoffMs(policy: RetryPolicy, retry: number, random: number): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, retry));
  return Math.floor(random * ceiling);
}

export type RetryDecision =
  | { retry: false }
  /** Wait `delayMs`, then make the next attempt. */
  | { retry: true; delayMs: number };

export interface NextAttempt {
  /** The next deployment already failed in this request (a second round): back off first. */
  tried: boolean;
  /** Milliseconds it asked us to wait when it failed (a 429's Retry-After or rate-limit reset). */
  retryAfterMs: number | undefined;
}

/**
 * Whether a failed attempt may be followed by another, and after how long. A deployment not yet tried in
 * this request is tried at once; one that already failed is tried after an exponential backoff with full
 * jitter, and no sooner than its Retry-After (unless that is longer than the policy allows: then give up).
 * `remainingMs`: what is left of the request's total deadline.
 */
export function decideRetry(
  policy: RetryPolicy,
  error: GatewayError,
  attemptsMade: number,
  next: NextAttempt,
  remainingMs: number,
  random: number,
): RetryDecision {
  if (!error.retryable || attemptsMade >= policy.maxAttempts) return { retry: false };
  let delayMs = 0;
  if (next.tried) {
    delayMs = backoffMs(policy, attemptsMade - 1, random);
    if (next.retryAfterMs !== undefined) {
      const asked = next.retryAfterMs;
      if (asked > policy.maxRetryAfterMs) return { retry: false };
      delayMs = Math.max(delayMs, asked);
    }
  }
  // Not worth starting an attempt that would begin after the deadline.
  if (delayMs >= remainingMs) return { retry: false };
  return { retry: true, delayMs };
}
