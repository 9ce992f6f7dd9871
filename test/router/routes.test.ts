// Routes end to end: retries on one deployment (backoff, Retry-After, the attempt budget), fallback when
// everything fails, the per-request `models` list, weighted balancing, circuit breaking with a half-open
// probe, the total deadline, keep-alive comments while waiting for the first token, cancellation during a
// backoff, admission against the costliest deployment, and routes in /v1/models.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_REPLY } from '../fakes/openai.js';
import { readJson, startTestGateway } from '../support/gateway.js';
import { attemptsOf, parseSse, prices, type Routed, startRouted } from './support.js';

const PROMPT = [{ role: 'user', content: 'Hi' }];
const summary = (row: Parameters<typeof attemptsOf>[0]) =>
  attemptsOf(row).map((x) => [x.provider, x.status, x.code]);

describe('one gateway, many routes', () => {
  let r: Routed;
  const solo = (n: number) => ({ deployments: [`a/solo${n}`], max_attempts: 3 });

  before(async () => {
    const models = [
      'a/bf',
      'b/bf',
      'a/pr',
      'b/pr',
      'a/w',
      'b/w',
      'a/ws',
      'b/ws',
      'a/slow',
      'b/slow',
      'a/cost',
      'b/cost',
    ];
    for (let n = 0; n < 6; n++) models.push(`a/solo${n}`);
    r = await startRouted({
      routes: {
        ...Object.fromEntries(Array.from({ length: 6 }, (_, n) => [`solo${n}`, solo(n)])),
        'both-fail': ['a/bf', 'b/bf'],
        weighted: {
          strategy: 'weighted',
          deployments: [
            { model: 'a/w', weight: 3 },
            { model: 'b/w', weight: 1 },
          ],
        },
        'weighted-slow-b': { strategy: 'weighted', deployments: ['a/ws', 'b/ws'] },
        slow: { deployments: ['a/slow', 'b/slow'], timeouts: { total_ms: 800 } },
        costly: ['a/cost', 'b/cost'],
      },
      models: prices(models),
      routing: {
        timeouts: { first_token_ms: 400, idle_ms: 400, response_ms: 600, total_ms: 5_000 },
        backoff_base_ms: 10,
        backoff_max_ms: 50,
        max_retry_after_ms: 2_000,
        keepalive_ms: 0,
        circuit: { consecutive_failures: 1_000, min_requests: 1_000 },
      },
    });
  });
  after(async () => {
    await r.close();
  });

  const chat = (body: Record<string, unknown>, init: { key?: string; signal?: AbortSignal } = {}) =>
    r.gw.call('/v1/chat/completions', {
      method: 'POST',
      key: init.key ?? r.key,
      json: { messages: PROMPT, ...body },
      ...(init.signal ? { signal: init.signal } : {}),
    });

  test('a retryable failure on the only deployment is retried after a backoff', async () => {
    const before = r.a.requests.length;
    r.a.faults.push({ kind: 'status', status: 500 });
    const res = await chat({ model: 'solo0' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-tokgate-attempts'), '2');
    assert.equal(r.a.requests.length - before, 2);
    const row = await r.row(res.headers.get('x-request-id')!);
    assert.deepEqual(summary(row), [
      ['a', 502, 'upstream_error'],
      ['a', 200, null],
    ]);
    assert.equal(row.cost_micros, 26);
  });

  test('Retry-After is honoured before calling the same deployment again', async () => {
    r.a.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    const res = await chat({ model: 'solo1', stream: true });
    assert.equal(res.status, 200);
    assert.ok(parseSse(await res.text()).done);
    assert.ok(Date.now() - started >= 1_000, `waited ${Date.now() - started} ms`);
  });

  test('a Retry-After longer than the policy allows is passed to the client instead', async () => {
    const before = r.a.requests.length;
    r.a.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '5' } });
    const res = await chat({ model: 'solo2' });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(r.a.requests.length - before, 1);
  });

  test('the attempt budget bounds retries; the error keeps every attempt', async () => {
    const before = r.a.requests.length;
    for (let i = 0; i < 3; i++) r.a.faults.push({ kind: 'status', status: 500 });
    const res = await chat({ model: 'solo3' });
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('x-tokgate-attempts'), '3');
    const body = await readJson(res);
    assert.equal(body.error.code, 'upstream_error');
    assert.match(body.error.message, /^All 3 attempts failed\. \(1\) a\/solo3: .* \(3\) a\/solo3: /);
    assert.equal(r.a.requests.length - before, 3);
    const row = await r.row(res.headers.get('x-request-id')!);
    assert.equal(attemptsOf(row).length, 3);
    assert.equal(row.cost_micros, null);
  });

  test('when every deployment fails, the last error is the answer', async () => {
    const before = { a: r.a.requests.length, b: r.b.requests.length };
    r.a.faults.push({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    r.b.faults.push({ kind: 'status', status: 503 });
    const res = await chat({ model: 'both-fail', stream: true });
    assert.equal(res.status, 503);
    assert.equal((await readJson(res)).error.code, 'upstream_unavailable');
    assert.deepEqual([r.a.requests.length - before.a, r.b.requests.length - before.b], [2, 1]);
    const row = await r.row(res.headers.get('x-request-id')!);
    assert.deepEqual(
      summary(row).map(([p]) => p),
      ['a', 'b', 'a'],
    );
  });

  test('a client that leaves during a backoff ends the request: no further attempt', async () => {
    const before = r.a.requests.length;
    r.a.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const controller = new AbortController();
    const pending = chat({ model: 'solo4' }, { signal: controller.signal }).catch((error: unknown) => error);
    while (r.a.requests.length === before) await sleep(10);
    await sleep(100);
    controller.abort();
    await pending;
    await sleep(1_200);
    assert.equal(r.a.requests.length - before, 1, 'no retry after the client left');
    await r.gw.gateway.ledger.flush();
    const rows = await r.gw.gateway.store.listRequests({ limit: 5 });
    const row = rows.find((x) => x.model === 'solo4')!;
    assert.equal(row.status, 'aborted');
    assert.deepEqual(summary(row), [['a', 429, 'upstream_rate_limited']]);
  });

  test('the request body may list fallback models (`models`), which never go upstream', async () => {
    r.a.faults.push({ kind: 'status', status: 500 });
    const res = await chat({ model: 'a/pr', models: ['b/pr'] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-tokgate-deployment'), 'b/pr');
    const body = await readJson(res);
    assert.equal(body.model, 'a/pr');
    const upstream = r.b.requests.at(-1)!.body as Record<string, unknown>;
    assert.equal(upstream.model, 'pr');
    assert.equal('models' in upstream, false);
    assert.equal('models' in (r.a.requests.at(-1)!.body as Record<string, unknown>), false);

    const bad = await chat({ model: 'a/pr', models: 'b/pr' });
    assert.equal(bad.status, 400);
    assert.equal((await readJson(bad)).error.param, 'models');

    const { key } = await r.gw.createKey({ models: ['a/*'] });
    const refused = await chat({ model: 'a/pr', models: ['b/pr'] }, { key });
    assert.equal(refused.status, 403);
    assert.match((await readJson(refused)).error.message, /b\/pr/);
  });

  test('weighted: both deployments serve, the heavier one more', async () => {
    const served = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) {
      const res = await chat({ model: 'weighted' });
      await res.arrayBuffer();
      served[res.headers.get('x-tokgate-provider') as 'a' | 'b'] += 1;
    }
    // The exact shares are the balancer unit tests' job (fake clock); here real latencies add noise, so
    // only the shape: both serve, the heavier one more (b still wins every draw of two b's: ~1/16).
    assert.ok(served.a > served.b && served.b >= 5, JSON.stringify(served));
  });

  test('weighted: a slower deployment gets less traffic (power of two choices over latency)', async () => {
    r.b.options = { firstByteDelayMs: 40 };
    const served = { a: 0, b: 0 };
    try {
      for (let i = 0; i < 100; i++) {
        const res = await chat({ model: 'weighted-slow-b' });
        await res.arrayBuffer();
        served[res.headers.get('x-tokgate-provider') as 'a' | 'b'] += 1;
      }
    } finally {
      r.b.options = {};
    }
    // Equal weights: b wins only when drawn twice (1/4 of the time).
    assert.ok(served.a >= 60, JSON.stringify(served));
  });

  test('the total deadline ends a stream in-band, and a request whose attempts run out of time', async () => {
    r.a.options = { chunkDelayMs: 100 };
    try {
      const res = await chat({ model: 'slow', stream: true });
      assert.equal(res.status, 200);
      const sse = parseSse(await res.text());
      assert.equal(sse.done, false);
      assert.equal(sse.error?.error.code, 'upstream_timeout');
      assert.match(sse.error?.error.message ?? '', /total/);
    } finally {
      r.a.options = {};
    }
    r.a.faults.push({ kind: 'hang' });
    r.b.faults.push({ kind: 'hang' });
    const started = Date.now();
    const res = await chat({ model: 'slow' });
    assert.equal(res.status, 504);
    assert.ok(Date.now() - started < 1_500);
    const row = await r.row(res.headers.get('x-request-id')!);
    assert.deepEqual(summary(row), [
      ['a', 504, 'upstream_timeout'],
      ['b', 504, 'upstream_timeout'],
    ]);
  });

  test('admission reserves against the costliest deployment of the route', async () => {
    // Budget 40 µ$: enough for a (reserves ~31 µ$) but not for b (~71 µ$), which may end up serving.
    const { key } = await r.gw.createKey({ budget_usd: 40 / 1e6 });
    const direct = await chat({ model: 'a/cost', max_tokens: 11 }, { key });
    assert.equal(direct.status, 200);
    await direct.arrayBuffer();
    const routed = await chat({ model: 'costly', max_tokens: 11 }, { key });
    assert.equal(routed.status, 403);
    assert.equal((await readJson(routed)).error.code, 'budget_exceeded');
  });

  test('routes are listed as models', async () => {
    const list = await readJson(await r.gw.call('/v1/models', { key: r.key }));
    const ids = list.data.map((m: { id: string }) => m.id);
    assert.ok(ids.includes('both-fail'));
    assert.equal(list.data.find((m: { id: string }) => m.id === 'weighted').owned_by, 'tokgate');
  });
});

describe('circuit breaking and keep-alive', () => {
  let r: Routed;
  before(async () => {
    r = await startRouted({
      routes: {
        cb: ['a/cb', 'b/cb'],
        ka: ['a/ka', 'b/ka'],
        ka2: ['a/ka2', 'b/ka2'],
        ka3: ['a/ka3', 'b/ka3'],
      },
      routing: {
        timeouts: { first_token_ms: 600, idle_ms: 600, response_ms: 600, total_ms: 5_000 },
        backoff_base_ms: 10,
        keepalive_ms: 100,
        circuit: { consecutive_failures: 2, cooldown_ms: 400 },
      },
    });
  });
  after(async () => {
    await r.close();
  });

  const chat = (model: string, stream = false) =>
    r.gw.call('/v1/chat/completions', {
      method: 'POST',
      key: r.key,
      json: { model, messages: PROMPT, stream },
    });

  test('consecutive failures open the circuit; after the cooldown one probe closes it again', async () => {
    const calls = () => r.a.requests.length;
    const start = calls();
    r.a.faults.push({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    for (let i = 0; i < 2; i++) {
      const res = await chat('cb');
      assert.equal(res.headers.get('x-tokgate-provider'), 'b');
      await res.arrayBuffer();
    }
    assert.equal(calls() - start, 2);
    // Open: a is skipped, b serves at once.
    for (let i = 0; i < 3; i++) {
      const res = await chat('cb');
      assert.equal(res.headers.get('x-tokgate-provider'), 'b');
      assert.equal(res.headers.get('x-tokgate-attempts'), '1');
      await res.arrayBuffer();
    }
    assert.equal(calls() - start, 2, 'no call to an open deployment');
    await sleep(450);
    // Half-open: the probe goes to a and succeeds; the circuit is closed again.
    const probe = await chat('cb');
    assert.equal(probe.headers.get('x-tokgate-provider'), 'a');
    await probe.arrayBuffer();
    const next = await chat('cb');
    assert.equal(next.headers.get('x-tokgate-provider'), 'a');
    await next.arrayBuffer();
  });

  test('keep-alive comments flow while the first token is slow', async () => {
    r.a.faults.push({ kind: 'slow-first-byte', ms: 350 });
    const res = await chat('ka', true);
    assert.equal(res.status, 200);
    // The 200 went out before the deployment was known.
    assert.equal(res.headers.get('x-tokgate-deployment'), null);
    const sse = parseSse(await res.text());
    assert.ok(sse.comments >= 2, `${sse.comments} keep-alive comments`);
    assert.ok(sse.done);
    assert.equal(sse.text, DEFAULT_REPLY);
    const row = await r.row(res.headers.get('x-request-id')!);
    assert.equal(row.status, 'ok');
    assert.equal(row.provider, 'a');
  });

  test('after keep-alive started, a first-token timeout still falls back', async () => {
    r.a.faults.push({ kind: 'hang' });
    const res = await chat('ka2', true);
    assert.equal(res.status, 200);
    const sse = parseSse(await res.text());
    assert.ok(sse.comments >= 4);
    assert.ok(sse.done);
    assert.equal(sse.text, DEFAULT_REPLY);
    const row = await r.row(res.headers.get('x-request-id')!);
    assert.deepEqual(summary(row), [
      ['a', 504, 'upstream_timeout'],
      ['b', 200, null],
    ]);
  });

  test('after keep-alive started, total failure is an in-band error event', async () => {
    r.a.faults.push({ kind: 'hang' }, { kind: 'hang' });
    r.b.faults.push({ kind: 'hang' });
    const res = await chat('ka3', true);
    assert.equal(res.status, 200);
    const sse = parseSse(await res.text());
    assert.equal(sse.done, false);
    assert.equal(sse.error?.error.code, 'upstream_timeout');
    const row = await r.row(res.headers.get('x-request-id')!);
    assert.equal(row.status, 'error');
    assert.equal(row.http_status, 504);
    assert.equal(attemptsOf(row).length, 3);
  });
});

test('a route naming a provider that is not enabled is a startup error', async () => {
  const path = `/tmp/tokgate-bad-route-${process.pid}.yaml`;
  writeFileSync(path, 'routes:\n  smart: [nowhere/model]\n');
  await assert.rejects(startTestGateway({ TOKGATE_CONFIG: path }), /routes\.smart: .*nowhere\/model/);
});
