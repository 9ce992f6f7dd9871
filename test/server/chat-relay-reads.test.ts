// A chat stream through the real gateway, from an OpenAI upstream that writes the same bytes in one write
// or cut into many reads: runs of plain events taken whole (one read) and events taken one by one (cut
// reads) must give the client the same bytes and the ledger the same row, with upstream usage and without
// it (the token-count fallback).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const ID = 'chatcmpl-up1';
const CREATED = 1715367049;

const event = (delta: object, finish: string | null = null, extra: object = {}) =>
  `data: ${JSON.stringify({
    id: ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'gpt-4o-2024-08-06',
    service_tier: 'default',
    system_fingerprint: 'fp_1',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
    ...extra,
    obfuscation: 'x1y2',
  })}\n\n`;

const TEXTS = ['Hello', ' "quoted"', ' back\\slash', ' é', ' 😀', '\n', ' and', ' more', ' text', '.'];

function stream(withUsage: boolean): string {
  let out = event({ role: 'assistant', content: '', refusal: null });
  for (const text of TEXTS) out += event({ content: text });
  out += event({}, 'stop');
  if (withUsage) {
    out += `data: ${JSON.stringify({
      id: ID,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: 'gpt-4o-2024-08-06',
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 10, total_tokens: 17 },
    })}\n\n`;
  }
  return `${out}data: [DONE]\n\n`;
}

/** What the upstream writes next: the stream, and the byte offsets it is cut at (a pause between writes). */
let next: { body: Buffer; cuts: number[] } = { body: Buffer.alloc(0), cuts: [] };

describe('chat streams relayed whole reads or event by event', () => {
  let upstream: Server;
  let gw: TestGateway;
  let key: string;

  before(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', async () => {
        const { body, cuts } = next;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.socket?.setNoDelay(true);
        let from = 0;
        for (const at of [...cuts, body.length]) {
          res.write(body.subarray(from, at));
          from = at;
          if (at < body.length) await new Promise((resolve) => setTimeout(resolve, 2));
        }
        res.end();
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    gw = await startTestGateway({
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
    });
    key = (await gw.createKey()).key;
  });

  after(async () => {
    await gw.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  /** The client's bytes (the gateway's id written as ID) and the request's ledger row. */
  async function request(body: Buffer, cuts: number[], includeUsage: boolean) {
    next = { body, cuts };
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: {
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: 'Say hello.' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      },
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    const id = /"id":"(chatcmpl-[^"]+)"/.exec(text)![1]!;
    assert.notEqual(id, ID);
    await gw.gateway.ledger.flush();
    const row = await gw.gateway.store.getRequest(res.headers.get('x-request-id')!);
    assert.ok(row);
    const { prompt_tokens, completion_tokens, usage_source, cost_micros, status } = row;
    return {
      client: text.split(id).join('GATEWAY_ID'),
      row: { prompt_tokens, completion_tokens, usage_source, cost_micros, status },
    };
  }

  for (const withUsage of [true, false]) {
    for (const includeUsage of [false, true]) {
      test(`same bytes and row however the upstream's reads fall (upstream usage ${withUsage}, include_usage ${includeUsage})`, async () => {
        const body = Buffer.from(stream(withUsage));
        const whole = await request(body, [], includeUsage);
        // What the client reads says what the upstream said.
        const events = whole.client.split('\n\n').filter((e) => e !== '');
        assert.equal(events.at(-1), 'data: [DONE]');
        const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
        const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
        assert.equal(content, TEXTS.join(''));
        assert.equal(chunks.at(-1).usage !== undefined, includeUsage);
        assert.equal(whole.row.usage_source, withUsage ? 'provider' : 'estimated');
        if (withUsage) assert.equal(whole.row.completion_tokens, 10);

        const step = 37;
        const cuts = [
          Array.from({ length: Math.floor((body.length - 1) / step) }, (_, i) => (i + 1) * step),
          [body.indexOf('data: ', 300) + 3],
          [1, 2, body.length - 3],
        ];
        for (const at of cuts) {
          const cut = await request(body, at, includeUsage);
          assert.equal(cut.client, whole.client, `cut at ${at.join(',')}`);
          assert.deepEqual(cut.row, whole.row, `cut at ${at.join(',')}`);
        }
      });
    }
  }
});
