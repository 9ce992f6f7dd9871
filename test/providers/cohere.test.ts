// The Cohere provider against the fake Cohere API, and the official `cohere-ai` SDK against the same fake
// to prove the fake is faithful.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CohereClientV2, CohereError } from 'cohere-ai';
import type { ProviderSettings } from '../../src/config/config.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatRequest, Provider } from '../../src/core/types.js';
import { createCohereProvider } from '../../src/providers/cohere/cohere-provider.js';
import { DEFAULT_REPLY, type FakeCohere, startFakeCohere, TEMPLATE_TOKENS } from '../fakes/cohere.js';
import { testHttpClient } from '../support/http.js';

const http = testHttpClient();

const MODEL = 'command-a-03-2025';

function settings(fake: FakeCohere): ProviderSettings {
  return {
    id: 'cohere',
    format: 'cohere',
    baseUrl: fake.url,
    apiKey: 'co-test',
    headers: {},
    quirks: {},
    models: [],
    options: {},
  };
}

function call(request: Partial<ChatRequest>, signal = new AbortController().signal) {
  return {
    request: { model: MODEL, messages: [{ role: 'user' as const, content: 'Say hello please' }], ...request },
    signal,
    warnings: [] as string[],
  };
}

async function collect(provider: Provider, c: ReturnType<typeof call>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const batch of provider.stream(c)) chunks.push(...batch);
  return chunks;
}

const sent = (fake: FakeCohere, i: number) => (fake.requests[i]?.body ?? {}) as Record<string, unknown>;
const replyTokens = DEFAULT_REPLY.split(' ').length;

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather by city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('cohere provider', () => {
  let fake: FakeCohere;
  let provider: Provider;

  before(async () => {
    fake = await startFakeCohere();
    provider = createCohereProvider(settings(fake), http);
  });
  after(async () => {
    await fake.close();
    await http.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.faults.length = 0;
    fake.options = {};
  });

  it('answers a non-stream request in the canonical shape, sending a v2 chat request', async () => {
    const c = call({
      messages: [
        { role: 'developer', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Say hello please' }] },
      ],
      max_completion_tokens: 50,
      temperature: 0.3,
      top_p: 0.5,
      seed: 42,
      stop: ['never'],
    });
    const response = await provider.complete(c);
    assert.match(response.id, /^chatcmpl-[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...response, id: 'x', created: 0 },
      {
        id: 'x',
        object: 'chat.completion',
        created: 0,
        model: MODEL,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: DEFAULT_REPLY, refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        // billed units: (3 + 3) + (3 + 3); the template tokens Cohere adds are not billed
        usage: { prompt_tokens: 12, completion_tokens: replyTokens, total_tokens: 12 + replyTokens },
      },
    );
    assert.deepEqual(c.warnings, []);
    const [request] = fake.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/v2/chat');
    assert.equal(request?.headers.authorization, 'Bearer co-test');
    assert.deepEqual(request?.body, {
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Say hello please' }] },
      ],
      stream: false,
      max_tokens: 50,
      temperature: 0.3,
      p: 0.5,
      stop_sequences: ['never'],
      seed: 42,
    });
  });

  it('streams canonical chunks: role, content deltas, finish, then usage, with one id', async () => {
    fake.options.reply = 'One  two three.';
    const chunks = await collect(provider, call({ stream: true }));
    assert.equal(sent(fake, 0).stream, true);
    assert.equal(fake.requests[0]?.headers.accept, 'text/event-stream');
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.match(chunks[0]?.id ?? '', /^chatcmpl-[0-9a-f-]{36}$/);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.deepEqual(
      chunks.map((c) => c.choices),
      [
        [
          {
            index: 0,
            delta: { role: 'assistant', content: '', refusal: null },
            finish_reason: null,
            logprobs: null,
          },
        ],
        [{ index: 0, delta: { content: 'One ' }, finish_reason: null, logprobs: null }],
        [{ index: 0, delta: { content: ' ' }, finish_reason: null, logprobs: null }],
        [{ index: 0, delta: { content: 'two ' }, finish_reason: null, logprobs: null }],
        [{ index: 0, delta: { content: 'three.' }, finish_reason: null, logprobs: null }],
        [{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }],
        [],
      ],
    );
    assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 });
  });

  it('maps STOP_SEQUENCE and MAX_TOKENS', async () => {
    const stopped = await provider.complete(call({ stop: 'speaks' }));
    assert.equal(stopped.choices[0]?.message.content, 'Hello from the fake upstream. It ');
    assert.equal(stopped.choices[0]?.finish_reason, 'stop');
    const cut = await provider.complete(call({ max_tokens: 3 }));
    assert.equal(cut.choices[0]?.message.content, 'Hello from the ');
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    const chunks = await collect(provider, call({ stream: true, max_tokens: 2 }));
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'length');
  });

  it('translates tools, a named tool_choice, tool calls and tool results', async () => {
    fake.options.toolCall = { name: 'get_weather', arguments: { city: 'Paris' }, id: 'get_weather_1' };
    const other = { type: 'function', function: { name: 'other', parameters: { type: 'object' } } };
    const first = await provider.complete(
      call({
        tools: [weatherTool, other],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      }),
    );
    assert.deepEqual(first.choices[0], {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: 'get_weather_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    });
    assert.deepEqual(sent(fake, 0).tools, [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather by city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ]);
    assert.equal(sent(fake, 0).tool_choice, 'REQUIRED');

    const chunks = await collect(provider, call({ tools: [weatherTool], stream: true }));
    assert.deepEqual(
      chunks.slice(1, 4).map((c) => c.choices[0]?.delta),
      [
        {
          tool_calls: [
            {
              index: 0,
              id: 'get_weather_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '' },
            },
          ],
        },
        { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
        { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      ],
    );
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'tool_calls');

    const answer = await provider.complete(
      call({
        tools: [weatherTool],
        tool_choice: 'none',
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: first.choices[0]?.message.tool_calls ?? [] },
          { role: 'tool', tool_call_id: 'get_weather_1', content: 'Sunny, 21C' },
        ],
      }),
    );
    assert.equal(answer.choices[0]?.message.content, DEFAULT_REPLY);
    assert.equal(sent(fake, 2).tool_choice, 'NONE');
    assert.deepEqual(sent(fake, 2).messages, [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        tool_calls: [
          {
            id: 'get_weather_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'get_weather_1', content: 'Sunny, 21C' },
    ]);
  });

  it('clamps to Cohere ranges, drops what it cannot honour with warnings, passes its own extras', async () => {
    const c = call({
      top_p: 1,
      presence_penalty: -0.5,
      frequency_penalty: 0.2,
      logprobs: true,
      parallel_tool_calls: true, // OpenAI's default: dropped silently
      user: 'u-1',
      k: 40,
      safety_mode: 'CONTEXTUAL',
      foo: 'bar',
      response_format: { type: 'json_schema', json_schema: { name: 'r', schema: { type: 'object' } } },
    });
    await provider.complete(c);
    assert.deepEqual(c.warnings, [
      "'logprobs' is not supported by provider 'cohere' and was dropped",
      "'user' is not supported by provider 'cohere' and was dropped",
      "'presence_penalty' -0.5 is outside provider 'cohere''s range 0..1; 0 was sent",
      "'foo' is not supported by provider 'cohere' and was dropped",
    ]);
    assert.deepEqual(sent(fake, 0), {
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hello please' }],
      stream: false,
      p: 0.99,
      frequency_penalty: 0.2,
      presence_penalty: 0,
      response_format: { type: 'json_object', json_schema: { type: 'object' } },
      k: 40,
      safety_mode: 'CONTEXTUAL',
    });
  });

  it('maps HTTP errors and failed generations to GatewayErrors', async () => {
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    await assert.rejects(provider.complete(call({})), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 429);
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfter, 2);
      assert.match(error.message, /Trial key/);
      return true;
    });
    fake.faults.push({ kind: 'status', status: 401 });
    await assert.rejects(
      provider.complete(call({})),
      (error: unknown) =>
        error instanceof GatewayError && error.code === 'upstream_auth_failed' && !error.retryable,
    );
    await assert.rejects(
      provider.complete(call({ messages: [{ role: 'tool', content: 'x' }] })),
      (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.status, 400);
        assert.match(error.message, /tool_call_id is required/);
        return true;
      },
    );
    fake.faults.push({ kind: 'generation-error', afterChunks: 0 });
    await assert.rejects(
      provider.complete(call({})),
      (error: unknown) => error instanceof GatewayError && error.status === 502 && error.retryable,
    );
    fake.faults.push({ kind: 'generation-error', afterChunks: 2, error: 'model overloaded' });
    const seen: ChatChunk[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of provider.stream(call({ stream: true }))) seen.push(...batch);
      })(),
      (error: unknown) =>
        error instanceof GatewayError && /model overloaded/.test(error.message) && error.retryable,
    );
    assert.equal(seen.length, 3);
  });

  it('turns broken streams and dropped connections into GatewayErrors, and aborts on request', async () => {
    fake.faults.push({ kind: 'invalid-json' });
    await assert.rejects(
      collect(provider, call({ stream: true })),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_invalid_response',
    );
    fake.faults.push({ kind: 'invalid-json' });
    await assert.rejects(
      provider.complete(call({})),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_invalid_response',
    );
    fake.faults.push({ kind: 'drop-mid-stream', afterChunks: 1 });
    await assert.rejects(
      collect(provider, call({ stream: true })),
      (error: unknown) => error instanceof GatewayError && error.status === 502 && error.retryable,
    );

    fake.faults.push({ kind: 'hang' });
    const controller = new AbortController();
    const pending = provider.complete(call({}, controller.signal));
    while (fake.requests.length < 4) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await assert.rejects(pending, (error: unknown) => error instanceof Error && error.name === 'AbortError');
    while (fake.aborted === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(fake.aborted, 1);
  });

  it('is faithful: the cohere-ai SDK chats, streams and sees errors against the fake', async () => {
    const client = new CohereClientV2({ token: 'co-sdk', baseUrl: fake.url });
    const response = await client.chat(
      { model: MODEL, messages: [{ role: 'user', content: 'Say hello please' }], maxTokens: 3 },
      { maxRetries: 0 },
    );
    assert.equal(response.finishReason, 'MAX_TOKENS');
    assert.deepEqual(response.message.content, [{ type: 'text', text: 'Hello from the ' }]);
    assert.deepEqual(response.usage, {
      billedUnits: { inputTokens: 6, outputTokens: 3 },
      tokens: { inputTokens: 6 + TEMPLATE_TOKENS, outputTokens: 3 },
    });
    assert.equal(fake.requests[0]?.headers.authorization, 'Bearer co-sdk');
    assert.deepEqual(sent(fake, 0), {
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hello please' }],
      max_tokens: 3,
      stream: false,
    });

    fake.options.toolCall = { name: 'get_weather', arguments: { city: 'Paris' }, id: 'get_weather_9' };
    const stream = await client.chatStream(
      {
        model: MODEL,
        messages: [{ role: 'user', content: 'Weather?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      },
      { maxRetries: 0 },
    );
    const types: string[] = [];
    let args = '';
    let finish: string | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'tool-call-delta')
        args += event.delta?.message?.toolCalls?.function?.arguments ?? '';
      if (event.type === 'message-end') finish = event.delta?.finishReason;
    }
    assert.deepEqual(
      types.filter((t) => t !== 'tool-plan-delta'),
      [
        'message-start',
        'tool-call-start',
        'tool-call-delta',
        'tool-call-delta',
        'tool-call-end',
        'message-end',
      ],
    );
    assert.equal(args, '{"city":"Paris"}');
    assert.equal(finish, 'TOOL_CALL');

    fake.faults.push({ kind: 'status', status: 429 });
    await assert.rejects(
      client.chat({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }, { maxRetries: 0 }),
      (error: unknown) => error instanceof CohereError && error.statusCode === 429,
    );
  });
});
