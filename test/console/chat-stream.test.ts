// The playground's stream reader (console/src/chat-stream.ts) in Node, against a local HTTP server that
// writes SSE the awkward ways a network may deliver it: CRLF, split anywhere (inside a UTF-8 character too),
// comments, named and data-less events. Also the in-band error, [DONE] ending the read (and the connection),
// the HTTP error, and a stop by the user.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../console/src/api.js';
import { streamChat } from '../../console/src/chat-stream.js';

const chunk = (content: string, finish: string | null = null) =>
  JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

/** What each path writes: a list of byte strings, sent one by one; `open` leaves the response unended. */
const routes: Record<string, { parts: Buffer[]; open?: boolean; status?: number }> = {};
/** Paths whose connection the client closed before the response ended. */
const closedEarly = new Set<string>();

function bytewise(text: string): Buffer[] {
  return [...Buffer.from(text)].map((byte) => Buffer.from([byte]));
}

describe('playground stream reader', () => {
  let server: Server;
  const realFetch = globalThis.fetch;

  before(async () => {
    server = createServer((req, res: ServerResponse) => {
      const path = (req.url ?? '').replace('/v1/chat/completions?', '');
      const route = routes[path];
      if (!route) return void res.writeHead(404).end();
      res.on('close', () => {
        if (!res.writableEnded) closedEarly.add(path);
      });
      res.writeHead(route.status ?? 200, { 'content-type': 'text/event-stream' });
      const parts = [...route.parts];
      const next = () => {
        const part = parts.shift();
        if (part) res.write(part, () => setImmediate(next));
        else if (!route.open) res.end();
      };
      next();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The console calls the gateway by relative URL; each test picks its route by the key.
    globalThis.fetch = (input, init) => {
      const key = new Headers(init?.headers).get('authorization')?.slice(7) ?? '';
      return realFetch(`${base}${String(input)}?${key}`, init);
    };
  });

  after(async () => {
    globalThis.fetch = realFetch;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const body = { model: 'openai/gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
  const live = () => new AbortController().signal;

  test('text, finish reason and usage, however the bytes are cut', async () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, cost: 0.0001 };
    const sse = [
      ': keep-alive\r\n\r\n',
      `data: ${chunk('Hé')}\r\n\r\n`,
      'event: ping\r\n\r\n',
      `data:${chunk('llo')}\n\n`,
      `data: ${chunk(' wörld', 'stop')}\r\r`,
      'data: not json\n\n',
      `data: ${JSON.stringify({ choices: [], usage })}\n\n`,
      'data: [DONE]\n\n',
    ].join('');
    for (const [path, parts] of [
      ['whole', [Buffer.from(sse)]],
      ['bytewise', bytewise(sse)],
    ] as const) {
      routes[path] = { parts: [...parts] };
      let text = '';
      const result = await streamChat(path, body, (delta) => (text += delta), live());
      assert.equal(text, 'Héllo wörld', path);
      assert.equal(result.finishReason, 'stop', path);
      assert.deepEqual(result.usage, usage, path);
      assert.ok(result.ttftMs !== undefined && result.ttftMs <= result.totalMs, path);
    }
  });

  test('a multi-line data field is one event, also with CRLF cut between CR and LF', async () => {
    const [head, tail] = [chunk('a').slice(0, 10), chunk('a').slice(10)];
    routes.multiline = { parts: bytewise(`data: ${head}\r\ndata: ${tail}\r\n\r\ndata: [DONE]\r\n\r\n`) };
    let text = '';
    await streamChat('multiline', body, (delta) => (text += delta), live());
    // The two lines join with a newline, which JSON takes as whitespace between tokens.
    assert.equal(text, 'a');
  });

  test('[DONE] ends the read and closes the connection, with nothing after it read', async () => {
    routes.done = {
      parts: [Buffer.from(`data: ${chunk('x')}\n\ndata: [DONE]\n\ndata: ${chunk('y')}\n\n`)],
      open: true,
    };
    let text = '';
    await streamChat('done', body, (delta) => (text += delta), live());
    assert.equal(text, 'x');
    for (let i = 0; i < 100 && !closedEarly.has('done'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closedEarly.has('done'));
  });

  test('an in-band error ends the stream with its message', async () => {
    routes.error = {
      parts: [Buffer.from(`data: ${chunk('x')}\n\ndata: {"error":{"message":"upstream went away"}}\n\n`)],
      open: true,
    };
    await assert.rejects(
      streamChat('error', body, () => {}, live()),
      (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.message, 'upstream went away');
        return true;
      },
    );
  });

  test('an HTTP error carries the gateway’s message and status', async () => {
    routes.refused = {
      status: 429,
      parts: [Buffer.from(JSON.stringify({ error: { message: 'Rate limit reached.' } }))],
    };
    await assert.rejects(
      streamChat('refused', body, () => {}, live()),
      (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.status, 429);
        assert.equal(error.message, 'Rate limit reached.');
        return true;
      },
    );
  });

  test('a stop by the user rejects with an AbortError and closes the connection', async () => {
    routes.stopped = { parts: [Buffer.from(`data: ${chunk('x')}\n\n`)], open: true };
    const controller = new AbortController();
    const done = streamChat('stopped', body, () => controller.abort(), controller.signal);
    await assert.rejects(
      done,
      (error: unknown) => error instanceof DOMException && error.name === 'AbortError',
    );
    for (let i = 0; i < 100 && !closedEarly.has('stopped'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closedEarly.has('stopped'));
  });
});
