// Resource limits end to end, through a real gateway and fake upstreams: calls over a deployment's
// max_in_flight wait in its queue and are served in order; a full queue (or too long a wait) falls back to
// the next deployment; when no deployment has room the client gets 503 with Retry-After; a queued client that
// leaves frees its place; streams hold their slot to their end or their abort; and the retry budget keeps a
// 429 storm from being multiplied by max_attempts. Upstream answers are held by gates the test opens, and
// the test waits on the gateway's own counters (no timed assertions).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { anthropicErrorBody } from '../../src/core/error-renderers.js';
import { gatewayError } from '../../src/core/errors.js';
import { DEFAULT_REPLY, type FakeOpenAI, type Fault } from '../fakes/openai.js';
import { readJson } from '../support/gateway.js';
import { attemptsOf, parseSse, type Routed, startRouted } from './support.js';

/** Waits until `ready()` holds (polling), or fails naming what never happened. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A gate for the fake: requests given `fault()` are held until `open()`. */
function gate(then?: Fault) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { fault: (): Fault => ({ kind: 'gate', open: opened, ...(then ? { then } : {}) }), open };
}

/** The `req N` label of each chat request the fake received, in order of arrival. */
const labels = (fake: FakeOpenAI, from = 0) =>
  fake.requests.slice(from).map((x) => {
    const body = x.body as { messages: Array<{ content: string }> };
    return body.messages[0]!.content;
  });

/** A sample's value in the gateway's /metrics (0 when absent). */
async function metric(r: Routed, sample: string): Promise<number> {
  const text = await (await r.gw.call('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

const summary = (row: Parameters<typeof attemptsOf>[0]) =>
  attemptsOf(row).map((x) => [x.deployment, x.status, x.code]);

/**
 * Chat requests over the test's own connection pool: requests the test aborts leave their connections open
 * on the gateway's side until the pool is destroyed, and the gateway's close would wait for them.
 */
function client(r: Routed, agent: Agent) {
  return (model: string, label: string, init: { signal?: AbortSignal; stream?: boolean } = {}) => {
    const request: RequestInit = {
      method: 'POST',
      headers: { authorization: `Bearer ${r.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: label }],
        stream: init.stream ?? false,
      }),
      ...(init.signal ? { signal: init.signal } : {}),
    };
    // undici's own Agent: global fetch takes it, though its types are undici-types' Dispatcher.
    Object.assign(request, { dispatcher: agent });
    return fetch(`${r.gw.url}/v1/chat/completions`, request);
  };
}

describe('slots and queues (queue timeout far away)', () => {
  let r: Routed;
  let chat: ReturnType<typeof client>;
  const agent = new Agent();
  const slots = (id: string) => r.gw.gateway.router.slots.snapshot(id);

  before(async () => {
    r = await startRouted({
      routes: {
        queue: [{ model: 'a/q', max_in_flight: 1 }],
        leave: [{ model: 'a/l', max_in_flight: 1 }],
        stream: [{ model: 'a/s', max_in_flight: 1 }],
        storm: { deployments: ['a/storm'], max_attempts: 3 },
      },
      routing: {
        max_queued: 3,
        queue_timeout_ms: 60_000,
        backoff_base_ms: 1,
        backoff_max_ms: 1,
        keepalive_ms: 0,
        circuit: { consecutive_failures: 1_000, min_requests: 1_000 },
      },
    });
    chat = client(r, agent);
  });
  after(async () => {
    await agent.destroy();
    await r.close();
  });

  test('over max_in_flight, calls wait in the queue and are served in order', async () => {
    const from = r.a.requests.length;
    const held = gate();
    r.a.faults.push(held.fault());
    const first = chat('queue', 'req 1');
    await until(() => r.a.requests.length === from + 1, 'the first call upstream');
    const queued: Array<Promise<Response>> = [];
    for (let i = 2; i <= 4; i++) {
      queued.push(chat('queue', `req ${i}`));
      await until(() => slots('a/q').queued === i - 1, `req ${i} queued`);
    }
    assert.equal(r.a.requests.length, from + 1, 'nothing queued went upstream');
    assert.deepEqual(slots('a/q'), { id: 'a/q', max: 1, inFlight: 1, queued: 3, retries: 0 });
    held.open();
    for (const res of [await first, ...(await Promise.all(queued))]) {
      assert.equal(res.status, 200);
      assert.equal((await readJson(res)).choices[0].message.content, DEFAULT_REPLY);
    }
    assert.deepEqual(labels(r.a, from), ['req 1', 'req 2', 'req 3', 'req 4']);
    assert.deepEqual([slots('a/q').inFlight, slots('a/q').queued], [0, 0]);
  });

  test('a queued client that leaves frees its place; a full queue answers 503 at once', async () => {
    const from = r.a.requests.length;
    const held = gate();
    r.a.faults.push(held.fault());
    const first = chat('leave', 'req 1');
    await until(() => r.a.requests.length === from + 1, 'the first call upstream');
    const leaving = new AbortController();
    const gone = chat('leave', 'req 2', { signal: leaving.signal }).catch((error: unknown) => error);
    await until(() => slots('a/l').queued === 1, 'req 2 queued');
    const stay = [chat('leave', 'req 3')];
    await until(() => slots('a/l').queued === 2, 'req 3 queued');
    stay.push(chat('leave', 'req 4'));
    await until(() => slots('a/l').queued === 3, 'req 4 queued');

    const full = await chat('leave', 'req 5');
    assert.equal(full.status, 503);
    assert.equal(full.headers.get('retry-after'), '1');
    assert.equal((await readJson(full)).error.code, 'deployment_saturated');

    leaving.abort();
    await gone;
    await until(() => slots('a/l').queued === 2, 'req 2 out of the queue');
    stay.push(chat('leave', 'req 6'));
    await until(() => slots('a/l').queued === 3, 'req 6 queued in the freed place');

    held.open();
    for (const res of [await first, ...(await Promise.all(stay))]) {
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    assert.deepEqual(labels(r.a, from), ['req 1', 'req 3', 'req 4', 'req 6']);
    await r.gw.gateway.ledger.flush();
    const rows = await r.gw.gateway.store.listRequests({ limit: 10 });
    const left = rows.filter((x) => x.model === 'leave' && x.status === 'aborted');
    assert.equal(left.length, 1);
    assert.deepEqual(summary(left[0]!), [['a/l', 499, 'client_closed']]);
  });

  test('a stream holds its slot to its end, and gives it back when the client aborts it', async () => {
    const whole = await chat('stream', 'req 1', { stream: true });
    assert.equal(whole.status, 200);
    assert.ok(parseSse(await whole.text()).done);
    assert.deepEqual([slots('a/s').inFlight, slots('a/s').queued], [0, 0]);

    r.a.faults.push({ kind: 'stall-mid-stream', afterChunks: 2 });
    const leaving = new AbortController();
    const stalled = await chat('stream', 'req 2', { stream: true, signal: leaving.signal });
    assert.equal(stalled.status, 200);
    const reader = stalled.body!.getReader();
    await reader.read();
    // Committed and stalled: the slot is held while the stream is open.
    assert.equal(slots('a/s').inFlight, 1);
    const waiting = chat('stream', 'req 3', { stream: true });
    await until(() => slots('a/s').queued === 1, 'req 3 queued behind the open stream');
    leaving.abort();
    await reader.read().catch(() => undefined);
    const next = await waiting;
    assert.equal(next.status, 200);
    assert.ok(parseSse(await next.text()).done);
    await until(() => slots('a/s').inFlight === 0, 'the slots given back');
    assert.equal(slots('a/s').queued, 0);
  });

  test('the retry budget keeps a 429 storm from being multiplied by max_attempts', async () => {
    const requests = 20;
    const from = r.a.requests.length;
    const RETRIES = 'tokgate_upstream_attempts_total{kind="retry"}';
    const FIRSTS = 'tokgate_upstream_attempts_total{kind="first"}';
    const SPENT = 'tokgate_retry_budget_exhausted_total';
    const counted = {
      retries: await metric(r, RETRIES),
      firsts: await metric(r, FIRSTS),
      spent: await metric(r, SPENT),
    };
    const held = gate({ kind: 'status', status: 429 });
    for (let i = 0; i < requests; i++) r.a.faults.push(held.fault());
    // Retries that get through hang: they hold their share of the budget while the storm lasts.
    for (let i = 0; i < requests * 2; i++) r.a.faults.push({ kind: 'hang' });
    const controllers = Array.from({ length: requests }, () => new AbortController());
    const answered: number[] = [];
    const pending = controllers.map((c, i) =>
      chat('storm', `req ${i}`, { signal: c.signal }).then(
        (res) => {
          answered.push(res.status);
          return res.arrayBuffer();
        },
        () => undefined,
      ),
    );
    await until(() => r.a.requests.length === from + requests, 'every first attempt upstream');
    held.open();
    const retried = () => r.a.requests.length - from - requests;
    // Every request has either its answer (the 429) or a retry hanging upstream.
    await until(() => answered.length + retried() === requests, 'every request answered or retried');
    // Retries at once: at least the minimum (3), at most 20 % of the requests active on the deployment
    // (the 20 first attempts and the retries themselves): 5. Without the budget: 2 retries per request.
    assert.ok(retried() >= 3 && retried() <= 5, `${retried()} retries`);
    assert.ok(r.a.requests.length - from <= requests + 5, 'far fewer calls than requests × max_attempts');
    assert.ok(answered.every((status) => status === 429));
    assert.equal((await metric(r, FIRSTS)) - counted.firsts, requests);
    assert.equal((await metric(r, RETRIES)) - counted.retries, retried());
    assert.equal((await metric(r, SPENT)) - counted.spent, answered.length);
    for (const c of controllers) c.abort();
    await Promise.all(pending);
    r.a.faults.length = 0;
    await until(() => slots('a/storm').inFlight === 0, 'the hanging retries given up');
    assert.equal(slots('a/storm').retries, 0);
  });
});

describe('saturation: fallback and 503 (short queue timeout)', () => {
  let r: Routed;
  let chat: ReturnType<typeof client>;
  const agent = new Agent();
  const slots = (id: string) => r.gw.gateway.router.slots.snapshot(id);

  before(async () => {
    r = await startRouted({
      routes: {
        full: [{ model: 'a/f', max_in_flight: 1 }, 'b/f'],
        none: [
          { model: 'a/n', max_in_flight: 1 },
          { model: 'b/n', max_in_flight: 1 },
        ],
      },
      routing: {
        max_queued: 1,
        queue_timeout_ms: 100,
        keepalive_ms: 0,
        circuit: { consecutive_failures: 1_000, min_requests: 1_000 },
      },
    });
    chat = client(r, agent);
  });
  after(async () => {
    await agent.destroy();
    await r.close();
  });

  test('a full queue falls back to the next deployment at once; a wait too long falls back too', async () => {
    const held = gate();
    r.a.faults.push(held.fault());
    const first = chat('full', 'req 1');
    await until(() => slots('a/f').inFlight === 1, 'req 1 holding a/f');
    const queued = chat('full', 'req 2');
    await until(() => slots('a/f').queued === 1, 'req 2 queued');
    const overflow = await chat('full', 'req 3');
    assert.equal(overflow.status, 200);
    assert.equal(overflow.headers.get('x-tokgate-deployment'), 'b/f');
    assert.equal(overflow.headers.get('x-tokgate-attempts'), '2');
    assert.deepEqual(summary(await r.row(overflow.headers.get('x-request-id')!)), [
      ['a/f', 503, 'deployment_saturated'],
      ['b/f', 200, null],
    ]);
    // req 2 waited its queue_timeout_ms, then b served it.
    const late = await queued;
    assert.equal(late.status, 200);
    assert.equal(late.headers.get('x-tokgate-deployment'), 'b/f');
    assert.deepEqual(summary(await r.row(late.headers.get('x-request-id')!)), [
      ['a/f', 503, 'deployment_saturated'],
      ['b/f', 200, null],
    ]);
    held.open();
    assert.equal((await first).status, 200);
    assert.deepEqual(labels(r.a).slice(-1), ['req 1']);
  });

  test('when no deployment has room, the client gets 503 with Retry-After, in Anthropic words too', async () => {
    const onA = gate();
    const onB = gate();
    r.a.faults.push(onA.fault());
    r.b.faults.push(onB.fault());
    const first = chat('none', 'req 1');
    await until(() => slots('a/n').inFlight === 1, 'req 1 holding a/n');
    // a's queue waits out its timeout, then b takes it.
    const second = chat('none', 'req 2');
    await until(() => slots('b/n').inFlight === 1, 'req 2 holding b/n');

    const refused = await chat('none', 'req 3');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    const body = await readJson(refused);
    assert.equal(body.error.code, 'deployment_saturated');
    assert.match(body.error.message, /^All 2 attempts failed\. \(1\) a\/n: .*\(2\) b\/n: /);
    assert.deepEqual(summary(await r.row(refused.headers.get('x-request-id')!)), [
      ['a/n', 503, 'deployment_saturated'],
      ['b/n', 503, 'deployment_saturated'],
    ]);

    // Anthropic's clients know it as overload.
    assert.equal(anthropicErrorBody(gatewayError('deployment_saturated')).error.type, 'overloaded_error');

    onA.open();
    onB.open();
    assert.equal((await first).status, 200);
    assert.equal((await second).status, 200);
    assert.deepEqual([slots('a/n').inFlight, slots('b/n').inFlight], [0, 0]);
  });
});
