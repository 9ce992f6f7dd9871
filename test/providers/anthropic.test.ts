// The Anthropic provider against the fake Anthropic upstream: what the provider returns, and exactly what the
// fake received. The first suite proves the fake faithful with the official @anthropic-ai/sdk client.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { ProviderSettings } from '../../src/config/config.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatRequest, Provider, UpstreamCall } from '../../src/core/types.js';
import { createAnthropicProvider } from '../../src/providers/anthropic/anthropic-provider.js';
import { JSON_TOOL_NAME, rejectsTemperatureWithTopP } from '../../src/providers/anthropic/parameters.js';
import {
  DEFAULT_REPLY,
  FAKE_THINKING,
  type FakeAnthropic,
  jsonPieces,
  startFakeAnthropic,
} from '../fakes/anthropic.js';
import { testHttpClient } from '../support/http.js';

const http = testHttpClient();

const REPLY_TOKENS = DEFAULT_REPLY.split(' ').length;

let fake: FakeAnthropic;

before(async () => {
  fake = await startFakeAnthropic();
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

function lastBody(): Record<string, unknown> {
  const request = fake.requests.at(-1);
  assert.ok(request, 'the fake received a request');
  return request.body as Record<string, unknown>;
}

describe('fake Anthropic upstream, seen by the official SDK', () => {
  let client: Anthropic;
  before(() => {
    client = new Anthropic({ baseURL: fake.url, apiKey: 'sk-ant-test', maxRetries: 0 });
  });

  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Say hello please' }];

  it('answers a JSON request with a Message', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      system: 'You are terse.',
      messages,
    });
    assert.match(message.id, /^msg_01/);
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.model, 'claude-sonnet-4-6');
    assert.deepEqual(message.content, [{ type: 'text', text: DEFAULT_REPLY }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.stop_sequence, null);
    assert.equal(message.usage.input_tokens, 3 + 3 + 6); // system (3 + 3 words) + message (3 + 3 words)
    assert.equal(message.usage.output_tokens, REPLY_TOKENS);
    assert.equal(message.usage.cache_read_input_tokens, 0);

    const request = fake.requests[0];
    assert.equal(request?.path, '/v1/messages');
    // The 1.x SDK sends the key as a bearer token and pins API version 2026-10-21; the provider uses the
    // x-api-key header and version 2023-06-01. The fake accepts both (and implements 2023-06-01's rules).
    assert.equal(request?.headers.authorization, 'Bearer sk-ant-test');
    assert.match(String(request?.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/);
  });

  it('streams events the SDK accumulates into the same message, tool input included', async () => {
    const text = await client.messages
      .stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages })
      .finalMessage();
    assert.deepEqual(text.content, [{ type: 'text', text: DEFAULT_REPLY }]);
    assert.equal(text.stop_reason, 'end_turn');
    assert.equal(text.usage.output_tokens, REPLY_TOKENS);

    fake.options.toolCall = { input: { city: 'Paris', days: 3, units: 'metric' }, text: 'Let me check.' };
    const tools: Anthropic.Tool[] = [
      { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    ];
    const withTool = await client.messages
      .stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages, tools })
      .finalMessage();
    assert.equal(withTool.stop_reason, 'tool_use');
    assert.equal(withTool.content.length, 2);
    assert.deepEqual(withTool.content[0], { type: 'text', text: 'Let me check.' });
    const use = withTool.content[1];
    assert.equal(use?.type, 'tool_use');
    if (use?.type === 'tool_use') {
      assert.equal(use.name, 'get_weather');
      assert.match(use.id, /^toolu_01/);
      assert.deepEqual(use.input, { city: 'Paris', days: 3, units: 'metric' });
    }
  });

  it('sends the documented event sequence, each event name equal to its type', async () => {
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages,
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.deepEqual(types, [
      'message_start',
      'content_block_start',
      ...Array(REPLY_TOKENS).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);

    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-3-5-haiku', max_tokens: 2, messages, stream: true }),
    });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.match(res.headers.get('request-id') ?? '', /^req_/);
    const events = (await res.text()).split('\n\n').filter((e) => e !== '');
    for (const event of events) {
      const [name, data] = event.split('\n');
      assert.equal(JSON.parse(data?.slice('data: '.length) ?? '').type, name?.slice('event: '.length));
    }
    assert.ok(events.some((e) => e.startsWith('event: ping')));
    assert.match(events.at(-2) ?? '', /"stop_reason":"max_tokens".*"output_tokens":2/);
  });

  it('honours stop_sequences and max_tokens', async () => {
    const stopped = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages,
      stop_sequences: ['upstream', 'fake'],
    });
    assert.deepEqual(stopped.content, [{ type: 'text', text: 'Hello from the ' }]);
    assert.equal(stopped.stop_reason, 'stop_sequence');
    assert.equal(stopped.stop_sequence, 'fake');

    const cut = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 2, messages });
    assert.deepEqual(cut.content, [{ type: 'text', text: 'Hello from ' }]);
    assert.equal(cut.stop_reason, 'max_tokens');
    assert.equal(cut.usage.output_tokens, 2);
  });

  it('rejects what the real API rejects, with its error shape', async () => {
    const extra = Object.assign({ model: 'claude-sonnet-4-6', max_tokens: 10, messages }, { seed: 1 });
    await assert.rejects(client.messages.create(extra), (error: unknown) => {
      assert.ok(error instanceof Anthropic.BadRequestError);
      assert.deepEqual((error.error as { error: unknown }).error, {
        type: 'invalid_request_error',
        message: 'seed: Extra inputs are not permitted',
      });
      return true;
    });
    const both = Object.assign(
      { model: 'claude-sonnet-4-6-20260101', max_tokens: 10, messages },
      { temperature: 0.5, top_p: 0.9 },
    );
    await assert.rejects(client.messages.create(both), /cannot both be specified for this model/);

    const noVersion = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-3-5-haiku', max_tokens: 10, messages }),
    });
    assert.equal(noVersion.status, 400);
    const body = (await noVersion.json()) as { type: string; error: unknown; request_id: string };
    assert.equal(body.type, 'error');
    assert.deepEqual(body.error, {
      type: 'invalid_request_error',
      message: 'anthropic-version: header is required',
    });
    assert.match(body.request_id, /^req_/);

    const noKey = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(noKey.status, 401);
  });

  it('surfaces status faults and stream errors as the SDK expects', async () => {
    fake.faults.push({ kind: 'status', status: 529 });
    await assert.rejects(
      client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages }),
      (error: unknown) => {
        assert.ok(error instanceof Anthropic.InternalServerError);
        assert.equal(error.status, 529);
        assert.equal(error.type, 'overloaded_error');
        return true;
      },
    );
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });
    await assert.rejects(
      client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages }),
      (error: unknown) =>
        error instanceof Anthropic.RateLimitError && error.headers.get('retry-after') === '3',
    );

    fake.faults.push({ kind: 'stream-error', afterChunks: 2 });
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages,
      stream: true,
    });
    let text = '';
    await assert.rejects(
      async () => {
        for await (const event of stream) {
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
            text += event.delta.text;
        }
      },
      (error: unknown) => error instanceof Anthropic.APIError && error.type === 'overloaded_error',
    );
    assert.equal(text, 'Hello from ');
  });
});

describe('createAnthropicProvider', () => {
  let provider: Provider;
  before(() => {
    const settings: ProviderSettings = {
      id: 'anthropic',
      format: 'anthropic',
      baseUrl: fake.url,
      apiKey: 'sk-ant-test',
      headers: {},
      quirks: {},
      models: [],
      options: {},
    };
    provider = createAnthropicProvider(settings, http);
  });

  const call = (request: Partial<ChatRequest>, signal = new AbortController().signal): UpstreamCall => ({
    request: { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }], ...request },
    signal,
    warnings: [],
  });

  async function collect(upstream: UpstreamCall): Promise<ChatChunk[]> {
    const chunks: ChatChunk[] = [];
    for await (const batch of provider.stream(upstream)) chunks.push(...batch);
    return chunks;
  }

  it('declares its format and that n is emulated', () => {
    assert.equal(provider.id, 'anthropic');
    assert.equal(provider.format, 'anthropic');
    assert.deepEqual(provider.supports, { n: false });
  });

  it('translates a JSON request and answer', async () => {
    const upstream = call({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
        { role: 'user', content: 'Say hello please' },
      ],
    });
    const response = await provider.complete(upstream);

    assert.match(response.id, /^chatcmpl-msg_01/);
    assert.equal(response.object, 'chat.completion');
    assert.equal(typeof response.created, 'number');
    assert.equal(response.model, 'claude-sonnet-4-6');
    assert.deepEqual(response.choices, [
      {
        index: 0,
        message: { role: 'assistant', content: DEFAULT_REPLY, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ]);
    // input: system blocks (3 + 3 + 3 words) + message (3 + 3 words)
    assert.deepEqual(response.usage, {
      prompt_tokens: 15,
      completion_tokens: REPLY_TOKENS,
      total_tokens: 15 + REPLY_TOKENS,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    });
    assert.deepEqual(upstream.warnings, []);

    const request = fake.requests[0];
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/v1/messages');
    assert.equal(request?.headers['x-api-key'], 'sk-ant-test');
    assert.equal(request?.headers['anthropic-version'], '2023-06-01');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers.authorization, undefined);
    assert.deepEqual(request?.body, {
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'Say hello please' }],
      max_tokens: 4096,
      system: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Answer in English.' },
      ],
    });
  });

  it('streams canonical chunks like OpenAI: role, content, finish, usage', async () => {
    fake.options.reply = 'One  two three.';
    const upstream = call({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Count' },
      ],
    });
    const chunks = await collect(upstream);

    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.match(chunks[0]?.id ?? '', /^chatcmpl-msg_01/);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'claude-sonnet-4-6'));
    assert.deepEqual(chunks[0]?.choices, [
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ]);
    const contents = chunks.slice(1, -2).map((c) => c.choices[0]?.delta.content);
    assert.deepEqual(contents, ['One ', ' ', 'two ', 'three.']);
    assert.deepEqual(chunks.at(-2)?.choices, [
      { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' },
    ]);
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.deepEqual(last?.usage, {
      prompt_tokens: 3 + 2 + 3 + 1,
      completion_tokens: 4,
      total_tokens: 13,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    });
    assert.deepEqual(lastBody(), {
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'Count' }],
      max_tokens: 4096,
      system: 'Be brief.',
      stream: true,
    });
    assert.equal(fake.requests[0]?.headers.accept, 'text/event-stream');
  });

  it('merges same-role turns and turns tool calls and results into tool_use / tool_result blocks', async () => {
    const upstream = call({
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'user', content: [{ type: 'text', text: 'And Rome.' }] },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'toolu_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'toolu_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_a', content: '18C' },
        { role: 'tool', tool_call_id: 'toolu_b', content: [{ type: 'text', text: '24C' }] },
        { role: 'user', content: 'Thanks, which is warmer?' },
        { role: 'assistant', content: 'Rome is ' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
    });
    const response = await provider.complete(upstream);
    assert.equal(response.choices[0]?.message.content, DEFAULT_REPLY);
    assert.deepEqual(lastBody().messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in Paris?' },
          { type: 'text', text: 'And Rome.' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_a', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '18C' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: [{ type: 'text', text: '24C' }] },
          { type: 'text', text: 'Thanks, which is warmer?' },
        ],
      },
      // A final (prefill) assistant turn may not end in whitespace.
      { role: 'assistant', content: 'Rome is' },
    ]);
    assert.deepEqual(lastBody().tools, [{ name: 'weather', input_schema: { type: 'object' } }]);
    assert.equal(lastBody().tool_choice, undefined);
  });

  it('translates tools and tool_choice, and answers tool calls in JSON', async () => {
    fake.options.toolCall = { input: { city: 'Paris' }, text: 'Let me look.' };
    const tools = [
      {
        type: 'function',
        function: {
          name: 'weather',
          description: 'Current weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
      { type: 'function', function: { name: 'time' } },
    ];
    const response = await provider.complete(call({ tools, tool_choice: 'auto' }));
    const [choice] = response.choices;
    assert.equal(choice?.finish_reason, 'tool_calls');
    assert.equal(choice?.message.content, 'Let me look.');
    assert.equal(choice?.message.tool_calls?.length, 1);
    assert.match(choice?.message.tool_calls?.[0]?.id ?? '', /^toolu_01/);
    assert.deepEqual(choice?.message.tool_calls?.[0]?.function, {
      name: 'weather',
      arguments: '{"city":"Paris"}',
    });
    assert.deepEqual(lastBody().tools, [
      {
        name: 'weather',
        description: 'Current weather',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      { name: 'time', input_schema: { type: 'object', properties: {} } },
    ]);
    assert.deepEqual(lastBody().tool_choice, { type: 'auto' });

    const cases: [unknown, boolean | undefined, unknown][] = [
      ['none', undefined, { type: 'none' }],
      ['required', undefined, { type: 'any' }],
      [{ type: 'function', function: { name: 'time' } }, undefined, { type: 'tool', name: 'time' }],
      ['required', false, { type: 'any', disable_parallel_tool_use: true }],
      [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
      ['none', false, { type: 'none' }],
    ];
    for (const [toolChoice, parallel, expected] of cases) {
      const request: Partial<ChatRequest> = { tools };
      if (toolChoice !== undefined) request.tool_choice = toolChoice;
      if (parallel !== undefined) request.parallel_tool_calls = parallel;
      await provider.complete(call(request));
      assert.deepEqual(lastBody().tool_choice, expected, JSON.stringify(toolChoice));
    }
    const forced = await provider.complete(
      call({ tools, tool_choice: { type: 'function', function: { name: 'time' } } }),
    );
    assert.equal(forced.choices[0]?.message.content, null);
    assert.equal(forced.choices[0]?.message.tool_calls?.[0]?.function.name, 'time');
  });

  it('streams tool calls as OpenAI tool_calls deltas', async () => {
    fake.options.toolCall = { input: { city: 'Paris', days: 3 } };
    const chunks = await collect(
      call({ tools: [{ type: 'function', function: { name: 'weather' } }], tool_choice: 'required' }),
    );
    const deltas = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    const first = deltas[0];
    assert.equal(first?.index, 0);
    assert.match(first?.id ?? '', /^toolu_01/);
    assert.deepEqual(
      { ...first, id: 'x' },
      {
        index: 0,
        id: 'x',
        type: 'function',
        function: { name: 'weather', arguments: '' },
      },
    );
    const rest = deltas.slice(1);
    assert.ok(
      rest.every(
        (d) => d.index === 0 && d.id === undefined && Object.keys(d.function ?? {}).join() === 'arguments',
      ),
    );
    assert.deepEqual(
      rest.map((d) => d.function?.arguments),
      jsonPieces({ city: 'Paris', days: 3 }),
    );
    assert.deepEqual(JSON.parse(rest.map((d) => d.function?.arguments).join('')), { city: 'Paris', days: 3 });
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'tool_calls');
    assert.ok(
      chunks.every((c) => c.choices.every((ch) => ch.delta.content === undefined || ch.delta.content === '')),
    );
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, jsonPieces({ city: 'Paris', days: 3 }).length);
  });

  it('returns response_format JSON from a forced tool as the message content', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    fake.options.toolCall = { input: { answer: 'yes' } };
    const upstream = call({
      response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema, strict: true } },
    });
    const response = await provider.complete(upstream);
    assert.deepEqual(response.choices[0]?.message, {
      role: 'assistant',
      content: '{"answer":"yes"}',
      refusal: null,
    });
    assert.equal(response.choices[0]?.finish_reason, 'stop');
    const body = lastBody();
    assert.deepEqual(body.tool_choice, { type: 'tool', name: JSON_TOOL_NAME });
    assert.deepEqual(
      (body.tools as { name: string; input_schema: unknown }[]).map((t) => [t.name, t.input_schema]),
      [[JSON_TOOL_NAME, schema]],
    );

    const chunks = await collect(call({ response_format: { type: 'json_object' } }));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.deepEqual(JSON.parse(text), { answer: 'yes' });
    assert.ok(chunks.every((c) => c.choices.every((ch) => ch.delta.tool_calls === undefined)));
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(lastBody().tool_choice, { type: 'tool', name: JSON_TOOL_NAME });

    // With the caller's own tools, any tool may be called: theirs, or the JSON answer.
    await provider.complete(
      call({
        response_format: { type: 'json_object' },
        tools: [{ type: 'function', function: { name: 'time' } }],
      }),
    );
    assert.deepEqual(lastBody().tool_choice, { type: 'any' });
    assert.deepEqual(
      (lastBody().tools as { name: string }[]).map((t) => t.name),
      ['time', JSON_TOOL_NAME],
    );
  });

  it('maps stop to stop_sequences (the stop text never appears), JSON and stream', async () => {
    const response = await provider.complete(call({ stop: ['speaks', 'upstream'] }));
    assert.equal(response.choices[0]?.message.content, 'Hello from the fake ');
    assert.equal(response.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(lastBody().stop_sequences, ['speaks', 'upstream']);

    const chunks = await collect(call({ stop: 'ake' }));
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello from the f');
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(lastBody().stop_sequences, ['ake']);
  });

  it('maps max_completion_tokens / max_tokens and reports length', async () => {
    const response = await provider.complete(call({ max_tokens: 3 }));
    assert.equal(response.choices[0]?.message.content, 'Hello from the ');
    assert.equal(response.choices[0]?.finish_reason, 'length');
    assert.equal(response.usage?.completion_tokens, 3);
    assert.equal(lastBody().max_tokens, 3);

    const chunks = await collect(call({ max_tokens: 9, max_completion_tokens: 2 }));
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello from ');
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'length');
    assert.equal(lastBody().max_tokens, 2);
  });

  it('clamps temperature to 1 and drops top_p beside temperature where the model rejects the pair', async () => {
    const hot = call({ model: 'claude-sonnet-4-6-20260101', temperature: 1.6, top_p: 0.9 });
    await provider.complete(hot);
    assert.equal(lastBody().temperature, 1);
    assert.equal(lastBody().top_p, undefined);
    assert.deepEqual(hot.warnings, [
      "'temperature' 1.6 is above the maximum of provider 'anthropic' and was clamped to 1",
      "'top_p' cannot be combined with 'temperature' on model 'claude-sonnet-4-6-20260101' and was dropped",
    ]);

    const older = call({ model: 'claude-3-5-haiku-20241022', temperature: 0.3, top_p: 0.9 });
    await provider.complete(older);
    assert.equal(lastBody().temperature, 0.3);
    assert.equal(lastBody().top_p, 0.9);
    assert.deepEqual(older.warnings, []);

    const onlyTopP = call({ model: 'claude-opus-4-1', top_p: 0.5 });
    await provider.complete(onlyTopP);
    assert.equal(lastBody().top_p, 0.5);
    assert.deepEqual(onlyTopP.warnings, []);
  });

  it('maps reasoning_effort to extended thinking with a budget, and answers the thinking as reasoning_content', async () => {
    const low = call({ model: 'claude-sonnet-4-5-20250929', reasoning_effort: 'low', temperature: 0.2 });
    const response = await provider.complete(low);
    assert.deepEqual(lastBody().thinking, { type: 'enabled', budget_tokens: 2048 });
    // No client max_tokens: the budget comes on top of the default answer allowance.
    assert.equal(lastBody().max_tokens, 4096 + 2048);
    assert.equal(lastBody().temperature, undefined);
    assert.deepEqual(low.warnings, [
      "'temperature' cannot be set with extended thinking on Anthropic and was dropped",
    ]);
    assert.equal(response.choices[0]?.message.reasoning_content, FAKE_THINKING);
    assert.equal(response.choices[0]?.message.content, DEFAULT_REPLY);

    // With a client max_tokens, thinking gets at most half of it.
    await provider.complete(call({ model: 'claude-opus-4-1', reasoning_effort: 'high', max_tokens: 6000 }));
    assert.deepEqual(lastBody().thinking, { type: 'enabled', budget_tokens: 3000 });
    assert.equal(lastBody().max_tokens, 6000);

    const streamed = await collect(call({ model: 'claude-haiku-4-5', reasoning_effort: 'medium' }));
    const thought = streamed.map((c) => c.choices[0]?.delta.reasoning_content ?? '').join('');
    assert.equal(thought, FAKE_THINKING);

    // Where it cannot apply, nothing is sent and a warning says why.
    const cases: Array<[Partial<ChatRequest>, RegExp]> = [
      [{ model: 'claude-3-5-haiku-20241022', reasoning_effort: 'low' }, /has no extended thinking/],
      [{ reasoning_effort: 'high', max_tokens: 1500 }, /leaves less than 2048 tokens/],
      [
        { reasoning_effort: 'low', response_format: { type: 'json_object' } },
        /does not think when a tool call is forced/,
      ],
      [
        {
          reasoning_effort: 'low',
          tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
          messages: [
            { role: 'user', content: 'Go' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
            },
            { role: 'tool', tool_call_id: 'toolu_1', content: 'done' },
          ],
        },
        /continues a tool call/,
      ],
    ];
    for (const [request, why] of cases) {
      const skipped = call(request);
      await provider.complete(skipped);
      assert.equal(lastBody().thinking, undefined, JSON.stringify(request));
      assert.ok(
        skipped.warnings.some((w) => why.test(w)),
        skipped.warnings.join(' | '),
      );
    }
    const none = call({ reasoning_effort: 'none' });
    await provider.complete(none);
    assert.equal(lastBody().thinking, undefined);
    assert.deepEqual(none.warnings, []);
  });

  it('knows which models reject temperature with top_p', () => {
    for (const model of [
      'claude-opus-4-1',
      'claude-opus-4-1-20250805',
      'claude-opus-4-5',
      'claude-sonnet-4-6-20260101',
      'claude-haiku-4-5',
      'claude-sonnet-4-6',
      'claude-opus-5',
      'claude-sonnet-5-1@20270101',
    ]) {
      assert.equal(rejectsTemperatureWithTopP(model), true, model);
    }
    for (const model of [
      'claude-opus-4-20250514',
      'claude-sonnet-4-20250514',
      'claude-3-7-sonnet-latest',
      'claude-3-5-haiku-20241022',
      'claude-haiku-4',
      'claude-instant-1.2',
    ]) {
      assert.equal(rejectsTemperatureWithTopP(model), false, model);
    }
  });

  it('drops what Anthropic lacks with a warning, passes top_k, and sends nothing the API would reject', async () => {
    const upstream = call({
      seed: 7,
      logit_bias: { 42: 10 },
      frequency_penalty: 0.5,
      presence_penalty: 0,
      logprobs: false,
      n: 1,
      stream_options: { include_usage: true },
      store: false,
      some_vendor_field: 'x',
      top_k: 40,
      user: 'user-123',
    });
    const response = await provider.complete(upstream);
    assert.equal(response.choices[0]?.message.content, DEFAULT_REPLY);
    assert.deepEqual(upstream.warnings, [
      "'seed' is not supported by provider 'anthropic' and was dropped",
      "'logit_bias' is not supported by provider 'anthropic' and was dropped",
      "'frequency_penalty' is not supported by provider 'anthropic' and was dropped",
      "'some_vendor_field' is not supported by provider 'anthropic' and was dropped",
    ]);
    assert.deepEqual(lastBody(), {
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 4096,
      metadata: { user_id: 'user-123' },
      top_k: 40,
    });

    await provider.complete(call({ user: 'u', safety_identifier: 'hashed-7' }));
    assert.deepEqual(lastBody().metadata, { user_id: 'hashed-7' });
  });

  it('translates image parts and PDF files', async () => {
    await provider.complete(
      call({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'auto' } },
              {
                type: 'file',
                file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
              },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(lastBody().messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          {
            type: 'document',
            source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
            title: 'a.pdf',
          },
        ],
      },
    ]);
  });

  it('refuses what it cannot express, before calling upstream', async () => {
    const audio = call({
      messages: [
        { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] },
      ],
    });
    await assert.rejects(provider.complete(audio), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 400);
      assert.equal(error.type, 'invalid_request_error');
      return true;
    });
    const badArgs = call({
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{' } }],
        },
      ],
    });
    await assert.rejects(
      provider.complete(badArgs),
      (error: unknown) => error instanceof GatewayError && error.status === 400,
    );
    assert.equal(fake.requests.length, 0);
  });

  it('reports cache reads and writes as prompt tokens', async () => {
    fake.options.cacheReadInputTokens = 100;
    fake.options.cacheCreationInputTokens = 20;
    const response = await provider.complete(call({}));
    const input = 3 + 1;
    assert.deepEqual(response.usage, {
      prompt_tokens: input + 120,
      completion_tokens: REPLY_TOKENS,
      total_tokens: input + 120 + REPLY_TOKENS,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 20 },
    });
    const chunks = await collect(call({}));
    assert.deepEqual(chunks.at(-1)?.usage, response.usage);
  });

  it('maps a refusal to content_filter', async () => {
    fake.options.refuse = true;
    const response = await provider.complete(call({}));
    assert.equal(response.choices[0]?.finish_reason, 'content_filter');
    const chunks = await collect(call({}));
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'content_filter');
  });

  it('maps HTTP errors: 529 → 503 and 429 retryable with retry-after, 401 → 502, 400 with its message', async () => {
    const expectError = async (fn: () => Promise<unknown>, check: (error: GatewayError) => void) => {
      await assert.rejects(fn(), (error: unknown) => {
        assert.ok(error instanceof GatewayError, String(error));
        check(error);
        return true;
      });
    };
    fake.faults.push({ kind: 'status', status: 529 });
    await expectError(
      () => provider.complete(call({})),
      (error) => {
        assert.equal(error.status, 503);
        assert.equal(error.retryable, true);
        assert.equal(error.provider, 'anthropic');
        assert.match(error.message, /Overloaded \(overloaded_error\)/);
      },
    );
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    await expectError(
      () => collect(call({})),
      (error) => {
        assert.equal(error.status, 429);
        assert.equal(error.retryable, true);
        assert.equal(error.retryAfter, 7);
      },
    );
    fake.faults.push({ kind: 'status', status: 401 });
    await expectError(
      () => provider.complete(call({})),
      (error) => {
        assert.equal(error.status, 502);
        assert.equal(error.code, 'upstream_auth_failed');
        assert.equal(error.retryable, false);
      },
    );
    await expectError(
      () =>
        provider.complete(
          call({
            messages: [
              {
                role: 'user',
                content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AA==' } }],
              },
            ],
          }),
        ),
      (error) => {
        assert.equal(error.status, 400);
        assert.equal(error.retryable, false);
        assert.match(error.message, /media_type: Input should be 'image\/jpeg'/);
      },
    );
  });

  it('turns an event: error mid-stream into a GatewayError after the content so far', async () => {
    fake.faults.push({ kind: 'stream-error', afterChunks: 2 });
    let text = '';
    await assert.rejects(
      async () => {
        for await (const batch of provider.stream(call({})))
          for (const chunk of batch) text += chunk.choices[0]?.delta.content ?? '';
      },
      (error: unknown) => error instanceof GatewayError && error.status === 503 && error.retryable,
    );
    assert.equal(text, 'Hello from ');

    fake.faults.push({
      kind: 'stream-error',
      afterChunks: 0,
      errorType: 'invalid_request_error',
      message: 'bad',
    });
    await assert.rejects(
      collect(call({})),
      (error: unknown) => error instanceof GatewayError && error.status === 400 && !error.retryable,
    );
  });

  it('fails invalid JSON and dropped connections as retryable upstream errors', async () => {
    fake.faults.push({ kind: 'invalid-json' });
    await assert.rejects(
      provider.complete(call({})),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_invalid_response',
    );
    fake.faults.push({ kind: 'invalid-json' });
    await assert.rejects(
      collect(call({})),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_invalid_response',
    );

    fake.faults.push({ kind: 'drop-mid-stream', afterChunks: 2 });
    let text = '';
    await assert.rejects(
      async () => {
        for await (const batch of provider.stream(call({})))
          for (const chunk of batch) text += chunk.choices[0]?.delta.content ?? '';
      },
      (error: unknown) => error instanceof GatewayError && error.status === 502 && error.retryable,
    );
    assert.equal(text, 'Hello from ');
    assert.equal(fake.aborted, 0);
  });

  it('aborts the upstream call when the caller does', async () => {
    fake.faults.push({ kind: 'hang' });
    const controller = new AbortController();
    const pending = provider.complete(call({}, controller.signal));
    await waitFor(() => fake.requests.length === 1);
    controller.abort();
    await assert.rejects(pending, (error: unknown) => !(error instanceof GatewayError));
    await waitFor(() => fake.aborted === 1);

    fake.options.chunkDelayMs = 20;
    let received = 0;
    for await (const _ of provider.stream(call({}))) {
      received += 1;
      if (received === 2) break;
    }
    await waitFor(() => fake.aborted === 2);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
