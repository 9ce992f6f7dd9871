// The slot board on its own: slots per deployment, the FIFO queue (granted in order, bounded, left by those
// who give up), per-deployment limits, and the retry budget's arithmetic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SlotBoard } from '../../src/router/slots.js';

const board = (over: Partial<ConstructorParameters<typeof SlotBoard>[0]> = {}) =>
  new SlotBoard(
    { maxInFlight: 2, maxQueued: 2, queueTimeoutMs: 1_000, perDeployment: {}, ...over },
    { percent: 20, minConcurrency: 3 },
  );

describe('slots', () => {
  test('free slots are taken by counting; then calls queue, and are granted in order', () => {
    const slots = board();
    assert.equal(slots.tryAcquire('a/m'), true);
    assert.equal(slots.tryAcquire('a/m'), true);
    assert.equal(slots.tryAcquire('a/m'), false);
    // Another deployment has its own slots.
    assert.equal(slots.tryAcquire('b/m'), true);
    const granted: string[] = [];
    assert.ok(slots.enqueue('a/m', () => granted.push('first')));
    assert.ok(slots.enqueue('a/m', () => granted.push('second')));
    assert.deepEqual(slots.snapshot('a/m'), { id: 'a/m', max: 2, inFlight: 2, queued: 2, retries: 0 });
    slots.release('a/m');
    assert.deepEqual(granted, ['first']);
    // The slot went to the waiter: still two in flight, one waiting, and no overtaking the queue.
    assert.deepEqual([slots.snapshot('a/m').inFlight, slots.snapshot('a/m').queued], [2, 1]);
    slots.release('a/m');
    assert.deepEqual(granted, ['first', 'second']);
    slots.release('a/m');
    assert.equal(slots.tryAcquire('a/m'), true);
  });

  test('a full queue takes nobody; a queue of 0 means no waiting at all', () => {
    const slots = board();
    slots.tryAcquire('a/m');
    slots.tryAcquire('a/m');
    assert.ok(slots.enqueue('a/m', () => undefined));
    assert.ok(slots.enqueue('a/m', () => undefined));
    assert.equal(
      slots.enqueue('a/m', () => undefined),
      undefined,
    );

    const none = board({ maxQueued: 0, maxInFlight: 1 });
    none.tryAcquire('a/m');
    assert.equal(
      none.enqueue('a/m', () => undefined),
      undefined,
    );
  });

  test('a waiter who leaves frees its place; one granted just before leaving passes its slot on', () => {
    const slots = board({ maxInFlight: 1 });
    slots.tryAcquire('a/m');
    const granted: string[] = [];
    const first = slots.enqueue('a/m', () => granted.push('first'))!;
    slots.enqueue('a/m', () => granted.push('second'));
    slots.leave('a/m', first);
    slots.leave('a/m', first);
    assert.equal(slots.snapshot('a/m').queued, 1);
    assert.ok(slots.enqueue('a/m', () => granted.push('third')));
    slots.release('a/m');
    assert.deepEqual(granted, ['second']);

    slots.release('a/m');
    const fourth = slots.enqueue('a/m', () => granted.push('fourth'))!;
    assert.ok(slots.enqueue('a/m', () => granted.push('fifth')));
    slots.release('a/m');
    assert.deepEqual(granted, ['second', 'third', 'fourth']);
    // Granted, then gone before using it: the slot goes to the next in line.
    slots.leave('a/m', fourth);
    assert.deepEqual(granted, ['second', 'third', 'fourth', 'fifth']);
    slots.release('a/m');
    assert.deepEqual([slots.snapshot('a/m').inFlight, slots.snapshot('a/m').queued], [0, 0]);
  });

  test('a deployment named with its own max_in_flight has that limit', () => {
    const slots = board({ perDeployment: { 'a/big': 3 } });
    assert.equal(slots.snapshot('a/big').max, 3);
    assert.equal(slots.snapshot('a/other').max, 2);
  });

  test('retries at once: the minimum, or the percentage of the active requests when that is more', () => {
    const slots = board({ maxInFlight: 100, maxQueued: 100 });
    for (let i = 0; i < 3; i++) {
      assert.equal(slots.retryAllowed('a/m'), true);
      slots.retryBegan('a/m');
    }
    assert.equal(slots.retryAllowed('a/m'), false, 'the minimum of 3 is spent');
    slots.retryEnded('a/m');
    assert.equal(slots.retryAllowed('a/m'), true);
    slots.retryBegan('a/m');
    // 25 active requests: 20 % is 5 retries at once.
    for (let i = 0; i < 25; i++) slots.tryAcquire('a/m');
    slots.retryBegan('a/m');
    slots.retryBegan('a/m');
    assert.equal(slots.retryAllowed('a/m'), false);
    slots.retryEnded('a/m');
    assert.equal(slots.retryAllowed('a/m'), true);
  });
});
