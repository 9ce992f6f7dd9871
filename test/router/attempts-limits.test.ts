// The attempt loop with slots and the retry budget, in process: providers are plain objects whose answers
// the test settles, and backoffs run on the fake clock (no waiting, no timed assertions).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { ModelCatalog } from '../../src/catalog/catalog.js';
import { loadConfig } from '../../src/config/config.js';
import { gatewayError } from '../../src/core/errors.js';
import type { ChatResponse, Provider, UpstreamCall } from '../../src/core/types.js';
import { type AttemptRecord, runJson } from '../../src/router/executor.js';
import { Router } from '../../src/router/router.js';
import { ClientAbort } from '../../src/router/timeouts.js';
import { FakeClock } from './fake-clock.js';

const dir = mkdtempSync(join(tmpdir(), 'tokgate-attempts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function answer(model: string): ChatResponse {
  return {
    id: 'chatcmpl-x',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: 'ok' }, logprobs: null, finish_reason: 'stop' },
    ],
  };
}

/** A provider whose calls the test answers: each call waits for `next()` to hand it a result. */
class Scripted implements Provider {
  readonly format = 'openai';
  calls = 0;
  /** What the next calls do; empty: answer at once. */
  readonly script: Array<'429' | 'hold'> = [];
  private readonly held: Array<() => void> = [];

  constructor(readonly id: string) {}

  async complete(call: UpstreamCall): Promise<ChatResponse> {
    this.calls += 1;
    const step = this.script.shift();
    if (step === '429') throw gatewayError('upstream_rate_limited', { provider: this.id });
    if (step === 'hold') await new Promise<void>((resolve) => this.held.push(resolve));
    return answer(call.request.model);
  }

  stream(): AsyncIterable<never> {
    throw new Error('not used');
  }

  /** Lets the oldest held call answer. */
  release(): void {
    this.held.shift()?.();
  }
}

function setup(yaml: Record<string, unknown>) {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, stringify(yaml));
  const config = loadConfig({ TOKGATE_CONFIG: path });
  const a = new Scripted('a');
  const b = new Scripted('b');
  const clock = new FakeClock();
  const router = new Router(
    new Map<string, Provider>([
      ['a', a],
      ['b', b],
    ]),
    new ModelCatalog(),
    config.routing,
    clock,
  );
  const run = (model: string) => {
    const attempts: AttemptRecord[] = [];
    const promise = runJson(
      router,
      router.plan(model),
      { model, messages: [{ role: 'user', content: 'hi' }] },
      { client: new ClientAbort(), attempts },
    );
    return { attempts, promise };
  };
  return { a, b, clock, router, run };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('attempts under limits', () => {
  test('a saturated deployment is skipped for the next, and its health is not touched', async () => {
    const { a, router, run } = setup({
      routes: { r: [{ model: 'a/x', max_in_flight: 1 }, 'b/x'] },
      routing: { max_queued: 0 },
    });
    a.script.push('hold');
    const first = run('r');
    await settled();
    const second = run('r');
    const served = await second.promise;
    assert.equal(served.deployment.id, 'b/x');
    assert.deepEqual(
      second.attempts.map((x) => [x.deployment, x.status, x.code]),
      [
        ['a/x', 503, 'deployment_saturated'],
        ['b/x', 200, null],
      ],
    );
    const health = router.health.snapshot('a/x');
    assert.deepEqual([health.state, health.errorRatio, health.inFlight], ['closed', 0, 1]);
    a.release();
    assert.equal((await first.promise).deployment.id, 'a/x');
    assert.equal(router.slots.snapshot('a/x').inFlight, 0);
    assert.equal(router.slots.counters.saturated, 1);
  });

  test('a saturated deployment is not tried again in the same request, whatever max_attempts says', async () => {
    const { a, run } = setup({
      routes: { r: { deployments: [{ model: 'a/x', max_in_flight: 1 }], max_attempts: 5 } },
      routing: { max_queued: 0 },
    });
    a.script.push('hold');
    const first = run('r');
    await settled();
    const second = run('r');
    await assert.rejects(second.promise, (error: Error & { kind?: string; retryAfter?: number }) => {
      assert.equal(error.kind, 'deployment_saturated');
      assert.equal(error.retryAfter, 1);
      return true;
    });
    assert.equal(second.attempts.length, 1);
    a.release();
    await first.promise;
    assert.equal(a.calls, 1);
  });

  test('with no retry budget a 429 is answered at once; one request at a time keeps every retry', async () => {
    const none = setup({
      routes: { r: { deployments: ['a/x'], max_attempts: 3 } },
      routing: { retry_budget: { percent: 0, min_concurrency: 0 } },
    });
    none.a.script.push('429', '429');
    const refused = none.run('r');
    await assert.rejects(
      refused.promise,
      (error: Error & { kind?: string }) => error.kind === 'upstream_rate_limited',
    );
    assert.equal(none.a.calls, 1);
    assert.equal(none.router.slots.counters.budgetSpent, 1);
    assert.deepEqual(none.clock.slept, [], 'no backoff waited for a retry that cannot happen');

    const some = setup({ routes: { r: { deployments: ['a/x'], max_attempts: 3 } } });
    some.a.script.push('429', '429');
    const served = some.run('r');
    assert.equal((await served.promise).deployment.id, 'a/x');
    assert.equal(some.a.calls, 3);
    assert.deepEqual(
      [
        some.router.slots.counters.first,
        some.router.slots.counters.retry,
        some.router.slots.counters.budgetSpent,
      ],
      [1, 2, 0],
    );
    assert.equal(some.router.slots.snapshot('a/x').retries, 0);
  });

  test('a fallback to an untried deployment is not a retry: it happens with the budget spent', async () => {
    const { a, b, router, run } = setup({
      routes: { r: { deployments: ['a/x', 'b/x'], max_attempts: 4 } },
      routing: { retry_budget: { percent: 0, min_concurrency: 0 } },
    });
    a.script.push('429');
    b.script.push('429');
    const request = run('r');
    await assert.rejects(request.promise);
    assert.deepEqual([a.calls, b.calls], [1, 1]);
    assert.deepEqual([router.slots.counters.fallback, router.slots.counters.retry], [1, 0]);
  });
});
