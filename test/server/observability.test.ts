// Logs and metrics: one structured line per request, refused ones included; a ledger row for a refusal of
// an authenticated key; bounded metric labels; the client address behind a trusted proxy; no secret in
// any line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

const UPSTREAM_KEY = 'sk-upstream-0123456789abcdef-secret';
const AGENT = 'observability-test/1.0';

let fake: FakeOpenAI;
let gw: TestGateway;
let key: string;
let keyId: string;

before(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ OPENAI_API_KEY: UPSTREAM_KEY, OPENAI_BASE_URL: fake.url });
  const created = await gw.createKey({ models: ['openai/gpt-4o', 'openai/gpt-4o-mini', 'openai/made-up-*'] });
  key = created.key;
  keyId = created.id;
});

after(async () => {
  await gw.close();
  await fake.close();
});

type Line = Record<string, unknown>;

/** The log line of a request: written once its answer is over, which may be a turn after the client read it. */
/** The request's log line, once written (a client that left is logged after the pipeline settles). */
async function lineOf(target: TestGateway, requestId: string): Promise<Line> {
  // Polled, not timed: up to 10 s, so a loaded machine's slow settle is waited for rather than failed.
  for (let turn = 0; turn < 2000; turn++) {
    const found = target.logs.find(
      (line) => line.includes(`"reqId":"${requestId}"`) && line.includes('"path"'),
    );
    if (found) return JSON.parse(found) as Line;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no log line for ${requestId}`);
}

/** The request's ledger row (refusals are recorded once the answer is over). */
async function rowOf(requestId: string) {
  for (let turn = 0; turn < 1000; turn++) {
    await gw.gateway.ledger.flush();
    const row = (await gw.gateway.store.listRequests({ limit: 100 })).find((r) => r.id === requestId);
    if (row) return row;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return undefined;
}

const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}, as = key) =>
  gw.call('/v1/chat/completions', {
    method: 'POST',
    key: as,
    json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...body },
    headers: { 'user-agent': AGENT, ...headers },
  });

describe('the per-request log line', () => {
  const refusals: Array<{ name: string; send: () => Promise<Response>; status: number; code: string }> = [
    {
      name: '400 bad input',
      send: () => chat({ messages: 'not a list' }),
      status: 400,
      code: 'invalid_type',
    },
    {
      name: '401 bad key',
      send: () => chat({}, {}, 'sk-tg-nope-bogus'),
      status: 401,
      code: 'invalid_api_key',
    },
    {
      name: '403 model not allowed',
      send: () => chat({ model: 'openai/gpt-3.5-turbo' }),
      status: 403,
      code: 'model_not_allowed',
    },
    {
      name: '404 unknown model',
      send: () => chat({ model: 'nope/model' }),
      status: 404,
      code: 'model_not_found',
    },
  ];
  for (const refusal of refusals) {
    test(`a refused request has its line: ${refusal.name}`, async () => {
      const res = await refusal.send();
      assert.equal(res.status, refusal.status);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, refusal.code);
      const line = await lineOf(gw, res.headers.get('x-request-id')!);
      assert.equal(line.msg, 'chat completion');
      assert.equal(line.level, 30);
      assert.equal(line.method, 'POST');
      assert.equal(line.path, '/v1/chat/completions');
      assert.equal(line.status, refusal.status);
      assert.equal(line.errorCode, refusal.code);
      assert.equal(line.keyId, refusal.status === 401 ? undefined : keyId);
      assert.equal(typeof line.ms, 'number');
      assert.equal(line.ip, '127.0.0.1');
      assert.equal(line.userAgent, AGENT);
      if (refusal.status !== 401) assert.ok(typeof line.model === 'string' && line.model.length > 0);
    });
  }

  test('a rate-limited request has its line, and an answered one its tokens', async () => {
    const limited = await gw.createKey({ rpm: 1 });
    const ok = await chat({}, {}, limited.key);
    assert.equal(ok.status, 200);
    const okLine = await lineOf(gw, ok.headers.get('x-request-id')!);
    assert.equal(okLine.status, 200);
    assert.equal(okLine.errorCode, null);
    assert.equal(okLine.model, 'openai/gpt-4o');
    assert.equal(okLine.deployment, 'openai/gpt-4o');
    assert.ok((okLine.completionTokens as number) > 0);
    const res = await chat({}, {}, limited.key);
    assert.equal(res.status, 429);
    const line = await lineOf(gw, res.headers.get('x-request-id')!);
    assert.equal(line.status, 429);
    assert.equal(line.errorCode, 'rate_limit_exceeded');
    assert.equal(line.keyId, limited.id);
  });

  test('a stream the client leaves midway: its line says 499 and what the pipeline settled', async () => {
    fake.options = { chunkDelayMs: 20 };
    const controller = new AbortController();
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true },
      signal: controller.signal,
    });
    const id = res.headers.get('x-request-id')!;
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
    const line = await lineOf(gw, id);
    fake.options = {};
    assert.equal(line.status, 499);
    // Written after the pipeline settled the request, though the connection closed first.
    assert.equal(line.outcome, 'aborted');
    assert.equal(line.deployment, 'openai/gpt-4o');
    assert.equal(typeof line.completionTokens, 'number');
  });

  test('a request to no route has its line too', async () => {
    const res = await gw.call('/v1/nothing-here', { key, headers: { 'user-agent': AGENT } });
    assert.equal(res.status, 404);
    const line = await lineOf(gw, res.headers.get('x-request-id')!);
    assert.equal(line.msg, 'request');
    assert.equal(line.status, 404);
    assert.equal(line.path, '/v1/nothing-here');
    assert.equal(line.errorCode, 'unknown_route');
  });
});

describe('refusals in the ledger', () => {
  test('a refused request of a key has a row with its status and error code, at no cost', async () => {
    for (const [body, status, code] of [
      [{ messages: 'not a list' }, 400, 'invalid_type'],
      [{ model: 'openai/gpt-3.5-turbo' }, 403, 'model_not_allowed'],
      [{ model: 'nope/model' }, 404, 'model_not_found'],
    ] as const) {
      const res = await chat(body);
      assert.equal(res.status, status);
      await res.text();
      const row = await rowOf(res.headers.get('x-request-id')!);
      assert.ok(row, `a row for the ${status}`);
      assert.equal(row.status, 'error');
      assert.equal(row.http_status, status);
      assert.equal(row.error_code, code);
      assert.equal(row.key_id, keyId);
      assert.equal(row.account_id, 'acct_default');
      assert.equal(row.door, 'chat completion');
      assert.equal(row.cost_micros, null);
      assert.equal(row.prompt_tokens, null);
    }
    // The key's own request log (what the console's Requests page reads) shows them.
    const log = (await (
      await gw.call(`/admin/requests?key_id=${keyId}&limit=100`, { key: ADMIN_KEY })
    ).json()) as {
      data: Array<{ status: string; http_status: number; error_code: string | null }>;
    };
    assert.ok(log.data.some((r) => r.http_status === 403 && r.error_code === 'model_not_allowed'));
  });

  test('a request without a valid key has no row (no account to show it to)', async () => {
    const res = await chat({}, {}, 'sk-tg-nope-bogus');
    assert.equal(res.status, 401);
    await res.text();
    await lineOf(gw, res.headers.get('x-request-id')!);
    assert.equal(await rowOf(res.headers.get('x-request-id')!), undefined);
  });
});

describe('metrics', () => {
  test('requests, tokens, cost, time to first token and inter-token latency, with bounded labels', async () => {
    // Chunks a few ms apart, so the stream has a first and a last content chunk to measure between.
    fake.options = { chunkDelayMs: 2 };
    const stream = await chat({ stream: true });
    assert.equal(stream.status, 200);
    await stream.text();
    fake.options = {};
    const made = await chat({ model: 'openai/made-up-model-xyz' });
    await made.text();
    const bad = await chat({}, {}, 'sk-tg-nope-bogus');
    await bad.text();
    await lineOf(gw, bad.headers.get('x-request-id')!);
    await lineOf(gw, made.headers.get('x-request-id')!);
    const metrics = await (await gw.call('/metrics')).text();

    const labels = 'door="chat completion",provider="openai",model="openai/gpt-4o"';
    assert.match(metrics, new RegExp(`tokgate_requests_total\\{${labels},status="200",code="ok"\\} [1-9]`));
    assert.match(metrics, new RegExp(`tokgate_tokens_total\\{${labels},type="input"\\} [1-9]`));
    assert.match(metrics, new RegExp(`tokgate_tokens_total\\{${labels},type="output"\\} [1-9]`));
    assert.match(metrics, new RegExp(`tokgate_cost_usd_total\\{${labels}\\} 0\\.0*[1-9]`));
    assert.match(metrics, new RegExp(`tokgate_time_to_first_token_seconds_count\\{${labels}\\} [1-9]`));
    assert.match(metrics, new RegExp(`tokgate_inter_token_latency_seconds_count\\{${labels}\\} [1-9]`));
    assert.match(metrics, /tokgate_upstream_attempt_results_total\{provider="openai",result="ok"\} [1-9]/);
    assert.match(metrics, /tokgate_deployment_circuit_state\{deployment="openai\/gpt-4o",state="closed"\} 1/);
    assert.match(metrics, /tokgate_ledger_pending_rows\{place="memory"\} \d+/);
    assert.match(metrics, /tokgate_wallet_unavailable_total 0/);
    // Refused requests are counted, before any provider was chosen (a 401's body is never read: no model).
    assert.match(
      metrics,
      /tokgate_requests_total\{door="chat completion",provider="none",model="other",status="401",code="invalid_api_key"\} [1-9]/,
    );
    assert.match(
      metrics,
      /tokgate_requests_total\{door="chat completion",provider="none",model="openai\/gpt-4o",status="400",code="invalid_type"\} [1-9]/,
    );
    // A model id a client made up is folded into `other`: no series of its own.
    assert.match(metrics, /tokgate_requests_total\{door="chat completion",provider="openai",model="other",/);
    assert.ok(!metrics.includes('made-up-model-xyz'), 'the made-up id is no label value');
  });

  test('the Grafana dashboard (deploy/grafana/tokgate.json) asks only for metrics the gateway has', async () => {
    const dashboard = readFileSync(new URL('../../deploy/grafana/tokgate.json', import.meta.url), 'utf8');
    const asked = new Set(
      [...dashboard.matchAll(/tokgate_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, '')),
    );
    assert.ok(asked.size >= 15);
    const metrics = await (await gw.call('/metrics')).text();
    for (const name of asked) assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), name);
  });
});

describe('client address', () => {
  test('X-Forwarded-For is believed only from a trusted proxy (TOKGATE_TRUST_PROXY)', async () => {
    const res = await chat({}, { 'x-forwarded-for': '203.0.113.7' });
    assert.equal((await lineOf(gw, res.headers.get('x-request-id')!)).ip, '127.0.0.1');
    const trusting = await startTestGateway({
      OPENAI_API_KEY: UPSTREAM_KEY,
      OPENAI_BASE_URL: fake.url,
      TOKGATE_TRUST_PROXY: '127.0.0.1/8, ::1',
    });
    try {
      const proxied = await trusting.call('/v1/models', {
        key: ADMIN_KEY,
        headers: { 'x-forwarded-for': '198.51.100.4, 203.0.113.7' },
      });
      assert.equal(proxied.status, 200);
      // The right-most address not a trusted proxy's.
      assert.equal((await lineOf(trusting, proxied.headers.get('x-request-id')!)).ip, '203.0.113.7');
    } finally {
      await trusting.close();
    }
    const oneHop = await startTestGateway({
      OPENAI_API_KEY: UPSTREAM_KEY,
      OPENAI_BASE_URL: fake.url,
      TOKGATE_TRUST_PROXY: '1',
    });
    try {
      const proxied = await oneHop.call('/v1/models', {
        key: ADMIN_KEY,
        headers: { 'x-forwarded-for': '198.51.100.4, 203.0.113.9' },
      });
      // One proxy in front: the address it saw the request come from.
      assert.equal((await lineOf(oneHop, proxied.headers.get('x-request-id')!)).ip, '203.0.113.9');
    } finally {
      await oneHop.close();
    }
  });
});

describe('secrets', () => {
  test('no key (Authorization, x-api-key, a provider key from config) is ever in the log', async () => {
    fake.faults.push({
      kind: 'status',
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}` } },
    });
    const upstreamRefused = await chat({});
    assert.equal(upstreamRefused.status, 502);
    await upstreamRefused.text();
    const viaHeader = await gw.call('/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'user-agent': AGENT },
      json: { model: 'openai/gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(viaHeader.status, 200);
    await viaHeader.text();
    const wrong = await gw.call('/v1/chat/completions', {
      method: 'POST',
      headers: { 'x-api-key': 'sk-tg-wrong-butsecret', authorization: 'Bearer sk-tg-other-alsosecret' },
      json: { model: 'openai/gpt-4o', messages: [] },
    });
    assert.equal(wrong.status, 401);
    for (const res of [upstreamRefused, viaHeader, wrong]) await lineOf(gw, res.headers.get('x-request-id')!);
    const logs = gw.logs.join('');
    for (const secret of [key, key.split('-').at(-1)!, UPSTREAM_KEY, ADMIN_KEY, 'butsecret', 'alsosecret'])
      assert.ok(!logs.includes(secret), `the log holds no '${secret.slice(0, 12)}...'`);
    assert.ok(!/bearer/i.test(logs));
  });
});
