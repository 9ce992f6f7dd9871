// POST /v1/messages end to end with the official @anthropic-ai/sdk client: passed through to an Anthropic
// upstream (the upstream gets the client's body as sent), and translated for an OpenAI upstream (the
// upstream gets a chat request); what the client gets, what the upstream received, and the ledger row.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import {
  DEFAULT_REPLY as ANTHROPIC_REPLY,
  FAKE_THINKING,
  type FakeAnthropic,
  thinkingSignature,
} from '../fakes/anthropic.js';
import { type FakeOpenAI, DEFAULT_REPLY as OPENAI_REPLY } from '../fakes/openai.js';
import type { TestGateway } from '../support/gateway.js';
import { startTwoUpstreams, type TwoUpstreams } from '../support/two-upstreams.js';

let anthropic: FakeAnthropic;
let openai: FakeOpenAI;
let gw: TestGateway;
let upstreams: TwoUpstreams;
let key: string;
let client: Anthropic;

before(async () => {
  upstreams = await startTwoUpstreams();
  ({ openai, anthropic, gw, key } = upstreams);
  client = new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
});

after(async () => {
  await upstreams.close();
});

beforeEach(() => {
  upstreams.reset();
});

const SONNET = 'anthropic/claude-sonnet-4-5';
const upstreamBody = (fake: FakeAnthropic | FakeOpenAI) =>
  fake.requests.at(-1)?.body as Record<string, unknown>;

async function ledgerRow(id: string) {
  await gw.gateway.ledger.flush();
  const rows = await gw.gateway.store.listRequests({ limit: 100 });
  const row = rows.find((r) => r.id === id);
  assert.ok(row, `ledger row ${id}`);
  return row;
}

const WEATHER_TOOL: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('pass-through to an Anthropic upstream', () => {
  test('a large body (system, tools and messages as the client wrote them, spliced in as bytes) goes upstream as sent', async () => {
    const text = (n: number) => `ünïcödé 日本語 👩‍👩‍👧‍👦 "quoted" \\ back\nslash ${'word '.repeat(n)}`;
    const params = {
      model: SONNET,
      max_tokens: 300,
      system: [{ type: 'text' as const, text: text(400), cache_control: { type: 'ephemeral' as const } }],
      tools: [{ ...WEATHER_TOOL, description: text(300) }],
      messages: [
        { role: 'user' as const, content: text(2000) },
        { role: 'assistant' as const, content: [{ type: 'text' as const, text: text(1500) }] },
        { role: 'user' as const, content: [{ type: 'text' as const, text: text(10) }] },
      ],
    };
    await client.messages.create(params);
    assert.deepEqual(upstreamBody(anthropic), { ...params, model: 'claude-sonnet-4-5' });
  });

  test('the upstream gets the body as sent (model name without its prefix); the answer is its own', async () => {
    const params = {
      model: SONNET,
      max_tokens: 200,
      system: [
        { type: 'text' as const, text: 'You are terse.', cache_control: { type: 'ephemeral' as const } },
      ],
      messages: [
        {
          role: 'user' as const,
          content: [
            { type: 'text' as const, text: 'Say hello', cache_control: { type: 'ephemeral' as const } },
          ],
        },
      ],
      metadata: { user_id: '{"session":"abc"}' },
      temperature: 0.3,
      top_k: 5,
    };
    anthropic.options.cacheReadInputTokens = 1000;
    anthropic.options.cacheCreationInputTokens = 200;
    const { data, response } = await client.messages
      .create(params, { headers: { 'anthropic-beta': 'prompt-caching-2024-07-31' } })
      .withResponse();
    assert.deepEqual(upstreamBody(anthropic), { ...params, model: 'claude-sonnet-4-5' });
    const upstream = anthropic.requests.at(-1)!;
    assert.equal(upstream.headers['anthropic-beta'], 'prompt-caching-2024-07-31');
    assert.equal(upstream.headers['x-api-key'], 'sk-ant-upstream');
    assert.equal(data.model, SONNET);
    assert.match(data.id, /^msg_01/);
    assert.deepEqual(data.content, [{ type: 'text', text: ANTHROPIC_REPLY }]);
    assert.equal(data.stop_reason, 'end_turn');
    // input_tokens: 3 + 3 (system) + 3 + 2 (the message); exactly as the upstream reported.
    assert.equal(data.usage.input_tokens, 11);
    assert.equal(data.usage.cache_read_input_tokens, 1000);
    assert.equal(data.usage.cache_creation_input_tokens, 200);
    const requestId = response.headers.get('x-request-id')!;
    assert.equal(response.headers.get('request-id'), requestId);

    const row = await ledgerRow(requestId);
    assert.equal(row.model, SONNET);
    assert.equal(row.door, 'messages');
    assert.equal(row.prompt_tokens, 11 + 1000 + 200);
    assert.equal(row.cached_tokens, 1000);
    assert.equal(row.completion_tokens, ANTHROPIC_REPLY.split(' ').length);
    // claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write (5 minutes), $15 output per million.
    const expected = Math.round(11 * 3 + 1000 * 0.3 + 200 * 3.75 + (row.completion_tokens ?? 0) * 15);
    assert.equal(row.cost_micros, expected);
  });

  test('writes to the 1-hour cache are priced as such (twice the input price, not the 5-minute price)', async () => {
    anthropic.options.cacheCreationInputTokens = 300;
    anthropic.options.cacheCreation1hInputTokens = 100;
    const { data, response } = await client.messages
      .create({
        model: SONNET,
        max_tokens: 100,
        system: [{ type: 'text', text: 'Long rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        messages: [{ role: 'user', content: 'hi' }],
      })
      .withResponse();
    assert.equal(data.usage.cache_creation?.ephemeral_1h_input_tokens, 100);
    const row = await ledgerRow(response.headers.get('x-request-id')!);
    // input 3 + 2 (system) + 3 + 1 = 9; writes: 200 at $3.75, 100 at $6 per million; output at $15.
    const expected = Math.round(9 * 3 + 200 * 3.75 + 100 * 6 + (row.completion_tokens ?? 0) * 15);
    assert.equal(row.cost_micros, expected);
  });

  test('a stream is relayed event by event; finalMessage() has the usage the upstream reported', async () => {
    const events: string[] = [];
    const stream = client.messages.stream({
      model: SONNET,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    stream.on('streamEvent', (event) => events.push(event.type));
    const message = await stream.finalMessage();
    // (The SDK does not surface ping events.)
    assert.deepEqual(events.slice(0, 3), ['message_start', 'content_block_start', 'content_block_delta']);
    assert.deepEqual(events.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(message.model, SONNET);
    assert.equal(message.content[0]?.type === 'text' && message.content[0].text, ANTHROPIC_REPLY);
    assert.equal(message.usage.input_tokens, 3 + 2);
    assert.equal(message.usage.output_tokens, ANTHROPIC_REPLY.split(' ').length);
    assert.equal(upstreamBody(anthropic).stream, true);
    const { response } = await stream.withResponse();
    const row = await ledgerRow(response.headers.get('x-request-id')!);
    assert.equal(row.stream, 1);
    assert.equal(row.prompt_tokens, 5);
    assert.equal(row.completion_tokens, ANTHROPIC_REPLY.split(' ').length);
  });

  test('thinking with tool use: the signed thinking block goes back unchanged and the upstream accepts it', async () => {
    anthropic.options.toolCall = { input: { city: 'Paris' } };
    const headers = { 'anthropic-beta': 'interleaved-thinking-2025-05-14' };
    const first = await client.messages
      .stream(
        {
          model: SONNET,
          max_tokens: 2000,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          tools: [WEATHER_TOOL],
          messages: [{ role: 'user', content: 'Weather in Paris?' }],
        },
        { headers },
      )
      .finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    const thinking = first.content[0];
    assert.equal(thinking?.type, 'thinking');
    assert.equal(thinking?.type === 'thinking' && thinking.thinking, FAKE_THINKING);
    assert.equal(thinking?.type === 'thinking' && thinking.signature, thinkingSignature(FAKE_THINKING));
    const toolUse = first.content.find((b) => b.type === 'tool_use');
    assert.ok(toolUse && toolUse.type === 'tool_use');
    assert.deepEqual(toolUse.input, { city: 'Paris' });

    delete anthropic.options.toolCall;
    const second = await client.messages.create(
      {
        model: SONNET,
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'Sunny, 24 °C' }],
          },
        ],
      },
      { headers },
    );
    assert.equal(second.stop_reason, 'end_turn');
    const sent = upstreamBody(anthropic).messages as Array<{ content: unknown }>;
    assert.deepEqual(sent[1]?.content, JSON.parse(JSON.stringify(first.content)));
  });

  test('the response cache keys on the body as sent: a hit is a Message; a different thinking setting is a miss', async () => {
    const params = {
      model: SONNET,
      max_tokens: 2000,
      messages: [{ role: 'user' as const, content: 'cache me' }],
    };
    const headers = { 'x-tokgate-cache': 'true' };
    const first = await client.messages.create(params, { headers });
    const { data: hit, response } = await client.messages.create(params, { headers }).withResponse();
    assert.equal(response.headers.get('x-tokgate-cache'), 'hit');
    assert.equal(hit.type, 'message');
    assert.deepEqual(hit.content, first.content);
    assert.equal(anthropic.requests.length, 1);
    await client.messages.create(
      { ...params, thinking: { type: 'enabled', budget_tokens: 1024 } },
      { headers },
    );
    assert.equal(anthropic.requests.length, 2, 'the same translation, another body: not the same answer');
  });

  test('count_tokens is the upstream own count', async () => {
    const res = await client.messages.countTokens({
      model: SONNET,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Say hello please' }],
    });
    assert.equal(res.input_tokens, 3 + 3 + 3 + 3);
    const upstream = anthropic.requests.at(-1)!;
    assert.equal(upstream.path, '/v1/messages/count_tokens');
    assert.equal((upstream.body as Record<string, unknown>).model, 'claude-sonnet-4-5');
  });

  test("the upstream's refusal of a request comes back in Anthropic's shape", async () => {
    await assert.rejects(
      client.messages.create({
        model: SONNET,
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
        // Not a field of the Messages API: the upstream refuses it, as Anthropic does.
        ...({ not_a_field: 1 } as object),
      }),
      (error: unknown) => {
        assert.ok(error instanceof Anthropic.BadRequestError);
        assert.equal((error.error as { type: string }).type, 'error');
        assert.match(error.message, /not_a_field: Extra inputs are not permitted/);
        return true;
      },
    );
  });
});

describe('translation for an OpenAI upstream', () => {
  const GPT = 'openai/gpt-4o';

  test('the upstream gets a chat request; the client gets a Message', async () => {
    const message = await client.messages.create({
      model: GPT,
      max_tokens: 50,
      system: 'You are terse.',
      stop_sequences: ['END'],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }],
      metadata: { user_id: 'user-7' },
    });
    const body = upstreamBody(openai);
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello' },
    ]);
    assert.equal(body.model, 'gpt-4o');
    assert.equal(body.max_tokens, 50);
    assert.deepEqual(body.stop, ['END']);
    assert.equal(body.user, 'user-7');
    assert.equal(message.model, GPT);
    assert.match(message.id, /^msg_/);
    assert.deepEqual(message.content, [{ type: 'text', text: OPENAI_REPLY }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.input_tokens, 3 + 3 + 3 + 2);
    assert.equal(message.usage.output_tokens, OPENAI_REPLY.split(' ').length);
  });

  test('a stream is re-framed as Anthropic events with numbered blocks', async () => {
    const events: Anthropic.MessageStreamEvent[] = [];
    const stream = client.messages.stream({
      model: GPT,
      max_tokens: 50,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    stream.on('streamEvent', (event) => events.push(event));
    const message = await stream.finalMessage();
    assert.equal(message.content[0]?.type === 'text' && message.content[0].text, OPENAI_REPLY);
    assert.equal(message.usage.input_tokens, 5);
    assert.equal(message.usage.output_tokens, OPENAI_REPLY.split(' ').length);
    assert.deepEqual(
      [...new Set(events.map((e) => e.type))],
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    assert.equal(upstreamBody(openai).stream, true);
  });

  test('tool use round trip: tool_use becomes tool_calls, tool_result becomes a tool message', async () => {
    openai.options.toolCall = { name: 'get_weather', arguments: '{"city":"Paris"}' };
    const first = await client.messages
      .stream({
        model: GPT,
        max_tokens: 50,
        tools: [WEATHER_TOOL],
        tool_choice: { type: 'any' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      })
      .finalMessage();
    const sentTools = upstreamBody(openai).tools as Array<Record<string, unknown>>;
    assert.deepEqual(sentTools, [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: WEATHER_TOOL.input_schema,
          description: 'The weather in a city',
        },
      },
    ]);
    assert.equal(upstreamBody(openai).tool_choice, 'required');
    assert.equal(first.stop_reason, 'tool_use');
    const toolUse = first.content.find((b) => b.type === 'tool_use');
    assert.ok(toolUse && toolUse.type === 'tool_use');
    assert.equal(toolUse.name, 'get_weather');
    assert.deepEqual(toolUse.input, { city: 'Paris' });

    delete openai.options.toolCall;
    await client.messages.create({
      model: GPT,
      max_tokens: 50,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'Sunny' }] },
      ],
    });
    const sent = upstreamBody(openai).messages as Array<Record<string, unknown>>;
    assert.deepEqual(sent.slice(1), [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: toolUse.id,
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: toolUse.id, content: 'Sunny' },
    ]);
  });

  test('thinking is dropped with a warning; a server tool is refused before anything is sent', async () => {
    const { response } = await client.messages
      .create({
        model: GPT,
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'hi' }],
      })
      .withResponse();
    assert.match(
      response.headers.get('x-tokgate-warnings') ?? '',
      /'thinking' is only supported by Anthropic/,
    );
    assert.equal(upstreamBody(openai).thinking, undefined);

    const before = openai.requests.length;
    await assert.rejects(
      client.messages.create({
        model: GPT,
        max_tokens: 100,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (error: unknown) => {
        assert.ok(error instanceof Anthropic.BadRequestError);
        assert.match(error.message, /server tool 'web_search_20250305' cannot be translated/);
        return true;
      },
    );
    assert.equal(openai.requests.length, before);
  });

  test('count_tokens is the gateway tokenizer count, and says so', async () => {
    const { data, response } = await client.messages
      .countTokens({ model: GPT, messages: [{ role: 'user', content: 'Say hello please' }] })
      .withResponse();
    assert.ok(data.input_tokens > 0);
    assert.equal(response.headers.get('x-tokgate-token-count'), 'estimated');
    assert.equal(openai.requests.length, 0);
  });
});

describe('authentication and errors in Anthropic shape', () => {
  test('x-api-key and Authorization: Bearer both authenticate', async () => {
    const viaBearer = new Anthropic({ baseURL: gw.url, authToken: key, apiKey: null, maxRetries: 0 });
    const message = await viaBearer.messages.create({
      model: SONNET,
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(message.type, 'message');
  });

  test('a missing or wrong key is an authentication_error', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-tg-wrong' },
      body: JSON.stringify({ model: SONNET, max_tokens: 10, messages: [] }),
    });
    assert.equal(res.status, 401);
    assert.ok(res.headers.get('request-id'));
    const body = (await res.json()) as { type: string; error: { type: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'authentication_error');
  });

  test('a request without max_tokens is a 400 naming the field, nothing sent upstream', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ model: SONNET, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });
    assert.equal(anthropic.requests.length, 0);
  });

  test('an unknown model is a not_found_error', async () => {
    await assert.rejects(
      client.messages.create({
        model: 'nope/model',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (error: unknown) => error instanceof Anthropic.NotFoundError,
    );
  });

  test('an upstream failure after the stream began is told in-band as an error event', async () => {
    anthropic.faults.push({ kind: 'stream-error', afterChunks: 2, errorType: 'overloaded_error' });
    const stream = client.messages.stream({
      model: SONNET,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    await assert.rejects(stream.finalMessage(), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.match(String(error.message), /overloaded/i);
      return true;
    });
  });

  test('an upstream overloaded before the first token is an HTTP error, not a broken stream', async () => {
    anthropic.faults.push({ kind: 'status', status: 529 });
    const stream = client.messages.stream({
      model: SONNET,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    await assert.rejects(stream.finalMessage(), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 503);
      assert.equal((error.error as { error: { type: string } }).error.type, 'overloaded_error');
      return true;
    });
  });
});
