// Backoff and the retry decision, with fixed random draws: exponential growth, full-jitter bounds, the cap,
// Retry-After, the attempt budget and the deadline.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayError } from '../../src/core/errors.js';
import { backoffMs, decideRetry, type RetryPolicy } from '../../src/router/retry-policy.js';
import { seeded } from './fake-clock.js';

const policy: RetryPolicy = {
  maxAttempts: 5,
  backoffBaseMs: 100,
  backoffMaxMs: 1_000,
  maxRetryAfterMs: 10_000,
};

const retryable = (retryAfter?: number) =>
  gatewayError('upstream_unavailable', {
    message: 'overloaded',
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });

describe('backoff', () => {
  test('full jitter: uniform in [0, base·2^retry], capped', () => {
    assert.equal(backoffMs(policy, 0, 0), 0);
    assert.equal(backoffMs(policy, 0, 0.999_999), 99);
    assert.equal(backoffMs(policy, 1, 0.5), 100);
    assert.equal(backoffMs(policy, 2, 0.5), 200);
    assert.equal(backoffMs(policy, 3, 0.999_999), 799);
    // 100·2^4 = 1600 is over the 1000 ms cap.
    assert.equal(backoffMs(policy, 4, 0.999_999), 999);
    assert.equal(backoffMs(policy, 30, 0.5), 500);
  });

  test('many draws stay within the bounds and spread over them', () => {
    const random = seeded(42);
    for (let retry = 0; retry < 6; retry++) {
      const ceiling = Math.min(1_000, 100 * 2 ** retry);
      const draws = Array.from({ length: 2_000 }, () => backoffMs(policy, retry, random()));
      assert.ok(
        draws.every((d) => d >= 0 && d < ceiling),
        `retry ${retry}`,
      );
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      assert.ok(Math.abs(mean - ceiling / 2) < ceiling * 0.05, `mean ${mean} for ceiling ${ceiling}`);
    }
  });
});

describe('decideRetry', () => {
  const fresh = { tried: false, retryAfterMs: undefined };
  const again = { tried: true, retryAfterMs: undefined };

  test('only a retryable error is retried', () => {
    const bad = gatewayError('invalid_request', { message: 'bad' });
    assert.deepEqual(decideRetry(policy, bad, 1, fresh, 60_000, 0.5), { retry: false });
    assert.deepEqual(decideRetry(policy, retryable(), 1, fresh, 60_000, 0.5), { retry: true, delayMs: 0 });
  });

  test('a deployment not yet tried is tried at once; the same one after a backoff', () => {
    assert.deepEqual(decideRetry(policy, retryable(), 2, fresh, 60_000, 0.5), { retry: true, delayMs: 0 });
    assert.deepEqual(decideRetry(policy, retryable(), 2, again, 60_000, 0.5), { retry: true, delayMs: 100 });
    assert.deepEqual(decideRetry(policy, retryable(), 3, again, 60_000, 0.5), { retry: true, delayMs: 200 });
  });

  test('Retry-After is a floor on the wait for the deployment that asked, and too long means give up', () => {
    assert.deepEqual(
      decideRetry(policy, retryable(2), 1, { tried: true, retryAfterMs: 2_000 }, 60_000, 0.5),
      {
        retry: true,
        delayMs: 2_000,
      },
    );
    // Another deployment is not bound by it.
    assert.deepEqual(decideRetry(policy, retryable(2), 1, fresh, 60_000, 0.5), { retry: true, delayMs: 0 });
    assert.deepEqual(
      decideRetry(policy, retryable(11), 1, { tried: true, retryAfterMs: 11_000 }, 60_000, 0.5),
      {
        retry: false,
      },
    );
  });

  test('the attempt budget and the deadline bound it', () => {
    assert.deepEqual(decideRetry(policy, retryable(), 5, fresh, 60_000, 0.5), { retry: false });
    assert.deepEqual(decideRetry(policy, retryable(2), 1, { tried: true, retryAfterMs: 2_000 }, 1_500, 0.5), {
      retry: false,
    });
    assert.deepEqual(decideRetry(policy, retryable(), 1, fresh, 0, 0.5), { retry: false });
  });
});
