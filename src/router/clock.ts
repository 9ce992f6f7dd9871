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
