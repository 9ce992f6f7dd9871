// The gateway end to end with the official openai client: what the client gets, and exactly what the
// upstream received.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { DEFAULT_REPLY, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

let fake: FakeOpenAI;
let gw: TestGateway;
let key: string;
let client: OpenAI;

before(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ OPENAI_API_KEY: 'sk-upstream', OPENAI_BASE_URL: fake.url });
  key = (await gw.createKey()).key;
  client = gw.client(key);
});

after(async () => {
  await gw.close();
  await fake.close();
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.faults.length = 0;
  fake.options = {};
});

const lastUpstreamBody = () => fake.requests.at(-1)?.body as Record<string, unknown>;

async function ledgerRow(id: string) {
  await gw.gateway.ledger.flush();
  const rows = await gw.gateway.store.listRequests({ limit: 50 });
  return rows.find((row) => row.id === id);
}

describe('non-streaming', () => {
  test('answers in OpenAI shape, echoes the model, and reports usage with cost', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] })
      .withResponse();
    assertMatchesSchema('CreateChatCompletionResponse', data);
    assert.equal(data.model, 'openai/gpt-4o');
    assert.match(data.id, /^chatcmpl-/);
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices[0]?.message.content, DEFAULT_REPLY);
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(
      [data.usage?.prompt_tokens, data.usage?.completion_tokens, data.usage?.total_tokens],
      [3 + 2, 11, 16],
    );
    // gpt-4o lists at $2.50 / $10 per million tokens: 5 × 2.5 + 11 × 10 = 122.5 µ$, rounded to 123 µ$.
    assert.equal((data.usage as unknown as { cost: number }).cost, 0.000123);
    assert.equal(response.headers.get('x-tokgate-provider'), 'openai');
    const requestId = response.headers.get('x-request-id');
    assert.ok(requestId);
    assert.equal(data.id, `chatcmpl-${requestId.slice(4)}`);

    const upstream = fake.requests.at(-1)!;
    assert.equal(upstream.path, '/v1/chat/completions');
    assert.equal(upstream.headers.authorization, 'Bearer sk-upstream');
    assert.deepEqual(upstream.body, { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] });

    const row = await ledgerRow(requestId);
    assert.equal(row?.status, 'ok');
    assert.equal(row?.prompt_tokens, data.usage?.prompt_tokens);
    assert.equal(row?.completion_tokens, data.usage?.completion_tokens);
    assert.equal(row?.cost_micros, 123);
    assert.equal(row?.usage_source, 'provider');
    assert.equal(row?.upstream_model, 'gpt-4o');
  });

  test('passes every parameter, known or not, to the upstream untouched', async () => {
    const params = {
      model: 'openai/gpt-4o-mini',
      messages: [
        { role: 'system' as const, content: 'Be brief.' },
        { role: 'developer' as const, content: 'Answer in English.' },
        { role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] },
      ],
      temperature: 0.3,
      top_p: 0.9,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      seed: 42,
      user: 'user-1',
      logit_bias: { '50256': -100 },
      logprobs: true,
      top_logprobs: 2,
      response_format: { type: 'json_object' as const },
      tools: [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: 'auto' as const,
      parallel_tool_calls: false,
      reasoning_effort: 'low' as const,
      max_completion_tokens: 50,
      metadata: { team: 'a' },
    };
    await client.chat.completions.create({ ...params, stop: ['\n\n'] });
    assert.deepEqual(lastUpstreamBody(), { ...params, model: 'gpt-4o-mini', stop: ['\n\n'] });
  });

  test('a large prompt reaches the upstream exactly as sent, streaming or not, with the model replaced', async () => {
    // Over 2 KB, the messages are forwarded as the client's own JSON text (not re-serialised): escapes,
    // unicode, nested parts and tool calls must all arrive intact.
    const long = `Line one "quoted" \\ back\\slash\ttab, ünïcödé 日本語 👩‍👩‍👧‍👦 \u0001 ${'prose '.repeat(2_000)}`;
    const messages = [
      { role: 'system' as const, content: long },
      { role: 'user' as const, content: [{ type: 'text' as const, text: long }], name: 'ann' },
      {
        role: 'assistant' as const,
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function' as const, function: { name: 'f', arguments: '{"q":"\\"x\\""}' } },
        ],
      },
      { role: 'tool' as const, tool_call_id: 'c1', content: '{"ok":true}' },
      { role: 'user' as const, content: 'and?' },
    ];
    await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, max_tokens: 5 });
    assert.deepEqual(lastUpstreamBody(), { model: 'gpt-4o-mini', messages, max_tokens: 5 });

    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages,
      stream: true,
    });
    for await (const _ of stream) {
      // drain
    }
    assert.deepEqual(lastUpstreamBody(), {
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });

    // Pretty-printed by the client, with a repeated key: what JSON.parse keeps is what goes upstream.
    const text = `{\n  "model": "openai/gpt-4o-mini",\n  "messages": [{"role": "user", "content": "first"}],\n  "messages": [ { "role" : "user" , "content" : ${JSON.stringify(long)} } ]\n}`;
    const res = await gw.call('/v1/chat/completions', { method: 'POST', key, body: text });
    assert.equal(res.status, 200);
    assert.deepEqual(lastUpstreamBody(), {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: long }],
    });
  });

  test('n choices, stop and max_tokens behave as OpenAI defines them', async () => {
    const many = await client.chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      n: 3,
    });
    assert.deepEqual(
      many.choices.map((c) => c.index),
      [0, 1, 2],
    );
    assert.equal(many.usage?.completion_tokens, 33);

    const stopped = await client.chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stop: 'upstream',
    });
    assert.equal(stopped.choices[0]?.message.content, 'Hello from the fake ');
    assert.equal(stopped.choices[0]?.finish_reason, 'stop');

    const cut = await client.chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 3,
    });
    assert.equal(cut.choices[0]?.message.content, 'Hello from the ');
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    assert.equal(cut.usage?.completion_tokens, 3);
    assert.equal(lastUpstreamBody().max_tokens, 3);
  });

  test('a model missing from the catalog is passed through and recorded unpriced', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'openai/gpt-9-preview', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    assert.equal(data.model, 'openai/gpt-9-preview');
    assert.equal(lastUpstreamBody().model, 'gpt-9-preview');
    assert.equal((data.usage as unknown as { cost?: number }).cost, undefined);
    assert.match(response.headers.get('x-tokgate-warnings') ?? '', /no price/);
    const row = await ledgerRow(response.headers.get('x-request-id')!);
    assert.equal(row?.cost_micros, null);
    assert.equal(row?.prompt_tokens, 4);
  });
});

describe('streaming', () => {
  test('chunks share one id and created, echo the model, and reassemble the text', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: 'Say hello' }],
        stream: true,
      })
      .withResponse();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length > 3);
    for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    // The completion id is the request's own, never the upstream's.
    const requestId = response.headers.get('x-request-id') ?? '';
    assert.equal(chunks[0]!.id, `chatcmpl-${requestId.replace(/^req_/, '')}`);
    assert.ok(
      chunks.every(
        (c) =>
          c.object === 'chat.completion.chunk' &&
          !('system_fingerprint' in c && c.system_fingerprint === null),
      ),
    );
    assert.ok(chunks.every((c) => c.model === 'openai/gpt-4o'));
    assert.ok(
      chunks.every((c) => !('usage' in c)),
      'no usage field when the client did not ask for it',
    );
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), DEFAULT_REPLY);
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
    // The gateway always asks for usage, so every stream is metered.
    assert.deepEqual(lastUpstreamBody().stream_options, { include_usage: true });
    assert.equal(lastUpstreamBody().model, 'gpt-4o');
  });

  test('include_usage gives a final chunk with no choices and usage with cost, matching the ledger', async () => {
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: {
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: 'Say hello' }],
        stream: true,
        stream_options: { include_usage: true },
      },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    assert.ok(events.every((e) => e.startsWith('data: ')));
    assert.equal(events.at(-1), 'data: [DONE]');
    const last = JSON.parse(events.at(-2)!.slice(6));
    assertMatchesSchema('CreateChatCompletionStreamResponse', last);
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.prompt_tokens, 5);
    assert.equal(last.usage.completion_tokens, 11);
    assert.equal(last.usage.cost, 0.000123);
    const row = await ledgerRow(res.headers.get('x-request-id')!);
    assert.equal(row?.completion_tokens, 11);
    assert.equal(row?.cost_micros, 123);
    assert.equal(row?.stream, 1);
    assert.ok(row?.ttft_ms !== null);
  });

  test('n=2 streams both choices interleaved by index', async () => {
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      n: 2,
    });
    const texts = ['', ''];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? '';
    }
    assert.deepEqual(texts, [DEFAULT_REPLY, DEFAULT_REPLY]);
  });

  test('chunks are forwarded as they arrive, not buffered', async () => {
    fake.options = { chunkDelayMs: 150, reply: 'one two three' };
    const started = Date.now();
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const arrivals: number[] = [];
    for await (const chunk of stream)
      if (chunk.choices[0]?.delta.content) arrivals.push(Date.now() - started);
    // Five chunks 150 ms apart upstream: the first content must arrive long before the last is sent.
    assert.equal(arrivals.length, 3);
    assert.ok(arrivals[2]! - arrivals[0]! >= 250, `arrivals ${arrivals.join(',')}`);
  });

  test('an upstream failure after the first chunk ends the stream with an in-band error and no [DONE]', async () => {
    fake.faults.push({ kind: 'drop-mid-stream', afterChunks: 2 });
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], stream: true },
    });
    assert.equal(res.status, 200);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.notEqual(events.at(-1), 'data: [DONE]');
    const error = JSON.parse(events.at(-1)!.slice(6));
    assertMatchesSchema('ErrorResponse', error);
    assert.equal(error.error.type, 'upstream_error');

    fake.faults.push({ kind: 'drop-mid-stream', afterChunks: 2 });
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    await assert.rejects(async () => {
      for await (const _ of stream) {
        // consume
      }
    }, OpenAI.APIError);
  });

  test('a client that goes away aborts the upstream call at once and the ledger keeps what was generated', async () => {
    fake.options = { chunkDelayMs: 100 };
    const abortedBefore = fake.aborted;
    const controller = new AbortController();
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      signal: controller.signal,
      json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], stream: true },
    });
    const requestId = res.headers.get('x-request-id')!;
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const deadline = Date.now() + 2000;
    while (fake.aborted === abortedBefore && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(fake.aborted, abortedBefore + 1);
    let row = await ledgerRow(requestId);
    while (!row && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      row = await ledgerRow(requestId);
    }
    assert.equal(row?.status, 'aborted');
    assert.equal(row?.usage_source, 'estimated');
    assert.ok((row?.completion_tokens ?? 0) < 11);
    assert.ok((row?.prompt_tokens ?? 0) > 0);
  });

  test('a client that goes away during a non-streaming call aborts it too', async () => {
    fake.faults.push({ kind: 'hang' });
    const abortedBefore = fake.aborted;
    const controller = new AbortController();
    const pending = gw
      .call('/v1/chat/completions', {
        method: 'POST',
        key,
        signal: controller.signal,
        json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] },
      })
      .catch((error: unknown) => error);
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await pending;
    const deadline = Date.now() + 2000;
    while (fake.aborted === abortedBefore && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(fake.aborted, abortedBefore + 1);
  });
});

describe('upstream failures', () => {
  const body = { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] };

  const cases: Array<{ name: string; fault: FakeOpenAI['faults'][number]; status: number; code: string }> = [
    {
      name: '429 keeps its Retry-After',
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '7' } },
      status: 429,
      code: 'upstream_rate_limited',
    },
    { name: '500 is a 502', fault: { kind: 'status', status: 500 }, status: 502, code: 'upstream_error' },
    {
      name: '503 is a 503',
      fault: { kind: 'status', status: 503 },
      status: 503,
      code: 'upstream_unavailable',
    },
    {
      name: 'bad upstream credentials are a 502',
      fault: { kind: 'status', status: 401 },
      status: 502,
      code: 'upstream_auth_failed',
    },
    {
      name: 'invalid JSON is a 502',
      fault: { kind: 'invalid-json' },
      status: 502,
      code: 'upstream_invalid_response',
    },
    {
      name: 'a dropped connection is a 502',
      fault: { kind: 'drop-mid-stream', afterChunks: 0 },
      status: 502,
      code: 'upstream_unreachable',
    },
  ];
  for (const { name, fault, status, code } of cases) {
    test(name, async () => {
      fake.faults.push(fault);
      const res = await gw.call('/v1/chat/completions', { method: 'POST', key, json: body });
      assert.equal(res.status, status);
      assert.ok(res.headers.get('x-request-id'));
      const json = await readJson(res);
      assertMatchesSchema('ErrorResponse', json);
      assert.equal(json.error.code, code);
      if (status === 429) assert.equal(res.headers.get('retry-after'), '7');
      const row = await ledgerRow(res.headers.get('x-request-id')!);
      assert.equal(row?.status, 'error');
      assert.equal(row?.cost_micros, null);
    });
  }

  test('an error before the first stream chunk is a plain HTTP error', async () => {
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: { ...body, stream: true },
    });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '3');
    assert.equal((await readJson(res)).error.type, 'rate_limit_error');
  });

  test('the openai client sees typed errors', async () => {
    fake.faults.push({ kind: 'status', status: 429 });
    await assert.rejects(client.chat.completions.create(body as never), OpenAI.RateLimitError);
    fake.faults.push({
      kind: 'status',
      status: 400,
      body: { error: { message: 'bad thing', type: 'invalid_request_error', param: 'tools', code: null } },
    });
    await assert.rejects(client.chat.completions.create(body as never), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.match(error.message, /bad thing/);
      assert.equal(error.param, 'tools');
      return true;
    });
  });
});
