// Per-key rate limits: requests per minute (rpm) and tokens per minute (tpm), over a sliding 60-second
// window of one-second buckets. This is the single-process limiter; the Redis one shares the same
// interface so every replica sees the same counts.
import { rateLimited } from '../core/errors.js';

export interface RateLimits {
  rpm: number | null;
  tpm: number | null;
}

/** Where one window stands once a request is admitted: for the `x-ratelimit-*` response headers. */
export interface RateWindowState {
  limit: number;
  /** What is left of the limit in the window now (never below 0). */
  remaining: number;
  /** Milliseconds until the window is back to its initial state (everything counted in it has left it). */
  resetMs: number;
}

export interface RateState {
  requests?: RateWindowState;
  tokens?: RateWindowState;
}

/**
 * A duration as OpenAI writes its `x-ratelimit-reset-*` headers, Go's time.Duration format: `12ms`, `1s`,
 * `59.5s`, `6m0s`.
 */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole < 1000) return `${whole}ms`;
  if (whole < 60_000) return seconds(whole);
  const minutes = Math.floor(whole / 60_000);
  return `${minutes}m${seconds(whole - minutes * 60_000)}`;
}

/** Whole milliseconds as Go writes seconds: `1s`, `59.5s`, `1.25s`, `0.005s` (integer arithmetic: no toFixed). */
function seconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  let fraction = ms - whole * 1000;
  if (fraction === 0) return `${whole}s`;
  let digits = 3;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits -= 1;
  }
  return `${whole}.${String(fraction).padStart(digits, '0')}s`;
}

/**
 * OpenAI's rate-limit response headers for the windows a key has, added to `headers`. Written key by key
 * with literal names: this runs for every answer of a rate-limited key.
 */
export function addRateLimitHeaders(headers: Record<string, string>, state: RateState): void {
  const { requests, tokens } = state;
  if (requests) {
    headers['x-ratelimit-limit-requests'] = String(requests.limit);
    headers['x-ratelimit-remaining-requests'] = String(requests.remaining);
    headers['x-ratelimit-reset-requests'] = goDuration(requests.resetMs);
  }
  if (tokens) {
    headers['x-ratelimit-limit-tokens'] = String(tokens.limit);
    headers['x-ratelimit-remaining-tokens'] = String(tokens.remaining);
    headers['x-ratelimit-reset-tokens'] = goDuration(tokens.resetMs);
  }
}

/** OpenAI's rate-limit response headers for the windows a key has. */
export function rateLimitHeaders(state: RateState): Record<string, string> {
  const headers: Record<string, string> = {};
  addRateLimitHeaders(headers, state);
  return headers;
}

export interface RateLimiter {
  /**
   * Admits one request expected to use `tokens` (prompt tokens plus what it may generate), or throws 429
   * with Retry-After. Admitted requests count against rpm at once and against tpm with `tokens`. Returns
   * where the key's windows stand then.
   */
  admit(keyId: string, limits: RateLimits, tokens: number): Promise<RateState>;
  /** Corrects the tokens counted at admission to what the request really used. */
  adjust(keyId: string, estimated: number, actual: number): void;
}

const WINDOW_SECONDS = 60;

/**
 * A key's last 60 seconds, in one bucket per second. The total and the newest busy second are computed
 * once per second and then kept up to date by `add`, since every admission asks for both (a loop over the
 * 60 buckets each time was ~2 % of a small request's instructions).
 */
export class Window {
  private readonly buckets = new Float64Array(WINDOW_SECONDS);
  private readonly stamps = new Float64Array(WINDOW_SECONDS);
  /** The second `sum` and `newest` are for (NaN: none). */
  private cachedAt = Number.NaN;
  private sum = 0;
  /** The newest second in the window with a positive bucket (-1: none). */
  private newest = -1;

  private refresh(now: number): void {
    if (this.cachedAt === now) return;
    let sum = 0;
    let newest = -1;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      if (now - this.stamps[i]! >= WINDOW_SECONDS) continue;
      sum += this.buckets[i]!;
      if (this.buckets[i]! > 0 && this.stamps[i]! > newest) newest = this.stamps[i]!;
    }
    this.sum = sum;
    this.newest = newest;
    this.cachedAt = now;
  }

  /** Total over the last 60 s at second `now`. */
  total(now: number): number {
    this.refresh(now);
    return this.sum;
  }

  add(now: number, amount: number): void {
    const i = now % WINDOW_SECONDS;
    if (this.stamps[i] !== now) {
      // The bucket starts over; if the kept figures counted it (a clock set back), they are stale.
      if (this.cachedAt - this.stamps[i]! < WINDOW_SECONDS) this.cachedAt = Number.NaN;
      this.stamps[i] = now;
      this.buckets[i] = 0;
    }
    this.buckets[i]! += amount;
    // Kept figures of a second whose window holds `now` move with the bucket (a later second's too: as in
    // `refresh`, a bucket stamped after the second asked about counts).
    if (!(this.cachedAt - now < WINDOW_SECONDS)) return;
    this.sum += amount;
    if (this.buckets[i]! > 0) {
      if (now > this.newest) this.newest = now;
    } else if (this.newest === now) this.cachedAt = Number.NaN; // adjusted down to nothing: look again
  }

  /** Milliseconds from `nowMs` until everything counted in the window at second `now` has left it. */
  resetMs(now: number, nowMs: number): number {
    this.refresh(now);
    return this.newest < 0 ? 0 : Math.max(0, (this.newest + WINDOW_SECONDS) * 1000 - nowMs);
  }

  state(now: number, nowMs: number, limit: number): RateWindowState {
    return { limit, remaining: Math.max(0, limit - this.total(now)), resetMs: this.resetMs(now, nowMs) };
  }

  /** Seconds until at least `needed` frees up in the window (at least 1). */
  retryAfter(now: number, limit: number, needed: number): number {
    let total = this.total(now);
    for (let wait = 1; wait <= WINDOW_SECONDS; wait++) {
      const leaving = now - WINDOW_SECONDS + wait;
      const i = ((leaving % WINDOW_SECONDS) + WINDOW_SECONDS) % WINDOW_SECONDS;
      if (this.stamps[i] === leaving) total -= this.buckets[i]!;
      if (total + needed <= limit) return wait;
    }
    return WINDOW_SECONDS;
  }
}

export class LocalRateLimiter implements RateLimiter {
  private readonly requests = new Map<string, Window>();
  private readonly tokens = new Map<string, Window>();

  constructor(private readonly clock: () => number = Date.now) {}

  private window(map: Map<string, Window>, keyId: string): Window {
    let window = map.get(keyId);
    if (!window) {
      window = new Window();
      map.set(keyId, window);
    }
    return window;
  }

  async admit(keyId: string, limits: RateLimits, tokens: number): Promise<RateState> {
    const nowMs = this.clock();
    const now = Math.floor(nowMs / 1000);
    const requests = limits.rpm === null ? undefined : this.window(this.requests, keyId);
    const used = limits.tpm === null ? undefined : this.window(this.tokens, keyId);
    // Where the windows stand, as a refusal tells it (nothing of this request counted).
    const standing = () => {
      const state: RateState = {};
      if (requests && limits.rpm !== null) state.requests = requests.state(now, nowMs, limits.rpm);
      if (used && limits.tpm !== null) state.tokens = used.state(now, nowMs, limits.tpm);
      return rateLimitHeaders(state);
    };
    if (requests && limits.rpm !== null && requests.total(now) + 1 > limits.rpm) {
      throw rateLimited(
        `Rate limit reached: this key allows ${limits.rpm} requests per minute.`,
        requests.retryAfter(now, limits.rpm, 1),
        standing(),
      );
    }
    if (used && limits.tpm !== null) {
      const needed = Math.min(tokens, limits.tpm);
      if (used.total(now) + needed > limits.tpm) {
        throw rateLimited(
          `Rate limit reached: this key allows ${limits.tpm} tokens per minute.`,
          used.retryAfter(now, limits.tpm, needed),
          standing(),
        );
      }
      used.add(now, tokens);
    }
    requests?.add(now, 1);
    const state: RateState = {};
    if (requests && limits.rpm !== null) state.requests = requests.state(now, nowMs, limits.rpm);
    if (used && limits.tpm !== null) state.tokens = used.state(now, nowMs, limits.tpm);
    return state;
  }

  adjust(keyId: string, estimated: number, actual: number): void {
    const window = this.tokens.get(keyId);
    if (window && actual !== estimated) window.add(Math.floor(this.clock() / 1000), actual - estimated);
  }
}
