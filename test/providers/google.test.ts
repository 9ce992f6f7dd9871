// The Gemini provider against the fake Gemini upstream: what the provider returns, and exactly what Gemini
// received. The official @google/genai client talks to the same fake to prove it speaks the real format.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApiError, GoogleGenAI } from '@google/genai';
import type { ProviderSettings } from '../../src/config/config.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatMessage, ChatRequest, Provider } from '../../src/core/types.js';
import { SKIP_THOUGHT_SIGNATURE } from '../../src/providers/google/convert-to-google-contents.js';
import { createGoogleProvider } from '../../src/providers/google/google-provider.js';
import { GOOGLE_PARAMETERS } from '../../src/providers/google/parameters.js';
import { DEFAULT_GOOGLE_REPLY, type FakeGoogle, startFakeGoogle } from '../fakes/google.js';
import { testHttpClient } from '../support/http.js';

const http = testHttpClient();

const REPLY_TOKENS = DEFAULT_GOOGLE_REPLY.split(' ').length;

function settings(baseUrl: string, options: Record<string, string> = {}): ProviderSettings {
  return {
    id: 'google',
    format: 'google',
    baseUrl,
    apiKey: 'gemini-test-key',
    headers: {},
    quirks: {},
    models: [],
    options,
  };
}

function call(request: Partial<ChatRequest>, signal = new AbortController().signal) {
  const full: ChatRequest = {
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'Hi' }],
    ...request,
  };
  return { request: full, signal, warnings: [] as string[] };
}

async function collect(stream: AsyncIterable<ChatChunk[]>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const batch of stream) chunks.push(...batch);
  return chunks;
}

function textOf(chunks: readonly ChatChunk[], index = 0): string {
  return chunks
    .flatMap((c) => c.choices.filter((choice) => choice.index === index))
    .map((choice) => choice.delta.content ?? '')
    .join('');
}

function bodyOf(fake: FakeGoogle, i = 0): Record<string, unknown> {
  return fake.requests[i]?.body as Record<string, unknown>;
}

async function rejectsWith(promise: Promise<unknown>, check: (error: GatewayError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
    check(error);
    return true;
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('google provider', () => {
  let fake: FakeGoogle;
  let provider: Provider;

  before(async () => {
    fake = await startFakeGoogle();
    provider = createGoogleProvider(settings(fake.url), http);
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

  it('declares the format and native n and stop', () => {
    assert.equal(provider.id, 'google');
    assert.equal(provider.format, 'google');
    assert.deepEqual(provider.supports, { n: true, stop: true });
  });

  it('completes: system → systemInstruction, roles user/model, key in x-goog-api-key, model in the path', async () => {
    const upstream = call({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
        { role: 'user', content: 'Say hello' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Again' },
        { role: 'user', content: [{ type: 'text', text: 'please' }] },
      ],
    });
    const response = await provider.complete(upstream);

    assert.match(response.id, /^chatcmpl-/);
    assert.equal(response.object, 'chat.completion');
    assert.equal(response.model, 'gemini-2.5-flash');
    assert.deepEqual(response.choices, [
      {
        index: 0,
        message: { role: 'assistant', content: DEFAULT_GOOGLE_REPLY },
        finish_reason: 'stop',
        logprobs: null,
        native_finish_reason: 'STOP',
      },
    ]);
    // 3 + words per content: system (3+3+3), user (3+2), model (3+1), user (3+2)
    const prompt = 9 + 5 + 4 + 5;
    assert.deepEqual(response.usage, {
      prompt_tokens: prompt,
      completion_tokens: REPLY_TOKENS,
      total_tokens: prompt + REPLY_TOKENS,
    });
    assert.deepEqual(upstream.warnings, []);

    assert.equal(fake.requests.length, 1);
    const [request] = fake.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.deepEqual(request?.query, {});
    assert.equal(request?.headers['x-goog-api-key'], 'gemini-test-key');
    assert.equal(request?.headers.authorization, undefined);
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.deepEqual(request?.body, {
      contents: [
        { role: 'user', parts: [{ text: 'Say hello' }] },
        { role: 'model', parts: [{ text: 'Hello.' }] },
        { role: 'user', parts: [{ text: 'Again' }, { text: 'please' }] },
      ],
      systemInstruction: { parts: [{ text: 'You are terse.' }, { text: 'Answer in English.' }] },
    });
  });

  it('translates generation parameters and warns about what Gemini lacks', async () => {
    const upstream = call({
      temperature: 1.5,
      top_p: 0.9,
      max_tokens: 100,
      max_completion_tokens: 50,
      stop: ['END', ''],
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      seed: 42,
      response_format: { type: 'json_object' },
      reasoning_effort: 'low',
      logit_bias: { '50256': -100 },
      user: 'u-1',
      parallel_tool_calls: true,
      stream_options: null,
      top_k: 3,
    });
    await provider.complete(upstream);
    assert.deepEqual(bodyOf(fake).generationConfig, {
      stopSequences: ['END'],
      responseMimeType: 'application/json',
      maxOutputTokens: 50,
      temperature: 1.5,
      topP: 0.9,
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      thinkingConfig: { thinkingBudget: 1024 },
    });
    assert.deepEqual(upstream.warnings, [
      "'logit_bias' is not supported by Gemini (Gemini has no token biasing) and was dropped",
      "'user' is not supported by Gemini (Gemini has no end-user id) and was dropped",
      "'top_k' is not a Gemini parameter and was dropped",
    ]);
  });

  it('maps reasoning_effort to thinkingLevel on Gemini 3', async () => {
    await provider.complete(call({ model: 'gemini-3-pro-preview', reasoning_effort: 'medium' }));
    assert.deepEqual(bodyOf(fake).generationConfig, { thinkingConfig: { thinkingLevel: 'high' } });
  });

  it('every table entry has a rule, and the table covers the request fields the gateway knows', () => {
    for (const [name, rule] of Object.entries(GOOGLE_PARAMETERS)) {
      assert.ok(['translated', 'emulated-by-router', 'dropped'].includes(rule.rule), name);
    }
    for (const name of ['model', 'messages', 'n', 'stop', 'max_tokens', 'tools', 'tool_choice', 'logprobs']) {
      assert.ok(name in GOOGLE_PARAMETERS, name);
    }
  });

  it('ends at maxOutputTokens with length, and at a stop sequence with stop (stop text excluded)', async () => {
    const long = await provider.complete(call({ max_tokens: 3 }));
    assert.equal(long.choices[0]?.message.content, 'Hello from the ');
    assert.equal(long.choices[0]?.finish_reason, 'length');
    assert.equal(long.choices[0]?.native_finish_reason, 'MAX_TOKENS');
    assert.equal(long.usage?.completion_tokens, 3);

    const stopped = await provider.complete(call({ stop: 'upstream' }));
    assert.equal(stopped.choices[0]?.message.content, 'Hello from the fake ');
    assert.equal(stopped.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(bodyOf(fake, 1).generationConfig, { stopSequences: ['upstream'] });

    const chunks = await collect(provider.stream(call({ max_completion_tokens: 2 })));
    assert.equal(textOf(chunks), 'Hello from ');
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'length');
  });

  it('streams canonical chunks: role chunk, content deltas, finish chunk, usage chunk; one id and created', async () => {
    fake.options.reply = 'One  two three.';
    const upstream = call({ stream: true, stream_options: { include_usage: true } });
    const chunks = await collect(provider.stream(upstream));

    const [request] = fake.requests;
    assert.equal(request?.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    assert.deepEqual(request?.query, { alt: 'sse' });
    assert.equal(request?.headers.accept, 'text/event-stream');
    assert.deepEqual(request?.body, { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });

    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.match(chunks[0]?.id ?? '', /^chatcmpl-/);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gemini-2.5-flash'));
    assert.deepEqual(
      chunks.map((c) => c.choices.map((choice) => [choice.index, choice.delta, choice.finish_reason])),
      [
        [[0, { role: 'assistant', content: '' }, null]],
        [[0, { content: 'One ' }, null]],
        [[0, { content: ' ' }, null]],
        [[0, { content: 'two ' }, null]],
        [[0, { content: 'three.' }, null]],
        [[0, {}, 'stop']],
        [],
      ],
    );
    assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
  });

  it('n ≤ 8 on Gemini 2.x is candidateCount: n choices, usage as reported', async () => {
    const response = await provider.complete(call({ n: 2 }));
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(bodyOf(fake).generationConfig, { candidateCount: 2 });
    assert.deepEqual(
      response.choices.map((c) => [c.index, c.message.content]),
      [
        [0, DEFAULT_GOOGLE_REPLY],
        [1, DEFAULT_GOOGLE_REPLY],
      ],
    );
    assert.equal(response.usage?.completion_tokens, 2 * REPLY_TOKENS);

    // Streams split n by default; an operator who knows the deployment streams candidates sets max_candidates.
    fake.options.reply = 'a b';
    fake.requests.length = 0;
    const trusted = createGoogleProvider(settings(fake.url, { max_candidates: '8' }), http);
    const chunks = await collect(trusted.stream(call({ n: 2 })));
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(bodyOf(fake).generationConfig, { candidateCount: 2 });
    assert.equal(textOf(chunks, 0), 'a b');
    assert.equal(textOf(chunks, 1), 'a b');
    const order = chunks.flatMap((c) => c.choices.map((choice) => choice.index));
    // Each Gemini event carries both candidates: role+text of 0, role+text of 1, then text+finish of each.
    assert.deepEqual(order, [0, 0, 1, 1, 0, 0, 1, 1]);
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, 4);
  });

  it('n beyond the cap is split into parallel calls (Gemini 3 and streams: one candidate per call; 2.x: 8)', async () => {
    const response = await provider.complete(call({ model: 'gemini-3-pro-preview', n: 3 }));
    assert.equal(fake.requests.length, 3);
    for (const request of fake.requests)
      assert.equal((request.body as Record<string, unknown>).generationConfig, undefined);
    assert.deepEqual(
      response.choices.map((c) => c.index),
      [0, 1, 2],
    );
    assert.equal(response.usage?.prompt_tokens, 3 * 4);
    assert.equal(response.usage?.completion_tokens, 3 * REPLY_TOKENS);

    fake.requests.length = 0;
    const ten = await provider.complete(call({ n: 10 }));
    assert.deepEqual(
      fake.requests
        .map(
          (r) =>
            (r.body as { generationConfig?: { candidateCount?: number } }).generationConfig?.candidateCount,
        )
        .sort(),
      [2, 8],
    );
    assert.deepEqual(
      ten.choices.map((c) => c.index),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );

    fake.requests.length = 0;
    fake.options.reply = 'x y';
    const chunks = await collect(provider.stream(call({ model: 'gemini-2.5-flash', n: 2 })));
    assert.equal(fake.requests.length, 2, 'streams ask one candidate per call');
    for (const request of fake.requests)
      assert.equal((request.body as Record<string, unknown>).generationConfig, undefined);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(textOf(chunks, 0), 'x y');
    assert.equal(textOf(chunks, 1), 'x y');
    assert.equal(chunks.filter((c) => c.choices.length === 0).length, 1, 'one usage chunk');
    assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 8, completion_tokens: 4, total_tokens: 12 });
  });

  it('the cap can be configured with options.max_candidates', async () => {
    const capped = createGoogleProvider(settings(fake.url, { max_candidates: '2' }), http);
    await capped.complete(call({ n: 3 }));
    assert.equal(fake.requests.length, 2);
  });

  it('translates tools and tool_choice, and answers function calls as tool_calls', async () => {
    fake.options.functionCall = [
      { name: 'get_weather', args: { city: 'Paris' } },
      { name: 'get_time', args: {} },
    ];
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather of a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['C', 'F'] } },
            required: ['city'],
            additionalProperties: false,
          },
          strict: true,
        },
      },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
    ];
    const upstream = call({ tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    const response = await provider.complete(upstream);

    assert.deepEqual(bodyOf(fake).tools, [
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather of a city',
            parameters: {
              type: 'OBJECT',
              properties: {
                city: { type: 'STRING' },
                unit: { type: 'STRING', nullable: true, enum: ['C', 'F'] },
              },
              required: ['city'],
            },
          },
          { name: 'get_time' },
        ],
      },
    ]);
    assert.deepEqual(bodyOf(fake).toolConfig, {
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
    assert.deepEqual(upstream.warnings, [
      'tools: JSON Schema keywords Gemini lacks were dropped: additionalProperties',
    ]);

    const [choice] = response.choices;
    assert.equal(choice?.finish_reason, 'tool_calls');
    assert.equal(choice?.message.content, null);
    const calls = choice?.message.tool_calls ?? [];
    assert.deepEqual(
      calls.map((c) => [c.type, c.function.name, c.function.arguments]),
      [
        ['function', 'get_weather', '{"city":"Paris"}'],
        ['function', 'get_time', '{}'],
      ],
    );
    for (const c of calls) assert.match(c.id, /^call_[A-Za-z0-9]{20,}$/);
    assert.notEqual(calls[0]?.id, calls[1]?.id);

    for (const [choiceValue, mode] of [
      ['auto', 'AUTO'],
      ['none', 'NONE'],
      ['required', 'ANY'],
    ] as const) {
      fake.requests.length = 0;
      await provider.complete(call({ tools, tool_choice: choiceValue }));
      assert.deepEqual(bodyOf(fake).toolConfig, { functionCallingConfig: { mode } });
    }
  });

  it('streams a function call as one tool_calls delta, then finish_reason tool_calls', async () => {
    fake.options.functionCall = { name: 'lookup', args: { q: 'x' } };
    const tools = [
      {
        type: 'function',
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const chunks = await collect(provider.stream(call({ tools })));
    const deltas = chunks.flatMap((c) => c.choices.map((choice) => choice.delta));
    assert.deepEqual(deltas[0], { role: 'assistant', content: '' });
    const toolDelta = deltas[1]?.tool_calls?.[0];
    assert.equal(toolDelta?.index, 0);
    assert.match(toolDelta?.id ?? '', /^call_/);
    assert.deepEqual(toolDelta?.function, { name: 'lookup', arguments: '{"q":"x"}' });
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, 5);
  });

  it('sends tool results as functionResponse parts named through the earlier tool calls', async () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather and time in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_a',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_b', content: '12:00' },
      { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21}' },
    ];
    await provider.complete(call({ messages }));
    assert.deepEqual(bodyOf(fake).contents, [
      { role: 'user', parts: [{ text: 'Weather and time in Paris?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_time', response: { output: '12:00' } } },
          { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
        ],
      },
    ]);

    // Gemini 3 refuses the current turn's function calls without a thought signature.
    fake.requests.length = 0;
    await provider.complete(call({ model: 'gemini-3-pro-preview', messages }));
    const contents = bodyOf(fake).contents as { parts: Record<string, unknown>[] }[];
    assert.deepEqual(
      contents[1]?.parts.map((p) => p.thoughtSignature),
      [SKIP_THOUGHT_SIGNATURE, undefined],
    );

    await rejectsWith(
      provider.complete(
        call({
          messages: [
            { role: 'user', content: 'x' },
            { role: 'tool', tool_call_id: 'nope', content: '1' },
          ],
        }),
      ),
      (error) => {
        assert.equal(error.status, 400);
        assert.equal(error.param, 'messages[1].tool_call_id');
      },
    );
  });

  it('converts response_format json_schema to responseSchema, dropping what Gemini lacks', async () => {
    fake.options.reply = '{"name":"Ada"}';
    const upstream = call({
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          strict: true,
          schema: {
            $schema: 'http://json-schema.org/draft-07/schema#',
            type: 'object',
            properties: {
              name: { type: 'string', description: 'Full name', format: 'email' },
              kind: { const: 'person' },
              born: { $ref: '#/$defs/date' },
              tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
              age: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
            },
            required: ['name'],
            additionalProperties: false,
            $defs: { date: { type: 'string', format: 'date-time' } },
          },
        },
      },
    });
    const response = await provider.complete(upstream);
    assert.equal(response.choices[0]?.message.content, '{"name":"Ada"}');
    assert.deepEqual(bodyOf(fake).generationConfig, {
      responseMimeType: 'application/json',
      responseSchema: {
        type: 'OBJECT',
        properties: {
          name: { type: 'STRING', description: 'Full name' },
          kind: { type: 'STRING', enum: ['person'] },
          born: { type: 'STRING', format: 'date-time' },
          tags: { type: 'ARRAY', maxItems: 3, items: { type: 'STRING' } },
          age: { nullable: true, type: 'INTEGER' },
        },
        required: ['name'],
      },
    });
    assert.deepEqual(upstream.warnings, [
      'response_format: JSON Schema keywords Gemini lacks were dropped: $schema, additionalProperties, format: email',
    ]);
  });

  it('sends images: data: URLs as inlineData, http URLs as fileData with a guessed type', async () => {
    const upstream = call({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.webp?size=2', detail: 'high' } },
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
            { type: 'refusal', refusal: 'no' },
          ],
        },
      ],
    });
    await provider.complete(upstream);
    assert.deepEqual(bodyOf(fake).contents, [
      {
        role: 'user',
        parts: [
          { text: 'Compare' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
          { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp?size=2' } },
          { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
        ],
      },
    ]);
    assert.deepEqual(upstream.warnings, [
      'image_url.detail is not supported by Gemini and was ignored',
      "content parts of type 'refusal' are not supported by Gemini and were dropped",
    ]);
  });

  it('counts thinking as completion (and reasoning_tokens), cached content as cached_tokens', async () => {
    fake.options.thoughtsTokenCount = 40;
    fake.options.cachedContentTokenCount = 2;
    const response = await provider.complete(call({}));
    assert.deepEqual(response.usage, {
      prompt_tokens: 4,
      completion_tokens: REPLY_TOKENS + 40,
      total_tokens: 4 + REPLY_TOKENS + 40,
      prompt_tokens_details: { cached_tokens: 2 },
      completion_tokens_details: { reasoning_tokens: 40 },
    });
    const chunks = await collect(provider.stream(call({})));
    assert.deepEqual(chunks.at(-1)?.usage, response.usage);
  });

  it('maps safety finish reasons and blocked prompts to content_filter', async () => {
    fake.options.finishReason = 'SAFETY';
    const filtered = await provider.complete(call({}));
    assert.equal(filtered.choices[0]?.finish_reason, 'content_filter');
    assert.equal(filtered.choices[0]?.native_finish_reason, 'SAFETY');

    fake.options = { blockReason: 'PROHIBITED_CONTENT' };
    const blocked = await provider.complete(call({ n: 2 }));
    assert.deepEqual(
      blocked.choices.map((c) => [c.index, c.message.content, c.finish_reason]),
      [
        [0, '', 'content_filter'],
        [1, '', 'content_filter'],
      ],
    );
    const chunks = await collect(provider.stream(call({})));
    assert.deepEqual(
      chunks.map((c) => c.choices[0]?.finish_reason ?? (c.usage ? 'usage' : null)),
      [null, 'content_filter', 'usage'],
    );
  });

  it('maps Google errors: 429 (retryDelay → retryAfter), 5xx retryable, bad key is the gateway’s, 4xx the client’s', async () => {
    fake.faults.push({ kind: 'status', status: 429 });
    await rejectsWith(provider.complete(call({})), (error) => {
      assert.equal(error.status, 429);
      assert.equal(error.code, 'upstream_rate_limited');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfter, 7);
      assert.match(error.message, /You exceeded your current quota/);
    });

    for (const [status, mapped, code] of [
      [500, 502, 'upstream_error'],
      [503, 503, 'upstream_unavailable'],
      [504, 504, 'upstream_timeout'],
    ] as const) {
      fake.faults.push({ kind: 'status', status });
      await rejectsWith(provider.complete(call({})), (error) => {
        assert.equal(error.status, mapped);
        assert.equal(error.code, code);
        assert.equal(error.retryable, true);
        assert.equal(error.provider, 'google');
      });
    }

    fake.faults.push({ kind: 'status', status: 404 });
    await rejectsWith(provider.stream(call({}))[Symbol.asyncIterator]().next(), (error) => {
      assert.equal(error.status, 404);
      assert.equal(error.code, 'model_not_found');
    });

    fake.options.apiKey = 'the-right-key';
    await rejectsWith(provider.complete(call({})), (error) => {
      assert.equal(error.status, 502);
      assert.equal(error.code, 'upstream_auth_failed');
      assert.equal(error.retryable, false);
      assert.match(error.message, /API key not valid/);
    });

    fake.options = {};
    fake.requests.length = 0;
    // A request Gemini refuses (here: a Gemini 3 model asked for candidateCount through the cap option).
    const forced = createGoogleProvider(settings(fake.url, { max_candidates: '4' }), http);
    await rejectsWith(forced.complete(call({ model: 'gemini-3-pro-preview', n: 2 })), (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.retryable, false);
      assert.match(error.message, /Multiple candidates is not enabled for this model/);
    });
  });

  it('turns invalid JSON and cut streams into retryable upstream errors', async () => {
    fake.faults.push({ kind: 'invalid-json' });
    await rejectsWith(provider.complete(call({})), (error) => {
      assert.equal(error.code, 'upstream_invalid_response');
      assert.equal(error.retryable, true);
    });

    fake.faults.push({ kind: 'invalid-json' });
    const seen: ChatChunk[] = [];
    await rejectsWith(
      (async () => {
        for await (const batch of provider.stream(call({}))) seen.push(...batch);
      })(),
      (error) => assert.equal(error.code, 'upstream_invalid_response'),
    );
    assert.equal(textOf(seen), 'Hello ');

    fake.faults.push({ kind: 'drop-mid-stream', afterChunks: 2 });
    seen.length = 0;
    await rejectsWith(
      (async () => {
        for await (const batch of provider.stream(call({}))) seen.push(...batch);
      })(),
      (error) => {
        assert.equal(error.status, 502);
        assert.equal(error.retryable, true);
      },
    );
    assert.equal(textOf(seen), 'Hello from ');
    assert.equal(fake.aborted, 0);
  });

  it('aborts the upstream call when the caller goes away', async () => {
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

    // A split n: leaving the merged stream aborts every call.
    for await (const _ of provider.stream(call({ model: 'gemini-3-pro-preview', n: 2 }))) break;
    await waitFor(() => fake.aborted === 4);
  });
});

describe('fake Gemini upstream, through the official @google/genai client', () => {
  let fake: FakeGoogle;
  let ai: GoogleGenAI;

  before(async () => {
    fake = await startFakeGoogle();
    ai = new GoogleGenAI({ apiKey: 'sdk-key', httpOptions: { baseUrl: fake.url } });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.faults.length = 0;
    fake.options = {};
  });

  it('answers generateContent with config the SDK sends in the real format', async () => {
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Say hello please',
      config: {
        systemInstruction: 'Be terse.',
        temperature: 0.3,
        maxOutputTokens: 4,
        candidateCount: 2,
        stopSequences: ['never'],
      },
    });
    assert.equal(response.text, 'Hello from the fake ');
    assert.equal(response.candidates?.length, 2);
    assert.equal(response.candidates?.[1]?.index, 1);
    assert.equal(response.candidates?.[0]?.finishReason, 'MAX_TOKENS');
    assert.equal(response.usageMetadata?.promptTokenCount, 6 + 5);
    assert.equal(response.usageMetadata?.candidatesTokenCount, 8);
    assert.equal(response.modelVersion, 'gemini-2.5-flash');
    assert.ok(response.responseId);

    const [request] = fake.requests;
    assert.equal(request?.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal(request?.headers['x-goog-api-key'], 'sdk-key');
    assert.deepEqual(request?.body, {
      contents: [{ role: 'user', parts: [{ text: 'Say hello please' }] }],
      systemInstruction: { role: 'user', parts: [{ text: 'Be terse.' }] },
      generationConfig: { temperature: 0.3, maxOutputTokens: 4, candidateCount: 2, stopSequences: ['never'] },
    });
  });

  it('streams with alt=sse; the text reassembles and the last event has finishReason and usage', async () => {
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' });
    let text = '';
    let last: Awaited<ReturnType<typeof ai.models.generateContent>> | undefined;
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      last = chunk;
    }
    assert.equal(text, DEFAULT_GOOGLE_REPLY);
    assert.equal(last?.candidates?.[0]?.finishReason, 'STOP');
    assert.equal(last?.usageMetadata?.candidatesTokenCount, REPLY_TOKENS);
    assert.deepEqual(fake.requests[0]?.query, { alt: 'sse' });
  });

  it('answers function calls the SDK understands', async () => {
    fake.options.functionCall = { name: 'get_weather', args: { city: 'Paris' } };
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather?',
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                parameters: { type: 'OBJECT' as never, properties: { city: { type: 'STRING' as never } } },
              },
            ],
          },
        ],
        toolConfig: { functionCallingConfig: { mode: 'ANY' as never } },
      },
    });
    assert.deepEqual(
      response.functionCalls?.map((c) => [c.name, c.args]),
      [['get_weather', { city: 'Paris' }]],
    );
  });

  it('surfaces Google error bodies as ApiError with the status', async () => {
    fake.faults.push({ kind: 'status', status: 429 });
    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' }),
      (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.status, 429);
        assert.match(error.message, /RESOURCE_EXHAUSTED/);
        return true;
      },
    );
    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi', config: { candidateCount: 9 } }),
      (error: unknown) => error instanceof ApiError && error.status === 400,
    );
  });

  it('refuses unknown fields and invalid roles, as Gemini does', async () => {
    const post = (body: unknown) =>
      fetch(`${fake.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknown = await post({
      contents: [{ role: 'user', parts: [{ text: 'x' }] }],
      generationConfig: { max_tokens: 3 },
    });
    assert.equal(unknown.status, 400);
    const body = (await unknown.json()) as { error: { code: number; status: string; message: string } };
    assert.equal(body.error.status, 'INVALID_ARGUMENT');
    assert.match(body.error.message, /Unknown name "max_tokens" at 'generation_config'/);

    const role = await post({ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] });
    assert.equal(role.status, 400);

    const noKey = await fetch(`${fake.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(noKey.status, 403);

    const array = await fetch(`${fake.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=k`, {
      method: 'POST',
      body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }),
    });
    const events = (await array.json()) as unknown[];
    assert.ok(Array.isArray(events) && events.length === REPLY_TOKENS);
  });
});
