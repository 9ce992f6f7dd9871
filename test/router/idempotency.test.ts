// The idempotency store on a fake clock: replay within the window, expiry, the entry bound, a concurrent
// duplicate waiting for the first, 409 for another body, and failures not kept.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import {
  type Claim,
  fingerprint,
  IdempotencyStore,
  type StoredResponse,
} from '../../src/router/idempotency.js';
import { FakeClock } from './fake-clock.js';

const answer: StoredResponse = {
  status: 200,
  headers: { 'x-tokgate-provider': 'a' },
  body: '{"id":"chatcmpl-1"}',
};
const live = () => new AbortController().signal;

function owner(claim: Claim) {
  assert.equal(claim.kind, 'owner');
  return claim as Extract<Claim, { kind: 'owner' }>;
}

describe('idempotency store', () => {
  test('replays the first answer within the window, then forgets it', async () => {
    const clock = new FakeClock();
    const store = new IdempotencyStore({ windowMs: 60_000, maxEntries: 10 }, clock);
    const print = fingerprint({ model: 'm', messages: [] });
    owner(await store.claim('key_1', 'k', print, live())).complete(answer);
    clock.advance(59_999);
    assert.deepEqual(await store.claim('key_1', 'k', print, live()), { kind: 'replay', response: answer });
    clock.advance(1);
    assert.equal((await store.claim('key_1', 'k', print, live())).kind, 'owner');
  });

  test('keys are scoped by principal', async () => {
    const store = new IdempotencyStore({ windowMs: 60_000, maxEntries: 10 }, new FakeClock());
    owner(await store.claim('key_1', 'k', 'p', live())).complete(answer);
    assert.equal((await store.claim('key_2', 'k', 'p', live())).kind, 'owner');
  });

  test('another body with the same key is a 409', async () => {
    const store = new IdempotencyStore({ windowMs: 60_000, maxEntries: 10 }, new FakeClock());
    owner(await store.claim('key_1', 'k', 'p1', live())).complete(answer);
    await assert.rejects(store.claim('key_1', 'k', 'p2', live()), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 409);
      assert.equal(error.code, 'idempotency_key_reused');
      return true;
    });
  });

  test('a concurrent duplicate waits for the first and replays it; after a failure it runs itself', async () => {
    const store = new IdempotencyStore({ windowMs: 60_000, maxEntries: 10 }, new FakeClock());
    const first = owner(await store.claim('key_1', 'k', 'p', live()));
    const waiting = store.claim('key_1', 'k', 'p', live());
    first.complete(answer);
    assert.deepEqual(await waiting, { kind: 'replay', response: answer });

    const failing = owner(await store.claim('key_1', 'k2', 'p', live()));
    const second = store.claim('key_1', 'k2', 'p', live());
    failing.abandon();
    assert.equal((await second).kind, 'owner');
  });

  test('a waiting client that leaves stops waiting', async () => {
    const store = new IdempotencyStore({ windowMs: 60_000, maxEntries: 10 }, new FakeClock());
    owner(await store.claim('key_1', 'k', 'p', live()));
    const controller = new AbortController();
    const waiting = store.claim('key_1', 'k', 'p', controller.signal);
    controller.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
  });

  test('holds at most maxEntries answers, dropping the oldest', async () => {
    const store = new IdempotencyStore({ windowMs: 60_000, maxEntries: 3 }, new FakeClock());
    for (const key of ['k1', 'k2', 'k3', 'k4', 'k5'])
      owner(await store.claim('s', key, 'p', live())).complete(answer);
    assert.equal(store.size, 3);
    assert.equal((await store.claim('s', 'k1', 'p', live())).kind, 'owner');
    assert.equal((await store.claim('s', 'k5', 'p', live())).kind, 'replay');
  });

  test('past the bound the oldest answer goes first, also when it was replayed', async () => {
    const store = new IdempotencyStore({ windowMs: 60_000, maxEntries: 2 }, new FakeClock());
    owner(await store.claim('s', 'k1', 'p', live())).complete(answer);
    owner(await store.claim('s', 'k2', 'p', live())).complete(answer);
    assert.equal((await store.claim('s', 'k1', 'p', live())).kind, 'replay');
    owner(await store.claim('s', 'k3', 'p', live())).complete(answer);
    assert.equal((await store.claim('s', 'k2', 'p', live())).kind, 'replay');
    assert.equal((await store.claim('s', 'k3', 'p', live())).kind, 'replay');
    assert.equal((await store.claim('s', 'k1', 'p', live())).kind, 'owner');
  });

  test('requests still running count toward the bound but are never dropped for it', async () => {
    const store = new IdempotencyStore({ windowMs: 60_000, maxEntries: 2 }, new FakeClock());
    const first = owner(await store.claim('s', 'running', 'p', live()));
    for (const key of ['k1', 'k2', 'k3']) owner(await store.claim('s', key, 'p', live())).complete(answer);
    assert.equal(store.size, 2);
    assert.equal((await store.claim('s', 'k3', 'p', live())).kind, 'replay');
    const waiting = store.claim('s', 'running', 'p', live());
    first.complete(answer);
    assert.deepEqual(await waiting, { kind: 'replay', response: answer });
  });

  test('a one-millisecond window', async () => {
    const clock = new FakeClock();
    const store = new IdempotencyStore({ windowMs: 1, maxEntries: 10 }, clock);
    owner(await store.claim('s', 'k', 'p', live())).complete(answer);
    assert.equal((await store.claim('s', 'k', 'p', live())).kind, 'replay');
    clock.advance(1);
    owner(await store.claim('s', 'k', 'p', live())).complete(answer);
    assert.equal(
      (await store.claim('s', 'k', 'p', live())).kind,
      'replay',
      'the new answer replaces the old',
    );
  });

  test('rejects keys that are not short printable strings', () => {
    assert.equal(IdempotencyStore.parseKey(undefined), undefined);
    assert.equal(IdempotencyStore.parseKey('abc-123'), 'abc-123');
    assert.throws(() => IdempotencyStore.parseKey('x'.repeat(256)), /Idempotency-Key/);
    assert.throws(() => IdempotencyStore.parseKey('has space'), /Idempotency-Key/);
  });
});
