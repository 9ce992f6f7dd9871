// Fleet-wide rate limits (REDIS_URL): the same sliding 60-second window of one-second buckets as the local
// limiter, kept in two Redis hashes per key (field = second, value = requests or tokens), decided by one Lua
// script per request, so check-and-count is atomic across every replica and the clock is Redis's own.
//
// When Redis cannot be reached, limits fail open: the request is admitted by this replica's local limiter
// (so a fleet of N replicas admits at most N times the limit while Redis is away) and a metric counts it.
import { readFileSync } from 'node:fs';
import type { Counter } from 'prom-client';
import { rateLimited } from '../core/errors.js';
import type { RedisHub } from '../store/redis.js';
import {
  LocalRateLimiter,
  type RateLimiter,
  type RateLimits,
  type RateState,
  rateLimitHeaders,
} from './rate-limiter.js';

// The Lua scripts (KEYS and ARGV are documented in each file), read once when this module loads: beside
// this file in src/, copied into dist/ by scripts/copy-assets.mjs.
const ADMIT = readFileSync(new URL('./lua/admit.lua', import.meta.url), 'utf8');
const ADJUST = readFileSync(new URL('./lua/adjust.lua', import.meta.url), 'utf8');
/** The scripts' sources, for the fleet wallet's scripts that run them inside its own (one round trip). */
export const RATE_SCRIPTS = { admit: ADMIT, adjust: ADJUST };

/** Token corrections taken to be sent (see `takeCorrections`). */
export interface Corrections {
  keyIds: string[];
  keys: string[];
  deltas: number[];
}

export class RedisRateLimiter implements RateLimiter {
  private readonly admitScript;
  private readonly adjustScript;
  private readonly fallback = new LocalRateLimiter();
  /** Token corrections of this event-loop turn, per key: sent together once it ends (one script call). */
  private readonly corrections = new Map<string, number>();

  constructor(
    private readonly redis: RedisHub,
    private readonly failOpen: Counter<'op'>,
  ) {
    this.admitScript = redis.script(ADMIT);
    this.adjustScript = redis.script(ADJUST);
  }

  /** The key's two windows (requests, tokens): the admission script's KEYS. */
  windows(keyId: string): [string, string] {
    return [this.redis.key('rl', keyId, 'r'), this.redis.key('rl', keyId, 't')];
  }

  /** The admission script's ARGV for a request expected to use `tokens`. */
  ask(limits: RateLimits, tokens: number): Array<string | number> {
    return [limits.rpm ?? '', limits.tpm ?? '', tokens];
  }

  async admit(keyId: string, limits: RateLimits, tokens: number): Promise<RateState> {
    let outcome: unknown;
    try {
      outcome = await this.redis.run(this.admitScript, this.windows(keyId), this.ask(limits, tokens));
    } catch {
      this.failOpen.inc({ op: 'admit' });
      return this.fallback.admit(keyId, limits, tokens);
    }
    return this.answer(limits, outcome);
  }

  /** What admit.lua answered: where the windows stand, or the 429 of the refused window (thrown). */
  answer(limits: RateLimits, outcome: unknown): RateState {
    const [which, retryAfter, requestsUsed, requestsResetMs, tokensUsed, tokensResetMs] = Array.isArray(
      outcome,
    )
      ? (outcome as number[])
      : [0, 0];
    const window = (limit: number, used: number | undefined, resetMs: number | undefined) => ({
      limit,
      remaining: Math.max(0, limit - (used ?? 0)),
      resetMs: resetMs ?? 0,
    });
    // A refusal tells the refused window (its used count and reset come third and fourth).
    if (which === 1 && limits.rpm !== null)
      throw rateLimited(
        `Rate limit reached: this key allows ${limits.rpm} requests per minute.`,
        retryAfter ?? 1,
        rateLimitHeaders({ requests: window(limits.rpm, requestsUsed, requestsResetMs) }),
      );
    if (which === 2 && limits.tpm !== null)
      throw rateLimited(
        `Rate limit reached: this key allows ${limits.tpm} tokens per minute.`,
        retryAfter ?? 1,
        rateLimitHeaders({ tokens: window(limits.tpm, requestsUsed, requestsResetMs) }),
      );
    const state: RateState = {};
    if (limits.rpm !== null) state.requests = window(limits.rpm, requestsUsed, requestsResetMs);
    if (limits.tpm !== null) state.tokens = window(limits.tpm, tokensUsed, tokensResetMs);
    return state;
  }

  adjust(keyId: string, estimated: number, actual: number): void {
    if (actual === estimated) return;
    if (this.corrections.size === 0) setImmediate(this.sendCorrections);
    this.corrections.set(keyId, (this.corrections.get(keyId) ?? 0) + actual - estimated);
  }

  /**
   * The corrections of this turn not sent yet, as adjust.lua's KEYS and ARGV, taken away: the wallet sends
   * them with its own settles, in one script (`lost` if that fails).
   */
  takeCorrections(): Corrections {
    const corrections = [...this.corrections].filter(([, delta]) => delta !== 0);
    this.corrections.clear();
    return {
      keyIds: corrections.map(([keyId]) => keyId),
      keys: corrections.map(([keyId]) => this.redis.key('rl', keyId, 't')),
      deltas: corrections.map(([, delta]) => delta),
    };
  }

  /** Corrections Redis did not take: counted by this replica's own limiter, as limits fail open. */
  lost(corrections: Corrections): void {
    this.failOpen.inc({ op: 'adjust' });
    corrections.keyIds.forEach((keyId, i) => {
      this.fallback.adjust(keyId, 0, corrections.deltas[i]!);
    });
  }

  private readonly sendCorrections = () => {
    const corrections = this.takeCorrections();
    if (corrections.keys.length === 0) return;
    this.redis
      .run(this.adjustScript, corrections.keys, corrections.deltas)
      .catch(() => this.lost(corrections));
  };
}
