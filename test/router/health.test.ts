// Circuit breaking and the latency estimate, on a fake clock: consecutive failures and the error ratio open
// the circuit, the cooldown ends in a half-open state that lets exactly one probe through, and the probe's
// outcome closes or reopens it. Retry-After cools a deployment for as long as it asked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HealthBoard, type HealthSettings } from '../../src/router/health.js';
import { FakeClock } from './fake-clock.js';

const settings: HealthSettings = {
  circuit: { consecutiveFailures: 3, errorRatio: 0.5, minRequests: 10, windowMs: 10_000, cooldownMs: 5_000 },
  latencyHalfLifeMs: 1_000,
};

function board() {
  const clock = new FakeClock();
  return { clock, health: new HealthBoard(settings, clock) };
}

function fail(health: HealthBoard, id: string, times = 1, retryAfterMs?: number) {
  for (let i = 0; i < times; i++) {
    health.began(id);
    health.failed(id, retryAfterMs);
  }
}

function succeed(health: HealthBoard, id: string, ms = 100, times = 1) {
  for (let i = 0; i < times; i++) {
    health.began(id);
    health.succeeded(id, ms);
  }
}

describe('circuit breaker', () => {
  test('opens after N consecutive failures; a success in between resets the count', () => {
    const { health } = board();
    fail(health, 'a', 2);
    succeed(health, 'a');
    fail(health, 'a', 2);
    assert.equal(health.state('a'), 'closed');
    fail(health, 'a');
    assert.equal(health.state('a'), 'open');
    assert.equal(health.available('a'), false);
    assert.equal(health.acquire('a'), false);
  });

  test('after the cooldown one probe goes through; its success closes the circuit', () => {
    const { clock, health } = board();
    fail(health, 'a', 3);
    clock.advance(4_999);
    assert.equal(health.state('a'), 'open');
    clock.advance(1);
    assert.equal(health.state('a'), 'half-open');
    assert.equal(health.available('a'), true);
    assert.equal(health.acquire('a'), true, 'the probe');
    assert.equal(health.acquire('a'), false, 'only one probe at a time');
    assert.equal(health.available('a'), false);
    health.began('a');
    health.succeeded('a', 50);
    assert.equal(health.state('a'), 'closed');
    assert.equal(health.acquire('a'), true);
    assert.equal(health.acquire('a'), true);
  });

  test('a failed probe opens it for another cooldown', () => {
    const { clock, health } = board();
    fail(health, 'a', 3);
    clock.advance(5_000);
    assert.equal(health.acquire('a'), true);
    fail(health, 'a');
    assert.equal(health.state('a'), 'open');
    assert.equal(health.reopensAt('a'), clock.now() + 5_000);
    clock.advance(5_000);
    assert.equal(health.state('a'), 'half-open');
  });

  test('a probe that ends without a verdict (client gone) frees the probe slot', () => {
    const { clock, health } = board();
    fail(health, 'a', 3);
    clock.advance(5_000);
    assert.equal(health.acquire('a'), true);
    health.began('a');
    health.released('a');
    assert.equal(health.state('a'), 'half-open');
    assert.equal(health.acquire('a'), true);
  });

  test('the error ratio over the window opens it, once enough requests were seen', () => {
    const { health } = board();
    // Alternating failures never make 3 in a row, but half of the window fails.
    for (let i = 0; i < 4; i++) {
      fail(health, 'a');
      succeed(health, 'a');
    }
    assert.equal(health.state('a'), 'closed', '8 requests: below min_requests');
    fail(health, 'a');
    succeed(health, 'a');
    assert.equal(health.state('a'), 'closed', 'the last outcome was a success');
    fail(health, 'a');
    assert.equal(health.state('a'), 'open', '6 failures out of 11');

    // Old outcomes leave the window.
    const other = board();
    for (let i = 0; i < 5; i++) {
      fail(other.health, 'b');
      succeed(other.health, 'b');
    }
    other.clock.advance(10_001);
    fail(other.health, 'b');
    assert.equal(other.health.state('b'), 'closed');
  });

  test('the window keeps the latest 1,000 outcomes: older failures stop counting', () => {
    const clock = new FakeClock();
    // A ratio threshold the test never reaches, so the circuit stays closed and the window is never reset.
    const health = new HealthBoard({ ...settings, circuit: { ...settings.circuit, errorRatio: 0.9 } }, clock);
    // 400 failures in pairs (never 3 in a row), each pair followed by 2 successes, then 1,200 successes.
    for (let i = 0; i < 200; i++) {
      fail(health, 'a', 2);
      succeed(health, 'a', 100, 2);
    }
    assert.equal(health.snapshot('a').errorRatio, 0.5);
    succeed(health, 'a', 100, 1_200);
    assert.equal(health.snapshot('a').errorRatio, 0, 'the failures were pushed out by newer outcomes');
    fail(health, 'a', 2);
    assert.equal(health.snapshot('a').errorRatio, 2 / 1_000);
    clock.advance(10_001);
    assert.equal(health.snapshot('a').errorRatio, 0, 'and by time');
  });

  test("a 429's Retry-After cools the deployment for that long, then a probe is let through", () => {
    const { clock, health } = board();
    fail(health, 'a', 1, 2_000);
    assert.equal(health.state('a'), 'open');
    assert.equal(health.reopensAt('a'), clock.now() + 2_000);
    clock.advance(2_000);
    assert.equal(health.state('a'), 'half-open');
  });

  test('deployments are independent', () => {
    const { health } = board();
    fail(health, 'a', 3);
    assert.equal(health.state('a'), 'open');
    assert.equal(health.state('b'), 'closed');
  });
});

describe('latency estimate', () => {
  test('an average that weighs a sample by the time since the last one, at least 1/5', () => {
    const { clock, health } = board();
    succeed(health, 'a', 100);
    assert.equal(health.snapshot('a').latencyMs, 100);
    // Right after the last sample: weight 0.2.
    succeed(health, 'a', 600);
    assert.equal(health.snapshot('a').latencyMs, 200);
    clock.advance(1_000);
    // One half-life later the estimate has decayed to 100 and the new sample weighs 1/2.
    succeed(health, 'a', 300);
    assert.equal(Math.round(health.snapshot('a').latencyMs!), 200);
  });

  test('decays toward zero while no samples come, so a slow deployment gets tried again', () => {
    const { clock, health } = board();
    succeed(health, 'a', 800);
    clock.advance(2_000);
    assert.equal(Math.round(health.snapshot('a').latencyMs!), 200);
  });

  test('the score grows with latency, load in flight and the error ratio', () => {
    const { health } = board();
    succeed(health, 'fast', 10);
    succeed(health, 'slow', 500);
    assert.ok(health.score('fast') < health.score('slow'));
    const idle = health.score('fast');
    health.began('fast');
    health.began('fast');
    assert.ok(health.score('fast') > 2 * idle, 'two requests in flight');
    health.released('fast');
    health.released('fast');
    succeed(health, 'flaky', 10);
    fail(health, 'flaky');
    assert.ok(health.score('flaky') > health.score('fast'));
    assert.ok(health.score('never-seen') < health.score('fast'), 'unmeasured deployments get tried');
  });
});
