// The rate limiter's 60-second window keeps its total and newest busy second up to date as it counts,
// instead of looping over its buckets on every admission. Checked against the plain loops it replaced, over
// random admissions, adjustments (up and down, to zero and below), quiet minutes and a clock set back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Window } from '../../src/limits/rate-limiter.js';

const SECONDS = 60;

/** The window as it was: every answer a loop over the buckets. */
class LoopWindow {
  private readonly buckets = new Float64Array(SECONDS);
  private readonly stamps = new Float64Array(SECONDS);

  total(now: number): number {
    let sum = 0;
    for (let i = 0; i < SECONDS; i++) if (now - this.stamps[i]! < SECONDS) sum += this.buckets[i]!;
    return sum;
  }

  add(now: number, amount: number): void {
    const i = now % SECONDS;
    if (this.stamps[i] !== now) {
      this.stamps[i] = now;
      this.buckets[i] = 0;
    }
    this.buckets[i]! += amount;
  }

  resetMs(now: number, nowMs: number): number {
    let newest = -1;
    for (let i = 0; i < SECONDS; i++)
      if (now - this.stamps[i]! < SECONDS && this.buckets[i]! > 0 && this.stamps[i]! > newest)
        newest = this.stamps[i]!;
    return newest < 0 ? 0 : Math.max(0, (newest + SECONDS) * 1000 - nowMs);
  }
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('the kept total and reset time always equal the loops over the buckets', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const next = random(seed);
    const kept = new Window();
    const loop = new LoopWindow();
    let nowMs = 1_790_000_000_000 + Math.floor(next() * 1e6);
    for (let step = 0; step < 4000; step++) {
      const roll = next();
      if (roll < 0.3)
        nowMs += Math.floor(next() * 1500); // within the second or the next
      else if (roll < 0.33)
        nowMs += Math.floor(next() * 130_000); // a quiet minute or two
      else if (roll < 0.35) nowMs -= Math.floor(next() * 20_000); // the clock set back
      const now = Math.floor(nowMs / 1000);
      const context = `seed ${seed}, step ${step}`;
      const what = next();
      // An admission (a request, or its tokens), an adjustment up or down (as `adjust` makes, possibly
      // seconds after the admission was asked about), or a question about this second or another.
      if (what < 0.3) {
        kept.add(now, 1);
        loop.add(now, 1);
      } else if (what < 0.45) {
        const tokens = Math.floor(next() * 5000);
        kept.add(now, tokens);
        loop.add(now, tokens);
      } else if (what < 0.6) {
        const change = Math.floor(next() * 4000) - 3000;
        kept.add(now, change);
        loop.add(now, change);
      } else {
        const asked = now + Math.floor(next() * 140) - 70;
        const askedMs = asked * 1000 + Math.floor(next() * 1000);
        assert.equal(kept.total(asked), loop.total(asked), `${context}: total at ${asked - now}`);
        assert.equal(
          kept.resetMs(asked, askedMs),
          loop.resetMs(asked, askedMs),
          `${context}: reset at ${asked - now}`,
        );
      }
      if (next() < 0.5) {
        assert.equal(kept.total(now), loop.total(now), context);
        assert.equal(kept.resetMs(now, nowMs), loop.resetMs(now, nowMs), context);
      }
    }
  }
});
