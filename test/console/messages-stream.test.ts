// The playground's Messages stream reader (console/src/messages-stream.ts) in Node, against a local HTTP
// server writing Anthropic's SSE events the awkward ways a network may deliver them (CRLF, split anywhere,
// also inside a UTF-8 character; pings, unnamed events, thinking and tool deltas to skip). Also the usage
// split between message_start and message_delta, the request it sends, an `error` event, a stream cut before
// message_stop, the HTTP error in Anthropic's shape, and a stop by the user.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../console/src/api.js';
import { streamMessages } from '../../console/src/messages-stream.js';

const event = (data: Record<string, unknown>, eol = '\n') =>
  `event: ${String(data.type)}${eol}data: ${JSON.stringify(data)}${eol}${eol}`;
const start = (usage: Record<string, unknown>) =>
  event({
    type: 'message_start',
    message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'm', usage },
  });
const text = (value: string, eol = '\n') =>
  event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: value } }, eol);
const STOP = event({ type: 'message_stop' });

/** What each path writes: a list of byte strings, sent one by one; `open` leaves the response unended. */
const routes: Record<string, { parts: Buffer[]; open?: boolean; status?: number }> = {};
/** Paths whose connection the client closed before the response ended. */
const closedEarly = new Set<string>();
/** The last request each path got. */
const received: Record<string, { headers: IncomingMessage['headers']; url: string; body: unknown }> = {};

function bytewise(value: string): Buffer[] {
  return [...Buffer.from(value)].map((byte) => Buffer.from([byte]));
}

describe('playground Messages stream reader', () => {
  let server: Server;
  const realFetch = globalThis.fetch;

  before(async () => {
    server = createServer(async (req, res: ServerResponse) => {
      const [url = '', path = ''] = (req.url ?? '').split('?');
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received[path] = { headers: req.headers, url, body: JSON.parse(Buffer.concat(chunks).toString()) };
      const route = routes[path];
      if (!route) return void res.writeHead(404).end();
      res.on('close', () => {
        if (!res.writableEnded) closedEarly.add(path);
      });
      res.writeHead(route.status ?? 200, {
        'content-type': route.status ? 'application/json' : 'text/event-stream',
        'x-request-id': `req_${path}`,
      });
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
      const key = new Headers(init?.headers).get('x-api-key') ?? '';
      return realFetch(`${base}${String(input)}?${key}`, init);
    };
  });

  after(async () => {
    globalThis.fetch = realFetch;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const body = {
    model: 'anthropic/claude-sonnet-4-5',
    max_tokens: 1024,
    system: 'Be brief.',
    messages: [{ role: 'user' as const, content: 'hi' }],
  };
  const live = () => new AbortController().signal;

  test('sends the Messages API request with the key as x-api-key and the anthropic-version header', async () => {
    routes.request = { parts: [Buffer.from(start({ input_tokens: 1, output_tokens: 1 }) + STOP)] };
    await streamMessages('request', { ...body, temperature: 0.3 }, () => {}, live());
    const got = received.request;
    assert.equal(got?.url, '/v1/messages');
    assert.equal(got?.headers['x-api-key'], 'request');
    assert.equal(got?.headers['anthropic-version'], '2023-06-01');
    assert.equal(got?.headers.authorization, undefined);
    assert.deepEqual(got?.body, { ...body, temperature: 0.3, stream: true });
  });

  test('text, stop reason and usage, however the bytes are cut', async () => {
    const sse = [
      start({ input_tokens: 12, cache_read_input_tokens: 4, output_tokens: 1 }),
      event({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }),
      event({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }),
      event({ type: 'content_block_stop', index: 0 }),
      event({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
      'event: ping\r\ndata: {"type": "ping"}\r\n\r\n',
      ': a comment\n\n',
      text('Hé', '\r\n'),
      // Unnamed: not part of Anthropic's stream (its SDK skips these too).
      `data: ${JSON.stringify({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'X' } })}\n\n`,
      text('llo'),
      text(' wörld', '\r'),
      event({
        type: 'content_block_delta',
        index: 2,
        delta: { type: 'input_json_delta', partial_json: '{' },
      }),
      event({ type: 'content_block_stop', index: 1 }),
      event({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 7 },
      }),
      STOP,
    ].join('');
    for (const [path, parts] of [
      ['whole', [Buffer.from(sse)]],
      ['bytewise', bytewise(sse)],
    ] as const) {
      routes[path] = { parts: [...parts] };
      let got = '';
      const result = await streamMessages(path, body, (delta) => (got += delta), live());
      assert.equal(got, 'Héllo wörld', path);
      assert.equal(result.stopReason, 'end_turn', path);
      // message_start's input counts stay; message_delta's output count replaces the first one.
      assert.deepEqual(
        result.usage,
        { input_tokens: 12, cache_read_input_tokens: 4, output_tokens: 7 },
        path,
      );
      assert.equal(result.requestId, `req_${path}`, path);
      assert.ok(result.ttftMs !== undefined && result.ttftMs <= result.totalMs, path);
    }
  });

  test('counts in message_delta override those of message_start', async () => {
    routes.override = {
      parts: [
        Buffer.from(
          start({ input_tokens: 0, output_tokens: 0 }) +
            text('a') +
            event({
              type: 'message_delta',
              delta: { stop_reason: 'max_tokens' },
              usage: { input_tokens: 9, output_tokens: 3, cache_creation_input_tokens: null },
            }) +
            STOP,
        ),
      ],
    };
    const result = await streamMessages('override', body, () => {}, live());
    assert.deepEqual(result.usage, { input_tokens: 9, output_tokens: 3 });
    assert.equal(result.stopReason, 'max_tokens');
  });

  test('message_stop ends the read and closes the connection, with nothing after it read', async () => {
    routes.stop = { parts: [Buffer.from(text('x') + STOP + text('y'))], open: true };
    let got = '';
    await streamMessages('stop', body, (delta) => (got += delta), live());
    assert.equal(got, 'x');
    for (let i = 0; i < 100 && !closedEarly.has('stop'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closedEarly.has('stop'));
  });

  test('an error event ends the stream with its message and type', async () => {
    const error = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    routes.error = { parts: [Buffer.from(text('x') + event(error) + text('y'))], open: true };
    let got = '';
    await assert.rejects(
      streamMessages('error', body, (delta) => (got += delta), live()),
      (failure: unknown) => {
        assert.ok(failure instanceof ApiError);
        assert.equal(failure.message, 'Overloaded');
        assert.equal(failure.code, 'overloaded_error');
        return true;
      },
    );
    assert.equal(got, 'x');
  });

  test('a stream that ends before message_stop is an error, not a short answer', async () => {
    routes.cut = { parts: [Buffer.from(start({ input_tokens: 1 }) + text('x'))] };
    await assert.rejects(
      streamMessages('cut', body, () => {}, live()),
      (failure: unknown) =>
        failure instanceof ApiError && /before the answer was complete/.test(failure.message),
    );
  });

  test('an HTTP error carries the message of Anthropic’s error body and its status', async () => {
    routes.refused = {
      status: 400,
      parts: [
        Buffer.from(
          JSON.stringify({
            type: 'error',
            error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
            request_id: 'req_1',
          }),
        ),
      ],
    };
    await assert.rejects(
      streamMessages('refused', body, () => {}, live()),
      (failure: unknown) => {
        assert.ok(failure instanceof ApiError);
        assert.equal(failure.status, 400);
        assert.equal(failure.message, 'max_tokens: Field required');
        assert.equal(failure.code, 'invalid_request_error');
        return true;
      },
    );
  });

  test('a stop by the user rejects with an AbortError and closes the connection', async () => {
    routes.stopped = { parts: [Buffer.from(text('x'))], open: true };
    const controller = new AbortController();
    const done = streamMessages('stopped', body, () => controller.abort(), controller.signal);
    await assert.rejects(
      done,
      (failure: unknown) => failure instanceof DOMException && failure.name === 'AbortError',
    );
    for (let i = 0; i < 100 && !closedEarly.has('stopped'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closedEarly.has('stopped'));
  });
});
