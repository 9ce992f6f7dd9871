// Lenient reading of what upstreams answer (the `*-api.ts` wire schemas), through each provider: fields the
// gateway does not know pass, null stands for absent, types newer than the gateway are skipped, and a shape
// that cannot be read is a 502 upstream_invalid_response. A scripted upstream answers each request with the
// exact bytes a test sets, so the answers can be what no fake would send.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ProviderSettings } from '../../src/config/config.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatRequest, Provider, UpstreamCall } from '../../src/core/types.js';
import { createAnthropicProvider } from '../../src/providers/anthropic/anthropic-provider.js';
import { createBedrockProvider } from '../../src/providers/bedrock/bedrock-provider.js';
import { createCohereProvider } from '../../src/providers/cohere/cohere-provider.js';
import { createGoogleProvider } from '../../src/providers/google/google-provider.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { eventFrame } from '../fakes/bedrock.js';
import { testHttpClient } from '../support/http.js';

const http = testHttpClient();

interface Scripted {
  status?: number;
  contentType?: string;
  body: string | Uint8Array;
}

let next: Scripted = { body: '{}' };
let server: Server;
let baseUrl = '';

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(next.status ?? 200, { 'content-type': next.contentType ?? 'application/json' });
      res.end(next.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await http.close();
});

function settings(format: string, options: Record<string, string> = {}): ProviderSettings {
  return {
    id: format,
    format,
    baseUrl,
    apiKey: 'test-key',
    headers: {},
    quirks: {},
    models: [],
    options,
  };
}

const call = (request: Partial<ChatRequest> = {}): UpstreamCall => ({
  request: { model: 'some-model', messages: [{ role: 'user', content: 'Hi' }], ...request },
  signal: new AbortController().signal,
  warnings: [],
});

const json = (value: unknown): Scripted => ({ body: JSON.stringify(value) });

/** SSE events `event: <type>` + `data: <json>` (the type taken from the payload when it has one). */
function sse(events: unknown[], tail = ''): Scripted {
  const text = events
    .map((event) => {
      const type = (event as { type?: unknown }).type;
      return `${typeof type === 'string' ? `event: ${type}\n` : ''}data: ${JSON.stringify(event)}\n\n`;
    })
    .join('');
  return { contentType: 'text/event-stream', body: text + tail };
}

async function collect(provider: Provider, upstream = call()): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const batch of provider.stream(upstream)) chunks.push(...batch);
  return chunks;
}

const textOf = (chunks: ChatChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

function isInvalidResponse(error: unknown): boolean {
  assert.ok(error instanceof GatewayError, String(error));
  assert.equal(error.code, 'upstream_invalid_response');
  assert.equal(error.status, 502);
  return true;
}

describe('OpenAI-format answers', () => {
  const provider = () => createOpenAIProvider(settings('openai'), http);

  it('pass through untouched, vendor fields and nulls included', async () => {
    next = json({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hi', reasoning: null }, finish_reason: 'stop' },
      ],
      usage: null,
      vendor_extension: { anything: [1, 2] },
    });
    const answer = await provider().complete(call());
    assert.equal(answer.choices[0]?.message.content, 'Hi');
    assert.deepEqual(answer.vendor_extension, { anything: [1, 2] });
    assert.equal(answer.usage, null);
  });

  it('without choices, or with choices that are not objects, are a 502 (an in-band error says why)', async () => {
    next = json({ id: 'x', choices: 'none' });
    await assert.rejects(provider().complete(call()), isInvalidResponse);
    next = json({ id: 'x', choices: [null] });
    await assert.rejects(provider().complete(call()), isInvalidResponse);
    next = json({ error: { message: 'Backend exploded', code: 500, param: { odd: true } } });
    await assert.rejects(provider().complete(call()), (error: unknown) => {
      isInvalidResponse(error);
      assert.match((error as GatewayError).message, /Backend exploded/);
      return true;
    });
  });

  it('error bodies with unexpected field types still give their message', async () => {
    next = {
      status: 400,
      body: JSON.stringify({ error: { message: 'Bad temperature', code: 42, param: 7 } }),
    };
    await assert.rejects(provider().complete(call()), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 400);
      assert.match(error.message, /Bad temperature/);
      assert.equal(error.param, null);
      return true;
    });
  });
});

describe('Anthropic answers', () => {
  const provider = () => createAnthropicProvider(settings('anthropic'), http);
  const message = (content: unknown[], extra: Record<string, unknown> = {}) => ({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-x',
    content,
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 2, cache_read_input_tokens: null, server_tool_use: null },
    ...extra,
  });

  it('read new block types, unknown fields and nulls leniently', async () => {
    next = json(
      message(
        [
          { type: 'thinking', thinking: '…', signature: 'sig' },
          { type: 'text', text: 'Hello', citations: null },
          { type: 'brand_new_block', payload: 1 },
        ],
        { container: null, context_management: { applied: [] } },
      ),
    );
    const answer = await provider().complete(call());
    assert.equal(answer.choices[0]?.message.content, 'Hello');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(answer.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });

  it('a message without content blocks, or a malformed known block, is a 502', async () => {
    next = json(message([], { content: 'Hello' }));
    await assert.rejects(provider().complete(call()), isInvalidResponse);
    next = json(message([{ type: 'tool_use', name: 'f', input: {} }])); // no id
    await assert.rejects(provider().complete(call()), isInvalidResponse);
    next = json({ type: 'not-a-message' });
    await assert.rejects(provider().complete(call()), isInvalidResponse);
  });

  it('streams: skips unknown events and deltas; a null count does not replace a reported one', async () => {
    next = sse([
      {
        type: 'message_start',
        message: message([], { stop_reason: null, usage: { input_tokens: 9, output_tokens: 1 } }),
      },
      { type: 'ping' },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'future_delta', x: 1 } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '', citations: null } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi there' }, extra: true },
      { type: 'future_event', data: {} },
      { type: 'content_block_stop', index: 1 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: null, output_tokens: 4, cache_read_input_tokens: null },
      },
      { type: 'message_stop' },
    ]);
    const chunks = await collect(provider());
    assert.equal(textOf(chunks), 'Hi there');
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
  });

  it('streams: a malformed known event is a 502', async () => {
    next = sse([
      { type: 'message_start', message: message([]) },
      { type: 'content_block_delta', delta: { type: 'text_delta', text: 'no index' } },
    ]);
    await assert.rejects(collect(provider()), isInvalidResponse);
    next = sse([{ type: 'message_start', message: { id: 'msg_1', content: [] } }]); // no type: 'message'
    await assert.rejects(collect(provider()), isInvalidResponse);
  });

  it('error bodies and error events that hold odd shapes still map by status', async () => {
    next = { status: 529, body: JSON.stringify({ type: 'error', error: { type: 42 } }) };
    await assert.rejects(provider().complete(call()), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 503);
      return true;
    });
    next = sse([
      { type: 'message_start', message: message([]) },
      { type: 'error', error: 'overloaded' },
    ]);
    await assert.rejects(collect(provider()), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.retryable, true);
      return true;
    });
  });
});

describe('Gemini answers', () => {
  const provider = () => createGoogleProvider(settings('google'), http);

  it('read unknown part kinds and fields, absent counts as 0, a missing index as the position', async () => {
    next = json({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'thinking…', thought: true },
              { text: 'Hello', thoughtSignature: 'sig' },
              { executableCode: { language: 'PYTHON', code: 'print(1)' } },
            ],
          },
          finishReason: 'STOP',
          safetyRatings: [],
          citationMetadata: null,
        },
      ],
      usageMetadata: { candidatesTokenCount: 3, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 0 }] },
      modelVersion: 'gemini-2.5-flash',
      responseId: null,
      promptFeedback: null,
    });
    const answer = await provider().complete(call({ model: 'gemini-2.5-flash' }));
    assert.equal(answer.choices[0]?.index, 0);
    assert.equal(answer.choices[0]?.message.content, 'Hello');
    assert.equal(answer.usage?.prompt_tokens, 0);
    assert.equal(answer.usage?.completion_tokens, 3);
  });

  it('a candidate list that is not a list, or a function call without a name, is a 502', async () => {
    next = json({ candidates: { content: {} } });
    await assert.rejects(provider().complete(call({ model: 'gemini-2.5-flash' })), isInvalidResponse);
    next = json({
      candidates: [{ content: { parts: [{ functionCall: { args: {} } }] }, finishReason: 'STOP' }],
    });
    await assert.rejects(provider().complete(call({ model: 'gemini-2.5-flash' })), isInvalidResponse);
  });

  it('an in-band error, also wrapped in an array, is mapped by its code', async () => {
    next = json([{ error: { code: 429, message: 'Quota', status: 'RESOURCE_EXHAUSTED', details: [42] } }]);
    await assert.rejects(provider().complete(call({ model: 'gemini-2.5-flash' })), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 429);
      assert.match(error.message, /Quota/);
      return true;
    });
  });

  it('streams: extra fields pass; an event that is not a response is a 502', async () => {
    const event = (text: string, finishReason?: string) => ({
      candidates: [
        { content: { role: 'model', parts: [{ text }] }, ...(finishReason ? { finishReason } : {}) },
      ],
      usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 2, trafficType: 'ON_DEMAND' },
      modelVersion: 'gemini-2.5-flash',
      createTime: '2025-01-01T00:00:00Z',
    });
    next = sse([event('Hi '), event('there', 'STOP')]);
    const chunks = await collect(provider(), call({ model: 'gemini-2.5-flash' }));
    assert.equal(textOf(chunks), 'Hi there');
    assert.equal(chunks.at(-1)?.usage?.total_tokens, 4);
    next = sse([event('Hi '), { candidates: [{ index: 'first' }] }]);
    await assert.rejects(collect(provider(), call({ model: 'gemini-2.5-flash' })), isInvalidResponse);
  });
});

describe('Cohere answers', () => {
  const provider = () => createCohereProvider(settings('cohere'), http);

  it('read thinking parts, extra fields and null counts leniently', async () => {
    next = json({
      id: 'c1',
      finish_reason: 'COMPLETE',
      message: {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: '…' },
          { type: 'text', text: 'Hello' },
        ],
        tool_plan: null,
        citations: [],
      },
      usage: { billed_units: { input_tokens: 4, output_tokens: 2, search_units: null }, tokens: null },
    });
    const answer = await provider().complete(call());
    assert.equal(answer.choices[0]?.message.content, 'Hello');
    assert.deepEqual(answer.usage, { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
  });

  it('an answer without a message is a 502', async () => {
    next = json({ id: 'c1', finish_reason: 'COMPLETE', text: 'Hello' });
    await assert.rejects(provider().complete(call()), isInvalidResponse);
  });

  it('streams: new event types are skipped; an event without a type is a 502', async () => {
    next = sse([
      { type: 'message-start', id: 'c1', delta: { message: { role: 'assistant' } } },
      { type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } },
      { type: 'content-delta', index: 0, delta: { message: { content: { thinking: 'hmm' } } } },
      { type: 'content-delta', index: 0, delta: { message: { content: { text: 'Hi' } } }, logprobs: null },
      { type: 'future-event', index: 0 },
      { type: 'content-end', index: 0 },
      {
        type: 'message-end',
        delta: {
          finish_reason: 'COMPLETE',
          error: null,
          usage: { billed_units: { input_tokens: 3, output_tokens: 1 } },
        },
      },
    ]);
    const chunks = await collect(provider());
    assert.equal(textOf(chunks), 'Hi');
    assert.equal(chunks.at(-1)?.usage?.total_tokens, 4);
    next = sse([{ type: 'message-start', id: 'c1' }, { delta: {} }]);
    await assert.rejects(collect(provider()), isInvalidResponse);
  });
});

describe('Bedrock answers', () => {
  const provider = () =>
    createBedrockProvider(settings('bedrock', { region: 'us-east-1', secret_access_key: 'secret' }), http);

  it('read unknown blocks and fields leniently', async () => {
    next = json({
      output: {
        message: {
          role: 'assistant',
          content: [{ reasoningContent: { reasoningText: { text: '…' } } }, { text: 'Hello' }],
        },
      },
      stopReason: 'end_turn',
      usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7, cacheReadInputTokens: null },
      metrics: { latencyMs: 10 },
      additionalModelResponseFields: null,
    });
    const answer = await provider().complete(call());
    assert.equal(answer.choices[0]?.message.content, 'Hello');
    assert.deepEqual(answer.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });

  it('an answer without output.message.content is a 502', async () => {
    next = json({ output: { message: { role: 'assistant' } }, stopReason: 'end_turn' });
    await assert.rejects(provider().complete(call()), isInvalidResponse);
  });

  it('streams: unknown events are skipped; a malformed known one is a 502', async () => {
    const frames = (...list: Uint8Array[]): Scripted => ({
      contentType: 'application/vnd.amazon.eventstream',
      body: Buffer.concat(list),
    });
    next = frames(
      eventFrame('messageStart', { role: 'assistant' }),
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
      eventFrame('futureEvent', { anything: true }),
      eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
      eventFrame('messageStop', { stopReason: 'end_turn', additionalModelResponseFields: null }),
      eventFrame('metadata', { usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 }, metrics: {} }),
    );
    const chunks = await collect(provider());
    assert.equal(textOf(chunks), 'Hi');
    assert.equal(chunks.at(-1)?.usage?.total_tokens, 4);
    next = frames(
      eventFrame('messageStart', { role: 'assistant' }),
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 42 } }),
    );
    await assert.rejects(collect(provider()), isInvalidResponse);
  });
});
