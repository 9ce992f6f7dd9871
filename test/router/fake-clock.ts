// A clock for tests: time moves only when told (or when something sleeps), and chance is a fixed sequence
// or a seeded generator.
import type { Clock } from '../../src/core/clock.js';

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FakeClock implements Clock {
  time = 1_000_000;
  readonly slept: number[] = [];

  constructor(private readonly chance: () => number = seeded(1)) {}

  now(): number {
    return this.time;
  }

  random(): number {
    return this.chance();
  }

  advance(ms: number): void {
    this.time += ms;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.slept.push(ms);
    this.time += ms;
  }
}
