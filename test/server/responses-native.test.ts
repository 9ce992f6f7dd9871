// POST /v1/responses passed through to upstreams that have the Responses API themselves (OpenAI, Azure
// OpenAI's v1 surface): the client's body goes as sent (the upstream's model name aside), the upstream's
// Response and events come back as they came (with the gateway's response id, the client's model and the
// cost), metered from the upstream's usage; built-in tools run there and are refused where the request is
// translated; conversations kept by the gateway chain across models both ways.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { rawTopLevelValue } from '../../src/core/raw-json.js';
import { type FakeAzure, startFakeAzure } from '../fakes/azure.js';
import { DEFAULT_REPLY } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';
import { startTwoUpstreams, type TwoUpstreams } from '../support/two-upstreams.js';

let upstreams: TwoUpstreams;
let client: OpenAI;

before(async () => {
  upstreams = await startTwoUpstreams();
  client = upstreams.gw.client(upstreams.key);
});

after(async () => {
  await upstreams.close();
});

beforeEach(() => {
  upstreams.reset();
});

// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
const lastRequest = (): { path: string; body: any; raw: string; headers: Record<string, unknown> } => {
  const request = upstreams.openai.requests.at(-1);
  assert.ok(request, 'the OpenAI fake got no request');
  // biome-ignore lint/suspicious/noExplicitAny: as above
  return request as any;
};

const CLAUDE = 'anthropic/claude-sonnet-4-5-20250929';

async function rowOf(res: Response) {
  await upstreams.gw.gateway.ledger.flush();
  const row = await upstreams.gw.gateway.store.getRequest(res.headers.get('x-request-id')!);
  assert.ok(row);
  return row;
}

/** The text of a Response's message (the stream helper's final response has no `output_text`). */
const textOf = (response: OpenAI.Responses.Response) =>
  response.output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : ''))
    .join('');

/** A raw SSE body as its events, each checked against the spec and its `event:` line. */
function eventsOf(text: string) {
  return text
    .trim()
    .split('\n\n')
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      const data = JSON.parse(dataLine!.slice('data: '.length));
      assert.equal(eventLine, `event: ${data.type}`);
      assertMatchesSchema('ResponseStreamEvent', data);
      return data;
    });
}

describe('OpenAI models: passed through', () => {
  test("the client's body upstream as sent; the upstream's Response back with the gateway's id, model and cost", async () => {
    upstreams.openai.options.reasoning = 'Thinking it over.';
    upstreams.openai.options.cachedTokens = 4;
    const body = {
      model: 'openai/gpt-4o',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Search the web for tokgate.' }] }],
      tools: [{ type: 'web_search' }],
      include: ['reasoning.encrypted_content'],
      metadata: { ticket: '7' },
      max_output_tokens: 200,
      reasoning: { effort: 'low', summary: 'auto' },
      truncation: 'auto',
    };
    const res = await upstreams.gw.call('/v1/responses', { method: 'POST', key: upstreams.key, json: body });
    assert.equal(res.status, 200);
    // Nothing was dropped or translated: no warnings (web_search and truncation run upstream).
    assert.equal(res.headers.get('x-tokgate-warnings'), null);
    const answer = await readJson(res);
    assertMatchesSchema('Response', answer);

    const upstream = lastRequest();
    assert.equal(upstream.path, '/v1/responses');
    assert.deepEqual(upstream.body, { ...body, model: 'gpt-4o' });

    const requestId = res.headers.get('x-request-id')!;
    assert.equal(answer.id, `resp_${requestId.slice('req_'.length)}`);
    assert.equal(answer.model, 'openai/gpt-4o');
    assert.deepEqual(
      answer.output.map((item: { type: string }) => item.type),
      ['reasoning', 'web_search_call', 'message'],
    );
    assert.equal(typeof answer.output[0].encrypted_content, 'string');
    assert.equal(answer.output[2].content[0].text, DEFAULT_REPLY);
    assert.equal(answer.usage.input_tokens_details.cached_tokens, 4);
    assert.ok(answer.usage.output_tokens_details.reasoning_tokens > 0);

    // Metered from the upstream's usage: cached input at its price, reasoning as output.
    const row = await rowOf(res);
    assert.equal(row.door, 'response');
    assert.equal(row.prompt_tokens, answer.usage.input_tokens);
    assert.equal(row.cached_tokens, 4);
    assert.equal(row.completion_tokens, answer.usage.output_tokens);
    assert.equal(row.reasoning_tokens, answer.usage.output_tokens_details.reasoning_tokens);
    const expectedMicros = (answer.usage.input_tokens - 4) * 2.5 + 4 * 1.25 + answer.usage.output_tokens * 10;
    assert.equal(row.cost_micros, Math.round(expectedMicros));
    assert.equal(answer.usage.cost, row.cost_micros! / 1e6);

    // The stored answer is the one the client got.
    const stored = await upstreams.gw.call(`/v1/responses/${answer.id}`, { key: upstreams.key });
    assert.equal(stored.status, 200);
    assert.deepEqual(await readJson(stored), answer);
  });

  test('a large body: input and tools go upstream as the client wrote them (spliced in as bytes), streamed or not', async () => {
    const text = (n: number) => `ünïcödé 日本語 👩‍👩‍👧‍👦 "quoted" \\ back\nslash ${'word '.repeat(n)}`;
    const body = {
      model: 'openai/gpt-4o',
      instructions: text(50),
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: text(1500) }] },
        { type: 'function_call', call_id: 'call_1', name: 'read_file', arguments: '{"path":"é.ts"}' },
        { type: 'function_call_output', call_id: 'call_1', output: text(800) },
      ],
      tools: [
        {
          type: 'function',
          name: 'read_file',
          description: text(300),
          strict: false,
          parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
        },
      ],
      store: false,
    };
    // The client's own spelling: é as an escape, where serialising the body again would write é itself.
    const raw = JSON.stringify(body).replaceAll('é', '\\u00e9');
    for (const stream of [false, true]) {
      const sent = stream ? `${raw.slice(0, -1)},"stream":true}` : raw;
      const res = await upstreams.gw.call('/v1/responses', {
        method: 'POST',
        key: upstreams.key,
        headers: { 'content-type': 'application/json' },
        body: sent,
      });
      assert.equal(res.status, 200);
      await res.text();
      const upstream = lastRequest();
      assert.deepEqual(upstream.body, { ...body, model: 'gpt-4o', ...(stream ? { stream: true } : {}) });
      for (const member of ['input', 'tools']) {
        const written = rawTopLevelValue(sent, member)!;
        assert.ok(written.includes('\\u00e9'));
        assert.ok((upstream.raw as string).includes(written), `${member} as the client wrote it`);
      }
    }
  });

  test('streamed: the upstream events as they came, the response named by the gateway, the cost last', async () => {
    upstreams.openai.options.reasoning = 'Hmm.';
    const res = await upstreams.gw.call('/v1/responses', {
      method: 'POST',
      key: upstreams.key,
      json: { model: 'openai/gpt-4o', input: 'Hi', tools: [{ type: 'web_search' }], stream: true },
    });
    assert.equal(res.status, 200);
    const events = eventsOf(await res.text());
    assert.deepEqual(
      events.map((e: { sequence_number: number }) => e.sequence_number),
      events.map((_: unknown, i: number) => i),
    );
    const requestId = res.headers.get('x-request-id')!;
    const id = `resp_${requestId.slice('req_'.length)}`;
    assert.equal(events[0].type, 'response.created');
    assert.equal(events[0].response.id, id);
    assert.equal(events[0].response.model, 'openai/gpt-4o');
    // The built-in tool's own events, relayed.
    assert.ok(events.some((e: { type: string }) => e.type === 'response.web_search_call.completed'));
    const text = events
      .filter((e: { type: string }) => e.type === 'response.output_text.delta')
      .map((e: { delta: string }) => e.delta)
      .join('');
    assert.equal(text, DEFAULT_REPLY);
    const done = events.at(-1);
    assert.equal(done.type, 'response.completed');
    assert.equal(done.response.id, id);
    const row = await rowOf(res);
    assert.equal(done.response.usage.cost, row.cost_micros! / 1e6);
    assert.equal(row.completion_tokens, done.response.usage.output_tokens);
    // Kept by the gateway as streamed: the Response the last event carried, cost included.
    const stored = await client.responses.retrieve(id);
    assert.deepEqual(
      stored.output.map((item) => item.type),
      ['reasoning', 'web_search_call', 'message'],
    );
    // (The SDK adds `output_text` to what it retrieves.)
    const { output_text: _text, ...kept } = stored;
    assert.deepEqual(kept, done.response);
  });

  test('the openai SDK: responses.stream on a passed-through model gives the whole final response', async () => {
    const stream = client.responses.stream({ model: 'openai/gpt-4o', input: 'Hi' });
    const final = await stream.finalResponse();
    assertMatchesSchema('Response', final);
    assert.equal(textOf(final), DEFAULT_REPLY);
    assert.equal(final.model, 'openai/gpt-4o');
  });

  test('the output cap admission sets (what the balance can pay for) reaches the upstream as max_output_tokens', async () => {
    const created = await upstreams.gw.call('/admin/accounts', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { name: 'tight', credits_usd: 0.001 },
    });
    assert.equal(created.status, 201);
    const account = await readJson(created);
    const funded = await upstreams.gw.createKey({ account_id: account.id });
    const res = await upstreams.gw.call('/v1/responses', {
      method: 'POST',
      key: funded.key,
      json: { model: 'openai/gpt-4o', input: 'Hi' },
    });
    assert.equal(res.status, 200);
    const header = res.headers.get('x-tokgate-max-tokens') ?? '';
    assert.match(header, /^\d+; capped/);
    const cap = Number(header.split(';')[0]);
    // 1,000 µ$ at 10 µ$ per output token, less the prompt: under 100 tokens.
    assert.ok(cap > 0 && cap < 100, header);
    assert.equal(lastRequest().body.max_output_tokens, cap);
  });

  test('an upstream failure after the 200: error, then response.failed named by the gateway; the ledger says so', async () => {
    upstreams.openai.faults.push({ kind: 'error-event', afterChunks: 2 });
    const res = await upstreams.gw.call('/v1/responses', {
      method: 'POST',
      key: upstreams.key,
      json: { model: 'openai/gpt-4o', input: 'Hi', stream: true },
    });
    assert.equal(res.status, 200);
    const events = eventsOf(await res.text());
    assert.deepEqual(
      events.slice(-2).map((e: { type: string }) => e.type),
      ['error', 'response.failed'],
    );
    const requestId = res.headers.get('x-request-id')!;
    assert.equal(events.at(-1).response.id, `resp_${requestId.slice('req_'.length)}`);
    assert.deepEqual(
      events.map((e: { sequence_number: number }) => e.sequence_number),
      events.map((_: unknown, i: number) => i),
    );
    const row = await rowOf(res);
    assert.equal(row.status, 'error');
  });

  test('an upstream error before the 200 is answered in OpenAI shape with its status', async () => {
    upstreams.openai.faults.push({ kind: 'status', status: 400 });
    await assert.rejects(client.responses.create({ model: 'openai/gpt-4o', input: 'Hi' }), { status: 400 });
  });

  test('built-in tools run where the model is OpenAI, and are refused where the request is translated', async () => {
    const tools = [{ type: 'file_search', vector_store_ids: ['vs_1'] }];
    const passed = await upstreams.gw.call('/v1/responses', {
      method: 'POST',
      key: upstreams.key,
      json: { model: 'openai/gpt-4o', input: 'Find it.', tools },
    });
    assert.equal(passed.status, 200);
    assert.deepEqual(lastRequest().body.tools, tools);

    const refused = await upstreams.gw.call('/v1/responses', {
      method: 'POST',
      key: upstreams.key,
      json: { model: CLAUDE, input: 'Find it.', tools },
    });
    assert.equal(refused.status, 400);
    const error = await readJson(refused);
    assertMatchesSchema('ErrorResponse', error);
    assert.equal(error.error.param, 'tools[0].type');
    assert.equal(upstreams.anthropic.requests.length, 0);
  });

  test('a conversation chains across models: OpenAI (passed through) → Claude (translated) → OpenAI', async () => {
    upstreams.openai.options.reasoning = 'Recall the name.';
    const first = await client.responses.create({
      model: 'openai/gpt-4o',
      input: 'My name is Ada.',
      tools: [{ type: 'web_search' }],
      include: ['reasoning.encrypted_content'],
    });
    // Claude gets the conversation as messages: the reasoning and the web search are OpenAI's own records.
    const second = await client.responses.create({
      model: CLAUDE,
      previous_response_id: first.id,
      input: 'What is my name?',
    });
    assert.equal(second.status, 'completed');
    // biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
    const claudeBody = upstreams.anthropic.requests.at(-1)!.body as any;
    assert.deepEqual(
      claudeBody.messages.map((m: { role: string }) => m.role),
      ['user', 'assistant', 'user'],
    );
    assert.ok(JSON.stringify(claudeBody.messages).includes('My name is Ada.'));

    upstreams.openai.options = {};
    const third = await client.responses.create({
      model: 'openai/gpt-4o',
      previous_response_id: second.id,
      input: 'And again?',
    });
    assert.equal(third.previous_response_id, second.id);
    const replayed = lastRequest().body;
    assert.equal(replayed.previous_response_id, undefined);
    // Items without the gateway's ids; the reasoning with its encrypted content; no web search record.
    assert.deepEqual(
      replayed.input.map((item: { type?: string; role?: string }) => `${item.type}:${item.role ?? ''}`),
      [
        'message:user',
        'reasoning:',
        'message:assistant',
        'message:user',
        'message:assistant',
        'message:user',
      ],
    );
    for (const item of replayed.input) assert.equal(item.id, undefined);
    assert.equal(typeof replayed.input[1].encrypted_content, 'string');
  });
});

describe('Azure OpenAI: passed through to its v1 surface', () => {
  let azure: FakeAzure;
  let gw: TestGateway;
  let key: string;

  before(async () => {
    azure = await startFakeAzure();
    gw = await startTestGateway({ AZURE_OPENAI_API_KEY: 'az-up', AZURE_OPENAI_ENDPOINT: azure.url });
    key = (await gw.createKey()).key;
  });

  after(async () => {
    await gw.close();
    await azure.close();
  });

  test('POST {endpoint}/openai/v1/responses with the deployment as the model and the api-key header', async () => {
    const response = await gw.client(key).responses.create({ model: 'azure/gpt-4o', input: 'Hi' });
    assertMatchesSchema('Response', response);
    assert.equal(response.model, 'azure/gpt-4o');
    assert.equal(response.output_text, DEFAULT_REPLY);
    const upstream = azure.requests.at(-1)!;
    assert.equal(upstream.path, '/openai/v1/responses');
    assert.equal(upstream.headers['api-key'], 'az-up');
    assert.deepEqual(upstream.body, { model: 'gpt-4o', input: 'Hi' });

    const stream = gw.client(key).responses.stream({ model: 'azure/gpt-4o', input: 'Hi' });
    assert.equal(textOf(await stream.finalResponse()), DEFAULT_REPLY);
  });
});
