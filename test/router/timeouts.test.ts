// The signals an attempt runs under: the client's side of a request (ClientAbort: listeners, and a real
// AbortSignal only on demand), and the attempt's TimedSignal that follows it, carries the timers and is the
// provider's CallSignal (undici listens on it).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import {
  ClientAbort,
  nextOrAbort,
  settleOrAbort,
  TimedSignal,
  upstreamTimeout,
} from '../../src/router/timeouts.js';
import { testHttpClient } from '../support/http.js';

const never = () => new Promise<never>(() => undefined);

describe('ClientAbort', () => {
  test('aborts once: listeners fire once, in order, and a removed one not at all', () => {
    const client = new ClientAbort();
    const heard: string[] = [];
    const removed = () => heard.push('removed');
    client.addEventListener('abort', () => heard.push('first'));
    client.addEventListener('abort', removed);
    client.addEventListener('abort', () => heard.push('second'));
    client.removeEventListener('abort', removed);
    client.abort();
    client.abort(new Error('again'));
    assert.deepEqual(heard, ['first', 'second']);
    assert.equal(client.aborted, true);
    assert.equal((client.reason as DOMException).name, 'AbortError');
  });

  test('its AbortSignal, asked for before or after the abort, is aborted with the same reason', () => {
    const before = new ClientAbort();
    const early = before.signal;
    const reason = new Error('gone');
    before.abort(reason);
    assert.equal(early.aborted, true);
    assert.equal(early.reason, reason);

    const after = new ClientAbort();
    after.abort(reason);
    assert.equal(after.signal.aborted, true);
    assert.equal(after.signal.reason, reason);
  });
});

describe('TimedSignal', () => {
  test('follows the client: aborts with its reason, and tells its own listeners', () => {
    const client = new ClientAbort();
    const timer = new TimedSignal(client);
    let told = 0;
    timer.addEventListener('abort', () => told++);
    const reason = new Error('client gone');
    client.abort(reason);
    assert.equal(timer.aborted, true);
    assert.equal(timer.reason, reason);
    assert.equal(told, 1);
  });

  test('made for a client already gone: born aborted', () => {
    const client = new ClientAbort();
    client.abort();
    assert.equal(new TimedSignal(client).aborted, true);
  });

  test('once disposed, no longer follows the client', () => {
    const client = new ClientAbort();
    const timer = new TimedSignal(client);
    timer.dispose();
    client.abort();
    assert.equal(timer.aborted, false);
  });

  test('an armed timer aborts with its timeout; the limit wins when it comes first', async () => {
    const timer = new TimedSignal(new ClientAbort());
    timer.arm(5, () => upstreamTimeout('openai', 'response', 5));
    await settleOrAbort(never(), timer).then(
      () => assert.fail('should have timed out'),
      (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.code, 'upstream_timeout');
        assert.match(error.message, /response timeout/);
      },
    );

    const limited = new TimedSignal(new ClientAbort(), {
      at: performance.now() + 5,
      reason: () => upstreamTimeout('openai', 'total', 5),
    });
    limited.arm(60_000, () => upstreamTimeout('openai', 'idle', 60_000));
    await assert.rejects(settleOrAbort(never(), limited), /total timeout/);
  });

  test('a disarmed timer does not fire', async () => {
    const timer = new TimedSignal(new ClientAbort());
    timer.arm(5, () => upstreamTimeout('openai', 'idle', 5));
    timer.disarm();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(timer.aborted, false);
    timer.dispose();
  });
});

describe('waiting under a TimedSignal', () => {
  test('settleOrAbort passes the answer through and leaves no listener behind', async () => {
    /** A promise that counts the `catch` calls made on it: an abort listener left behind would make one. */
    class Watched<T> extends Promise<T> {
      static override get [Symbol.species]() {
        return Promise;
      }
      catches = 0;
      override catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null) {
        this.catches += 1;
        return super.catch(onRejected);
      }
    }
    const client = new ClientAbort();
    const timer = new TimedSignal(client);
    const answered = new Watched<number>((resolve) => resolve(42));
    const failed = new Watched<number>((_, reject) => reject(new Error('upstream')));
    assert.equal(await settleOrAbort(answered, timer), 42);
    await assert.rejects(settleOrAbort(failed, timer), /upstream/);
    client.abort();
    assert.equal(answered.catches, 0);
    assert.equal(failed.catches, 0);

    // While a wait is pending, the abort does reach it.
    const pending = new Watched<number>(() => undefined);
    const other = new TimedSignal(new ClientAbort());
    const wait = settleOrAbort(pending, other);
    other.abort(new Error('timed out'));
    await assert.rejects(wait, /timed out/);
    assert.equal(pending.catches, 1);
  });

  test('nextOrAbort fails the current wait at the abort and closes the iterator', async () => {
    const client = new ClientAbort();
    const timer = new TimedSignal(client);
    let closed = false;
    const iterator: AsyncIterator<number> = {
      next: () => never(),
      return: async () => {
        closed = true;
        return { done: true, value: undefined };
      },
    };
    const wait = nextOrAbort(iterator, timer);
    const reason = new Error('client gone');
    client.abort(reason);
    await assert.rejects(wait, (error: unknown) => error === reason);
    assert.equal(closed, true);
    await assert.rejects(nextOrAbort(iterator, timer), (error: unknown) => error === reason);
  });
});

describe('undici with a TimedSignal', () => {
  const http = testHttpClient();
  // An upstream that reads the request and never answers.
  const server = createServer((request) => request.resume());
  const ready = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  after(async () => {
    server.closeAllConnections();
    server.close();
    await http.close();
  });

  test('a timeout cuts the request with its own reason; a client that goes away, with an AbortError', async () => {
    const base = await ready;
    const timed = new TimedSignal(new ClientAbort());
    timed.arm(20, () => upstreamTimeout('openai', 'response', 20));
    await assert.rejects(
      http.request('openai', new URL('/v1/chat/completions', base), {}, '{}', timed),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_timeout',
    );

    const client = new ClientAbort();
    const followed = new TimedSignal(client);
    const pending = http.request('openai', new URL('/v1/chat/completions', base), {}, '{}', followed);
    setTimeout(() => client.abort(), 20);
    await assert.rejects(pending, (error: unknown) => (error as Error).name === 'AbortError');
  });
});
