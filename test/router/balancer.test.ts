// The order of deployments: fallback keeps the configured order; weighted draws two by weight (with
// replacement) and takes the better by health score; open circuits go last (panic rule).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { drawWeighted, orderCandidates } from '../../src/router/balancer.js';
import { HealthBoard } from '../../src/router/health.js';
import { FakeClock, seeded } from './fake-clock.js';

const settings = {
  circuit: { consecutiveFailures: 2, errorRatio: 0.5, minRequests: 100, windowMs: 60_000, cooldownMs: 1_000 },
  latencyHalfLifeMs: 10_000,
};

function setup(seed = 7) {
  const clock = new FakeClock(seeded(seed));
  return { clock, health: new HealthBoard(settings, clock) };
}

const ids = (list: Array<{ id: string }>) => list.map((c) => c.id);

function trip(health: HealthBoard, id: string) {
  for (let i = 0; i < 2; i++) {
    health.began(id);
    health.failed(id);
  }
}

describe('drawWeighted', () => {
  test('maps the unit interval onto the weights', () => {
    const items = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 3 },
    ];
    assert.equal(drawWeighted(items, 0), 0);
    assert.equal(drawWeighted(items, 0.249), 0);
    assert.equal(drawWeighted(items, 0.25), 1);
    assert.equal(drawWeighted(items, 0.999), 1);
  });
});

describe('orderCandidates', () => {
  const three = [
    { id: 'a', weight: 1 },
    { id: 'b', weight: 1 },
    { id: 'c', weight: 1 },
  ];

  test('fallback keeps the configured order, open circuits last, soonest to reopen first', () => {
    const { clock, health } = setup();
    assert.deepEqual(ids(orderCandidates('fallback', three, health, clock)), ['a', 'b', 'c']);
    trip(health, 'b');
    clock.advance(500);
    trip(health, 'a');
    assert.deepEqual(ids(orderCandidates('fallback', three, health, clock)), ['c', 'b', 'a']);
    clock.advance(500);
    // b's cooldown is over: half-open, available for its probe.
    assert.deepEqual(ids(orderCandidates('fallback', three, health, clock)), ['b', 'c', 'a']);
  });

  test('weighted: with equal health, traffic follows the weights', () => {
    const { clock, health } = setup(3);
    const weighted = [
      { id: 'a', weight: 3 },
      { id: 'b', weight: 1 },
    ];
    const firsts = { a: 0, b: 0 };
    // Equal scores: p2c keeps the first of the two draws, so the first draw decides.
    for (let i = 0; i < 4_000; i++)
      firsts[orderCandidates('weighted', weighted, health, clock)[0]!.id as 'a' | 'b']++;
    const share = firsts.a / 4_000;
    assert.ok(Math.abs(share - 0.75) < 0.03, `a served ${share}`);
  });

  test('weighted: power of two choices prefers the lower latency × load', () => {
    const { clock, health } = setup(5);
    for (const [id, ms] of [
      ['a', 50],
      ['b', 500],
      ['c', 5_000],
    ] as const) {
      health.began(id);
      health.succeeded(id, ms);
    }
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3_000; i++) firsts[orderCandidates('weighted', three, health, clock)[0]!.id]! += 1;
    // Two draws with replacement from three equal weights: a is drawn at least once 5/9 of the time and
    // then always wins; c wins only when drawn twice (1/9).
    assert.ok(Math.abs(firsts.a! / 3_000 - 5 / 9) < 0.04, JSON.stringify(firsts));
    assert.ok(Math.abs(firsts.c! / 3_000 - 1 / 9) < 0.03, JSON.stringify(firsts));
    // Load counts too: a busy fast deployment loses to an idle one unless it is drawn twice (1/4).
    for (let i = 0; i < 20; i++) health.began('a');
    let busyFirst = 0;
    for (let i = 0; i < 2_000; i++) {
      if (orderCandidates('weighted', [three[0]!, three[1]!], health, clock)[0]!.id === 'a') busyFirst += 1;
    }
    assert.ok(Math.abs(busyFirst / 2_000 - 0.25) < 0.04, `busy a first ${busyFirst}`);
  });

  test('weighted: every candidate is in the order once, open circuits last', () => {
    const { clock, health } = setup(11);
    trip(health, 'b');
    for (let i = 0; i < 200; i++) {
      const order = ids(orderCandidates('weighted', three, health, clock));
      assert.equal(order.length, 3);
      assert.equal(new Set(order).size, 3);
      assert.equal(order[2], 'b');
    }
  });
});
