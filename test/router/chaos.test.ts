// Chaos: 500 requests (half streaming) while upstream `a` fails 30% of its calls at random (seeded), with
// every kind of fault. Most requests go through the route [a, b]; some through `a` alone, so clean errors
// happen too. Every request must end, in bounded time, either with a whole answer or with a clean error (an
// HTTP error, or a well-formed in-band error event and no [DONE]); and the ledger must match: one row per
// request, attempts consistent with the upstream calls made, cost only for answers served.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_REPLY, type Fault } from '../fakes/openai.js';
import { assertMatchesSchema } from '../support/openapi.js';
import { seeded } from './fake-clock.js';
import { attemptsOf, parseSse, prices, type Routed, startRouted } from './support.js';

const REQUESTS = 500;
const CONCURRENCY = 20;
const FAILURE_RATE = 0.3;

const FAULTS: Fault[] = [
  { kind: 'status', status: 500 },
  { kind: 'status', status: 502 },
  { kind: 'status', status: 503 },
  { kind: 'status', status: 529 },
  { kind: 'status', status: 429 },
  { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
  { kind: 'reset' },
  { kind: 'hang' },
  { kind: 'invalid-json' },
  { kind: 'invalid-json', afterChunks: 3 },
  { kind: 'empty-stream' },
  { kind: 'drop-mid-stream', afterChunks: 0 },
  { kind: 'drop-mid-stream', afterChunks: 2 },
  { kind: 'stall-mid-stream', afterChunks: 2 },
  { kind: 'error-event', afterChunks: 0 },
  { kind: 'error-event', afterChunks: 4 },
  { kind: 'no-finish' },
  { kind: 'slow-first-byte', ms: 50 },
];

let r: Routed;

before(async () => {
  r = await startRouted({
    routes: { mix: ['a/chaos', 'b/chaos'], solo: { deployments: ['a/solo'], max_attempts: 2 } },
    models: prices(['a/chaos', 'b/chaos', 'a/solo']),
    routing: {
      timeouts: { first_token_ms: 300, idle_ms: 300, response_ms: 500, total_ms: 3_000 },
      backoff_base_ms: 5,
      backoff_max_ms: 20,
      keepalive_ms: 0,
    },
  });
  // Warm up: the first stream without reported usage loads the tokenizer, a long synchronous pause that
  // would make the first timeouts fire late (gateway and fakes share one event loop here).
  r.a.faults.push({ kind: 'drop-mid-stream', afterChunks: 1 });
  const warm = await r.gw.call('/v1/chat/completions', {
    method: 'POST',
    key: r.key,
    json: { model: 'a/warm', messages: [{ role: 'user', content: 'warm up' }], stream: true },
  });
  await warm.text();
  const random = seeded(2024);
  r.a.options.chaos = () =>
    random() < FAILURE_RATE ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined;
});

after(async () => {
  await r.close();
});

type Outcome = { id: string; ok: boolean; inBand: boolean; cost: number | undefined };

async function one(i: number): Promise<Outcome> {
  const stream = i % 2 === 1;
  const model = i % 5 === 0 ? 'solo' : 'mix';
  const res = await r.gw.call('/v1/chat/completions', {
    method: 'POST',
    key: r.key,
    signal: AbortSignal.timeout(10_000),
    json: {
      model,
      messages: [{ role: 'user', content: `request ${i}` }],
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    },
  });
  const id = res.headers.get('x-request-id')!;
  if (res.status !== 200) {
    assertMatchesSchema('ErrorResponse', await res.json());
    return { id, ok: false, inBand: false, cost: undefined };
  }
  if (!stream) {
    const body = (await res.json()) as {
      choices: Array<{ message: { content: string } }>;
      usage: { cost: number };
    };
    assert.equal(body.choices[0]?.message.content, DEFAULT_REPLY);
    return { id, ok: true, inBand: false, cost: body.usage.cost };
  }
  const sse = parseSse(await res.text());
  if (sse.done) {
    assert.equal(sse.text, DEFAULT_REPLY, `request ${i}: a whole answer from one upstream`);
    const usage = JSON.parse(sse.data.at(-2)!) as { usage: { cost: number } };
    return { id, ok: true, inBand: false, cost: usage.usage.cost };
  }
  assert.ok(sse.error, `request ${i}: a stream without [DONE] ends with an error event`);
  assertMatchesSchema('ErrorResponse', sse.error);
  assert.ok(DEFAULT_REPLY.startsWith(sse.text), `request ${i}: a clean prefix, never stitched`);
  return { id, ok: false, inBand: true, cost: undefined };
}

test(`${REQUESTS} requests while upstream a fails ${FAILURE_RATE * 100}% at random`, async (t) => {
  const started = Date.now();
  const calls = { a: r.a.requests.length, b: r.b.requests.length };
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) outcomes.push(await one(next++));
    }),
  );
  assert.equal(outcomes.length, REQUESTS);
  assert.ok(Date.now() - started < 45_000, 'nothing hung');

  await r.gw.gateway.ledger.flush();
  const rows = (await r.gw.gateway.store.listRequests({ limit: 10_000 })).filter((row) =>
    ['mix', 'solo'].includes(row.model),
  );
  assert.equal(rows.length, REQUESTS, 'one ledger row per request');
  const byId = new Map(rows.map((row) => [row.id, row]));
  let attempts = 0;
  let timeouts = 0;
  for (const outcome of outcomes) {
    const row = byId.get(outcome.id);
    assert.ok(row, `a row for ${outcome.id}`);
    const tries = attemptsOf(row);
    attempts += tries.length;
    timeouts += tries.filter((t) => t.code === 'upstream_timeout').length;
    assert.ok(tries.length >= 1 && tries.length <= 3);
    if (outcome.ok) {
      assert.equal(row.status, 'ok');
      assert.equal(tries.at(-1)!.status, 200, 'the last attempt served');
      assert.ok(
        tries.slice(0, -1).every((t) => t.status !== 200),
        'every earlier attempt failed',
      );
      assert.ok((row.cost_micros ?? 0) > 0);
      assert.equal(
        Math.round((outcome.cost ?? 0) * 1e6),
        row.cost_micros,
        'the client was told the billed cost',
      );
    } else {
      assert.equal(row.status, 'error');
      assert.ok(!row.cost_micros, 'a failure costs nothing');
      assert.ok(tries.every((t) => t.status !== 200));
    }
  }
  const upstreamCalls = r.a.requests.length - calls.a + (r.b.requests.length - calls.b);
  // Every upstream call is an attempt in the ledger. (An attempt may time out before the fake, on the same
  // event loop, has read its request: such an attempt was sent but not counted upstream.)
  assert.ok(
    attempts >= upstreamCalls && attempts - upstreamCalls <= timeouts,
    `${attempts} attempts, ${upstreamCalls} calls`,
  );

  const served = outcomes.filter((o) => o.ok).length;
  const inBand = outcomes.filter((o) => o.inBand).length;
  // Falling back before the first content saves most requests; failures after it cannot be saved.
  t.diagnostic(
    `${served} served, ${inBand} in-band errors, ${REQUESTS - served - inBand} HTTP errors; ` +
      `${upstreamCalls} upstream calls (a ${r.a.requests.length - calls.a}, b ${r.b.requests.length - calls.b})`,
  );
  assert.ok(served / REQUESTS > 0.85, `${served} served, ${inBand} in-band errors`);
});
