// The outbound HTTP client: each gateway has its own (its own connection pool and timeouts), so closing one
// never waits for nor cuts another's calls.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import { createHttpClient, readJsonBody, streamBody, wholeJson } from '../../src/providers/http.js';

/** Fails with `message` unless `work` settles within `ms` (instead of hanging the test run). */
function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

describe('createHttpClient', () => {
  // `/held` answers its headers and holds the body open until released; `/slow` answers after 1.5 s (undici
  // checks its timeouts about every half second);
  // anything else answers at once.
  const held: ServerResponse[] = [];
  const server = createServer((request, response) => {
    request.resume();
    if (request.url === '/held') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first ');
      held.push(response);
    } else if (request.url === '/sse') {
      // A stream's last event, then the body's end only when released.
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: a\n\ndata: [DONE]\n\n');
      held.push(response);
    } else if (request.url === '/pieces') {
      // Headers, then the body in three writes; a 429 with a header to read back.
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      response.write('{"error":');
      setTimeout(() => response.write('{"message":"slow down"'), 5);
      setTimeout(() => response.end('}}'), 10);
    } else if (request.url === '/big') {
      response.end(`"${'x'.repeat(4096)}"`);
    } else if (request.url === '/slow') {
      setTimeout(() => response.end('{"ok":"slow"}'), 1_500);
    } else {
      response.end('{"ok":true}');
    }
  });
  let base: string;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const signal = () => new AbortController().signal;
  const options = { headersTimeoutMs: 300_000, bodyTimeoutMs: 600_000 };

  test("closing one client neither waits for nor cuts another's call in flight; the other goes on", async () => {
    const mine = createHttpClient(options);
    const other = createHttpClient(options);
    try {
      await mine.request('a', new URL('/', base), {}, '{}', signal()).then((res) => res.body.dump());
      const streaming = await other.request('b', new URL('/held', base), {}, '{}', signal());
      const text = streaming.body.text();

      await within(mine.close(), 2_000, "closing one client waited for another client's call");
      held.shift()!.end('rest');
      assert.equal(await text, 'first rest');

      const again = await other.request('b', new URL('/', base), {}, '{}', signal());
      assert.deepEqual(await readJsonBody('b', again, signal()), { ok: true });
    } finally {
      for (const response of held.splice(0)) response.end();
      await other.close();
    }
  });

  test('a closed client refuses new calls with a GatewayError', async () => {
    const client = createHttpClient(options);
    await client.close();
    await assert.rejects(
      client.request('a', new URL('/', base), {}, '{}', signal()),
      (error: unknown) => error instanceof GatewayError && error.status === 502,
    );
  });

  test('timeouts belong to each client', async () => {
    const impatient = createHttpClient({ headersTimeoutMs: 50, bodyTimeoutMs: 50 });
    const patient = createHttpClient(options);
    try {
      const [late, res] = await Promise.allSettled([
        impatient.request('a', new URL('/slow', base), {}, '{}', signal()),
        patient.request('b', new URL('/slow', base), {}, '{}', signal()),
      ]);
      assert.ok(late.status === 'rejected' && late.reason instanceof GatewayError);
      assert.equal(late.reason.code, 'upstream_timeout');
      assert.ok(res.status === 'fulfilled');
      assert.deepEqual(await readJsonBody('b', res.value, signal()), { ok: 'slow' });
    } finally {
      await impatient.close();
      await patient.close();
    }
  });

  test('streamBody: a loop that stops at the last event leaves the body be; released finished, it is drained and its connection reused; released early, destroyed', async () => {
    const client = createHttpClient(options);
    let connections = 0;
    const counted = () => {
      connections += 1;
    };
    server.on('connection', counted);
    try {
      const res = await client.request('a', new URL('/sse', base), {}, '{}', signal());
      const body = streamBody(res);
      let seen = '';
      for await (const bytes of body.reads) {
        seen += Buffer.from(bytes).toString();
        if (seen.includes('[DONE]')) break;
      }
      // Destroying it here would make Node create an AbortError for the body (a stack trace per stream).
      assert.equal(res.body.destroyed, false);
      body.release(true);
      const closed = once(res.body, 'close');
      held.shift()!.end();
      await within(closed, 2_000, 'the finished body was not drained');
      // undici puts the socket back in its pool a few ticks after the body closes.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.request('a', new URL('/', base), {}, '{}', signal()).then((again) => again.body.dump());
      assert.equal(connections, 1, 'the drained connection is reused');

      const left = await client.request('a', new URL('/sse', base), {}, '{}', signal());
      const early = streamBody(left);
      for await (const _ of early.reads) break;
      early.release(false);
      assert.equal(left.body.destroyed, true);
    } finally {
      server.off('connection', counted);
      for (const response of held.splice(0)) response.end();
      await client.close();
    }
  });

  describe('requestWhole: an answer read whole', () => {
    test('status, headers and the body joined from its pieces', async () => {
      const client = createHttpClient(options);
      try {
        const res = await client.requestWhole('a', new URL('/pieces', base), {}, '{}', signal());
        assert.equal(res.status, 429);
        assert.equal(res.headers['retry-after'], '7');
        // The pieces as they arrived (three writes 5 ms apart; a busy machine may read some at once), none
        // empty, and the body joined from them.
        assert.ok(res.pieces.every((piece) => piece.length > 0));
        assert.equal(Buffer.concat(res.pieces).toString(), '{"error":{"message":"slow down"}}');
        assert.deepEqual(wholeJson('a', res), { error: { message: 'slow down' } });
      } finally {
        await client.close();
      }
    });

    test("the call's signal aborts it, before it starts or while the answer is awaited", async () => {
      const client = createHttpClient(options);
      try {
        const early = new AbortController();
        early.abort(new DOMException('gone', 'AbortError'));
        await assert.rejects(
          client.requestWhole('a', new URL('/', base), {}, '{}', early.signal),
          (error: unknown) => (error as Error).name === 'AbortError',
        );
        const late = new AbortController();
        const pending = client.requestWhole('a', new URL('/held', base), {}, '{}', late.signal);
        while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        late.abort(new DOMException('gone', 'AbortError'));
        await within(
          assert.rejects(pending, (error: unknown) => (error as Error).name === 'AbortError'),
          2_000,
          'the abort did not end the call',
        );
      } finally {
        for (const response of held.splice(0)) response.end();
        await client.close();
      }
    });

    test('an answer larger than the limit, a timeout and a closed client are GatewayErrors', async () => {
      const small = createHttpClient({ ...options, maxAnswerBytes: 1024 });
      const impatient = createHttpClient({ headersTimeoutMs: 50, bodyTimeoutMs: 50 });
      const closed = createHttpClient(options);
      await closed.close();
      try {
        const codeOf = async (work: Promise<unknown>) => {
          const error = await work.then(
            () => undefined,
            (reason: unknown) => reason,
          );
          assert.ok(error instanceof GatewayError, String(error));
          return error.code;
        };
        assert.equal(
          await codeOf(small.requestWhole('a', new URL('/big', base), {}, '{}', signal())),
          'upstream_answer_too_large',
        );
        assert.equal(
          await codeOf(impatient.requestWhole('a', new URL('/slow', base), {}, '{}', signal())),
          'upstream_timeout',
        );
        assert.equal(
          await codeOf(closed.requestWhole('a', new URL('/', base), {}, '{}', signal())),
          'upstream_unreachable',
        );
        assert.throws(
          () => wholeJson('a', { status: 200, headers: {}, pieces: [], body: Buffer.from('not json') }),
          (error: unknown) => error instanceof GatewayError && /not JSON/.test(error.message),
        );
      } finally {
        await small.close();
        await impatient.close();
      }
    });
  });
});
