// The fault matrix, end to end: a route `[a, b]` (fallback order) over two fake upstreams, a fault on `a`, and
// for each fault and path (non-streaming; stream before the first content; stream after it) what the client
// sees, how many calls each upstream got, and what the ledger row holds (attempts, status, cost). Every case
// uses its own model names, so deployment health never leaks from one case into the next.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_REPLY, type Fault } from '../fakes/openai.js';
import { readJson } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';
import { attemptsOf, parseSse, prices, type Routed, startRouted } from './support.js';

type Path = 'json' | 'stream';
type Who = 'a' | 'b' | 'c';

interface Case {
  name: string;
  path: Path;
  fault: Fault;
  /** The first deployment: `c` is a closed port (connection refused; the fault is not used). */
  first?: Who;
  /** What the client gets: served by a deployment, an HTTP error, or an in-band error after the commit. */
  client: { served: Who } | { status: number; code: string } | { inBand: string };
  /** Attempts as the ledger records them: [deployment's provider, status, code]. */
  attempts: Array<[Who, number, string | null]>;
}

// The client-visible outcome of each retryable fault before any content, and its attempt record.
const beforeContent: Array<[string, Fault, number, string, Path[]]> = [
  ['500', { kind: 'status', status: 500 }, 502, 'upstream_error', ['json', 'stream']],
  ['502', { kind: 'status', status: 502 }, 502, 'upstream_error', ['json', 'stream']],
  ['503', { kind: 'status', status: 503 }, 503, 'upstream_unavailable', ['json', 'stream']],
  ['529', { kind: 'status', status: 529 }, 503, 'upstream_unavailable', ['json', 'stream']],
  [
    '429 without Retry-After',
    { kind: 'status', status: 429 },
    429,
    'upstream_rate_limited',
    ['json', 'stream'],
  ],
  [
    '429 with Retry-After (another deployment need not wait)',
    { kind: 'status', status: 429, headers: { 'retry-after': '30' } },
    429,
    'upstream_rate_limited',
    ['json', 'stream'],
  ],
  ['connection reset before the headers', { kind: 'reset' }, 502, 'upstream_unreachable', ['json', 'stream']],
  [
    'no answer (response / first-token timeout)',
    { kind: 'hang' },
    504,
    'upstream_timeout',
    ['json', 'stream'],
  ],
  [
    'first byte later than the timeout',
    { kind: 'slow-first-byte', ms: 2_000 },
    504,
    'upstream_timeout',
    ['json', 'stream'],
  ],
  ['malformed JSON', { kind: 'invalid-json' }, 502, 'upstream_invalid_response', ['json', 'stream']],
  [
    'an empty answer / a stream of only [DONE]',
    { kind: 'empty-stream' },
    502,
    'upstream_invalid_response',
    ['json', 'stream'],
  ],
  [
    'connection dropped before any content',
    { kind: 'drop-mid-stream', afterChunks: 0 },
    502,
    'upstream_unreachable',
    ['json', 'stream'],
  ],
  [
    'an error event before any content (500 in-band)',
    { kind: 'error-event', afterChunks: 0 },
    502,
    'upstream_invalid_response',
    ['stream'],
  ],
  [
    'an error event on the non-streaming path is a 500',
    { kind: 'error-event', afterChunks: 0 },
    502,
    'upstream_error',
    ['json'],
  ],
];

// After the first content chunk the stream is committed: the failure is told in-band, nothing is retried.
const afterContent: Array<[string, Fault, number, string]> = [
  ['connection dropped', { kind: 'drop-mid-stream', afterChunks: 2 }, 502, 'upstream_unreachable'],
  ['an error event (500 in-band)', { kind: 'error-event', afterChunks: 2 }, 502, 'upstream_invalid_response'],
  ['malformed JSON', { kind: 'invalid-json', afterChunks: 2 }, 502, 'upstream_invalid_response'],
  ['silence (idle timeout)', { kind: 'stall-mid-stream', afterChunks: 2 }, 504, 'upstream_timeout'],
  ['no finish chunk', { kind: 'no-finish' }, 502, 'upstream_invalid_response'],
];

const cases: Case[] = [];
for (const [name, fault, status, code, paths] of beforeContent) {
  for (const path of paths) {
    cases.push({
      name,
      path,
      fault,
      client: { served: 'b' },
      attempts: [
        ['a', status, code],
        ['b', 200, null],
      ],
    });
  }
}
for (const path of ['json', 'stream'] as const) {
  cases.push({
    name: 'connection refused',
    path,
    fault: { kind: 'hang' },
    first: 'c',
    client: { served: 'b' },
    attempts: [
      ['c', 502, 'upstream_unreachable'],
      ['b', 200, null],
    ],
  });
  cases.push({
    name: '400 (not retryable: no fallback)',
    path,
    fault: { kind: 'status', status: 400 },
    client: { status: 400, code: 'upstream_rejected' },
    attempts: [['a', 400, 'upstream_rejected']],
  });
  cases.push({
    name: '401 upstream credentials (not retryable)',
    path,
    fault: { kind: 'status', status: 401 },
    client: { status: 502, code: 'upstream_auth_failed' },
    attempts: [['a', 502, 'upstream_auth_failed']],
  });
  cases.push({
    name: 'first byte slower than usual but within the timeout',
    path,
    fault: { kind: 'slow-first-byte', ms: 150 },
    client: { served: 'a' },
    attempts: [['a', 200, null]],
  });
}
for (const [name, fault, status, code] of afterContent) {
  cases.push({ name, path: 'stream', fault, client: { inBand: code }, attempts: [['a', status, code]] });
}
cases.push({
  name: 'no finish reason (a whole JSON answer is passed on)',
  path: 'json',
  fault: { kind: 'no-finish' },
  client: { served: 'a' },
  attempts: [['a', 200, null]],
});

const PROMPT = [{ role: 'user', content: 'Hi' }];
// The fake counts 3 + 1 prompt tokens and 11 completion tokens: a = 4·1 + 11·2, b = 4·3 + 11·4 micro-USD.
const COST = { a: 26, b: 56, c: 0 };

let routed: Routed;

before(async () => {
  const routes: Record<string, unknown> = {};
  const models: string[] = [];
  cases.forEach((c, i) => {
    const first = c.first ?? 'a';
    routes[`case-${i}`] = [`${first}/m${i}`, `b/m${i}`];
    models.push(`${first}/m${i}`, `b/m${i}`);
    // The same case through /v1/messages: models of its own, so health never leaks between the doors.
    routes[`messages-case-${i}`] = [`${first}/mm${i}`, `b/mm${i}`];
    models.push(`${first}/mm${i}`, `b/mm${i}`);
  });
  routed = await startRouted({
    routes,
    models: prices(models),
    routing: {
      timeouts: { first_token_ms: 400, idle_ms: 400, response_ms: 600, total_ms: 5_000 },
      backoff_base_ms: 10,
      backoff_max_ms: 50,
      keepalive_ms: 0,
    },
  });
});

after(async () => {
  await routed.close();
});

describe('fault matrix: route [a, b], fault on a', () => {
  cases.forEach((c, i) => {
    const where =
      c.path === 'json'
        ? 'non-streaming'
        : c.attempts.length === 1 && 'inBand' in c.client
          ? 'stream, after the first content'
          : 'stream, before the first content';
    // A hang fails the test by its timeout (not by a timed assertion: the first answer's schema check
    // compiles the OpenAPI spec, seconds on a busy machine).
    test(`${c.name} — ${where}`, { timeout: 15_000 }, async () => {
      const { a, b, gw, key } = routed;
      const before = { a: a.requests.length, b: b.requests.length };
      a.faults.length = 0;
      a.faults.push(c.fault);
      const res = await gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: { model: `case-${i}`, messages: PROMPT, stream: c.path === 'stream' },
      });
      const id = res.headers.get('x-request-id')!;
      const client = c.client;

      if ('served' in client) {
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-tokgate-deployment'), `${client.served}/m${i}`);
        assert.equal(res.headers.get('x-tokgate-provider'), client.served);
        if (c.path === 'json') {
          const body = await readJson(res);
          assert.equal(body.model, `case-${i}`, 'the answer echoes the alias');
          assert.equal(body.choices[0].message.content, DEFAULT_REPLY);
        } else {
          const sse = parseSse(await res.text());
          assert.ok(sse.done, 'ends with [DONE]');
          assert.equal(sse.text, DEFAULT_REPLY, 'one upstream stream, never stitched');
          for (const payload of sse.data.slice(0, -1)) assert.equal(JSON.parse(payload).model, `case-${i}`);
        }
      } else if ('status' in client) {
        assert.equal(res.status, client.status);
        const body = await readJson(res);
        assertMatchesSchema('ErrorResponse', body);
        assert.equal(body.error.code, client.code);
      } else {
        assert.equal(res.status, 200);
        const sse = parseSse(await res.text());
        assert.equal(sse.done, false, 'no [DONE] after a failure');
        assert.ok(sse.error, 'ends with an in-band error event');
        assertMatchesSchema('ErrorResponse', sse.error);
        assert.equal(sse.error.error.code, client.inBand);
        assert.ok(DEFAULT_REPLY.startsWith(sse.text) && sse.text.length > 0, 'a clean prefix of one answer');
      }

      // Upstream calls: one per attempt on a (or none when a is c), one on b when it was tried.
      const calls = (who: Who) => c.attempts.filter(([w]) => w === who).length;
      assert.equal(a.requests.length - before.a, calls('a'), 'calls to a');
      assert.equal(b.requests.length - before.b, calls('b'), 'calls to b');
      for (const request of b.requests.slice(before.b)) {
        assert.equal((request.body as { model: string }).model, `m${i}`, 'b gets its own model name');
      }

      const row = await routed.row(id);
      assert.deepEqual(
        attemptsOf(row).map((x) => [x.provider, x.status, x.code]),
        c.attempts,
      );
      for (const attempt of attemptsOf(row)) assert.ok(attempt.ms >= 0 && attempt.ms < 5_000);
      assert.equal(row.model, `case-${i}`);
      const last = c.attempts.at(-1)!;
      assert.equal(row.provider, last[0]);
      if ('served' in client) {
        assert.equal(row.status, 'ok');
        assert.equal(row.cost_micros, COST[client.served], 'only the serving attempt is billed');
      } else {
        assert.equal(row.status, 'error');
        assert.ok(!row.cost_micros, 'a failure costs nothing');
        assert.equal(row.error_code, 'status' in client ? client.code : client.inBand);
      }
    });
  });
});

/** An Anthropic event stream as the Messages door writes it: event names, text deltas, the last event. */
function parseAnthropicSse(body: string) {
  const events: Array<{ name: string; data: Record<string, unknown> }> = [];
  for (const frame of body.split('\n\n')) {
    if (frame === '' || frame.startsWith(':')) continue;
    const [eventLine = '', dataLine = ''] = frame.split('\n');
    assert.ok(eventLine?.startsWith('event: ') && dataLine?.startsWith('data: '), `framed: ${frame}`);
    const data = JSON.parse(dataLine.slice(6)) as Record<string, unknown>;
    assert.equal(data.type, eventLine.slice(7), 'the event name is its type');
    events.push({ name: eventLine.slice(7), data });
  }
  let text = '';
  for (const { data } of events) {
    const delta = data.delta as { type?: string; text?: string } | undefined;
    if (data.type === 'content_block_delta' && delta?.type === 'text_delta') text += delta.text ?? '';
  }
  return { events, text, last: events.at(-1) };
}

/** Our error codes as Anthropic's error types (src/core/error-renderers.ts). */
const ANTHROPIC_TYPE: Record<string, string> = {
  upstream_error: 'api_error',
  upstream_unavailable: 'overloaded_error',
  upstream_rate_limited: 'rate_limit_error',
  upstream_unreachable: 'api_error',
  upstream_timeout: 'timeout_error',
  upstream_invalid_response: 'api_error',
  upstream_rejected: 'invalid_request_error',
  upstream_auth_failed: 'api_error',
};

describe('fault matrix through /v1/messages (translated), stream path', () => {
  cases.forEach((c, i) => {
    if (c.path !== 'stream') return;
    const where =
      c.attempts.length === 1 && 'inBand' in c.client
        ? 'after the first content'
        : 'before the first content';
    test(`${c.name} — ${where}`, { timeout: 15_000 }, async () => {
      const { a, b, gw, key } = routed;
      const before = { a: a.requests.length, b: b.requests.length };
      a.faults.length = 0;
      a.faults.push(c.fault);
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: `messages-case-${i}`,
          max_tokens: 100,
          messages: [{ role: 'user', content: 'Hi' }],
          stream: true,
        }),
      });
      const id = res.headers.get('x-request-id')!;
      assert.equal(res.headers.get('request-id'), id);
      const client = c.client;
      if ('served' in client) {
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-tokgate-deployment'), `${client.served}/mm${i}`);
        const sse = parseAnthropicSse(await res.text());
        assert.equal(sse.events[0]?.name, 'message_start');
        const start = sse.events[0]?.data.message as { model?: string } | undefined;
        assert.equal(start?.model, `messages-case-${i}`);
        assert.equal(sse.last?.name, 'message_stop');
        assert.equal(sse.text, DEFAULT_REPLY, 'one upstream stream, never stitched');
      } else if ('status' in client) {
        assert.equal(res.status, client.status);
        const body = (await res.json()) as { type: string; error: { type: string; message: string } };
        assert.equal(body.type, 'error');
        assert.equal(body.error.type, ANTHROPIC_TYPE[client.code]);
      } else {
        assert.equal(res.status, 200);
        const sse = parseAnthropicSse(await res.text());
        assert.equal(sse.last?.name, 'error', 'ends with an error event, no message_stop');
        const error = sse.last?.data.error as { type?: string } | undefined;
        assert.equal(error?.type, ANTHROPIC_TYPE[client.inBand]);
        assert.ok(DEFAULT_REPLY.startsWith(sse.text) && sse.text.length > 0, 'a clean prefix of one answer');
      }
      const calls = (who: Who) => c.attempts.filter(([w]) => w === who).length;
      assert.equal(a.requests.length - before.a, calls('a'), 'calls to a');
      assert.equal(b.requests.length - before.b, calls('b'), 'calls to b');
      const row = await routed.row(id);
      assert.equal(row.door, 'messages');
      assert.deepEqual(
        attemptsOf(row).map((x) => [x.provider, x.status, x.code]),
        c.attempts,
      );
      if ('served' in client) assert.equal(row.cost_micros, COST[client.served]);
      else assert.ok(!row.cost_micros, 'a failure costs nothing');
    });
  });
});
