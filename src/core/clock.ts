// Time and chance, injected: backoff, cooldowns and load balancing take these so tests can use fake ones.
import { setTimeout as sleepTimer } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds, monotonic enough for durations (Date.now() in production). */
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
  /** Resolves after `ms`, or rejects at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: async (ms, signal) => {
    if (ms > 0) await sleepTimer(ms, undefined, { signal });
    else signal.throwIfAborted();
  },
};

/**
 * Options that make an LRUCache (lru-cache) read time from `now`. `ttlResolution: 0`: else it reuses a
 * reading for a millisecond of real time, with a timer per reading (slow, and blind to a fake clock's
 * steps). `now` must not read 0: lru-cache takes an entry stored at 0 for one without a TTL.
 */
export const lruClock = (now: () => number) => ({ perf: { now }, ttlResolution: 0 });

/**
 * The lru-cache `ttl` of an entry that expires once `ms` have passed: lru-cache keeps an entry while its age
 * is at most its ttl, ours expire when the age reaches `ms` (on whole-millisecond clocks; an entry's ttl
 * need not be whole).
 */
export const lruTtl = (ms: number) => ms - 0.5;
