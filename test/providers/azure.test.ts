// The Azure OpenAI provider against the fake Azure resource, and the `openai` package's AzureOpenAI client
// against the same fake to prove the fake is faithful.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AzureOpenAI } from 'openai';
import type { ProviderSettings } from '../../src/config/config.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatRequest, Provider } from '../../src/core/types.js';
import { createAzureProvider } from '../../src/providers/azure/azure-provider.js';
import {
  CONTENT_FILTER_RESULTS,
  DEFAULT_REPLY,
  type FakeAzure,
  FILTERED_RESULTS,
  PROMPT_FILTER_RESULTS,
  startFakeAzure,
} from '../fakes/azure.js';
import { testHttpClient } from '../support/http.js';

const http = testHttpClient();

const DEPLOYMENT = 'gpt-4o';
const DEPLOYED_MODEL = 'gpt-4o-2024-11-20';

function settings(fake: FakeAzure, apiVersion = '2024-10-21'): ProviderSettings {
  return {
    id: 'azure',
    format: 'azure',
    baseUrl: fake.url,
    apiKey: 'az-key',
    headers: {},
    quirks: {},
    models: [],
    options: { api_version: apiVersion },
  };
}

function call(request: Partial<ChatRequest>, signal = new AbortController().signal) {
  return {
    request: {
      model: DEPLOYMENT,
      messages: [{ role: 'user' as const, content: 'Say hello please' }],
      ...request,
    },
    signal,
    warnings: [] as string[],
  };
}

async function collect(provider: Provider, c: ReturnType<typeof call>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const batch of provider.stream(c)) chunks.push(...batch);
  return chunks;
}

const replyTokens = DEFAULT_REPLY.split(' ').length;

describe('azure provider', () => {
  let fake: FakeAzure;
  let provider: Provider;

  before(async () => {
    fake = await startFakeAzure();
    provider = createAzureProvider(settings(fake), http);
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

  it('calls the deployment URL with api-key and api-version; content-filter results pass through', async () => {
    const c = call({ max_tokens: 50, temperature: 0.2 });
    const response = await provider.complete(c);
    assert.deepEqual(c.warnings, []);
    assert.equal(response.object, 'chat.completion');
    assert.equal(response.model, DEPLOYED_MODEL);
    assert.deepEqual(response.choices, [
      {
        content_filter_results: CONTENT_FILTER_RESULTS,
        finish_reason: 'stop',
        index: 0,
        logprobs: null,
        message: { annotations: [], content: DEFAULT_REPLY, refusal: null, role: 'assistant' },
      },
    ]);
    assert.deepEqual(response.prompt_filter_results, PROMPT_FILTER_RESULTS);
    assert.equal(response.usage?.prompt_tokens, 6);
    assert.equal(response.usage?.completion_tokens, replyTokens);

    const [request] = fake.requests;
    assert.equal(request?.path, '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    assert.equal(request?.headers['api-key'], 'az-key');
    assert.equal(request?.headers.authorization, undefined);
    assert.deepEqual(request?.body, {
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'Say hello please' }],
      max_tokens: 50,
      temperature: 0.2,
    });
  });

  it('streams canonical chunks: the prompt-filter chunk is folded into the role chunk, usage comes last', async () => {
    fake.options.reply = 'One two.';
    const chunks = await collect(provider, call({ stream: true }));
    assert.deepEqual(fake.requests[0]?.body, {
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'Say hello please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id.startsWith('chatcmpl-')));
    assert.deepEqual(chunks[0]?.choices[0]?.delta, { content: '', refusal: null, role: 'assistant' });
    assert.deepEqual(chunks[0]?.prompt_filter_results, PROMPT_FILTER_RESULTS);
    assert.deepEqual(
      chunks.slice(1).map((c) => [c.choices[0]?.delta, c.choices[0]?.finish_reason]),
      [
        [{ content: 'One ' }, null],
        [{ content: 'two.' }, null],
        [{}, 'stop'],
        [undefined, undefined],
      ],
    );
    assert.deepEqual(chunks[1]?.choices[0]?.content_filter_results, CONTENT_FILTER_RESULTS);
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.equal(chunks.at(-1)?.usage?.total_tokens, 6 + 2);
  });

  it('keeps finish_reason content_filter when the completion filter cuts the answer', async () => {
    fake.options.filterAfter = 2;
    const response = await provider.complete(call({}));
    assert.equal(response.choices[0]?.finish_reason, 'content_filter');
    assert.equal(response.choices[0]?.message.content, 'Hello from ');
    assert.deepEqual(response.choices[0]?.content_filter_results, FILTERED_RESULTS);
    const chunks = await collect(provider, call({ stream: true }));
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'content_filter');
  });

  it('sends developer messages as system before api-version 2024-12-01, and as they are after', async () => {
    const messages = [
      { role: 'developer' as const, content: 'Be terse.' },
      { role: 'user' as const, content: 'Hi' },
    ];
    await provider.complete(call({ messages }));
    assert.deepEqual((fake.requests[0]?.body as { messages?: unknown } | undefined)?.messages, [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Hi' },
    ]);
    const preview = createAzureProvider(settings(fake, '2025-04-01-preview'), http);
    await preview.complete(call({ messages }));
    assert.equal(
      fake.requests[1]?.path,
      '/openai/deployments/gpt-4o/chat/completions?api-version=2025-04-01-preview',
    );
    assert.deepEqual((fake.requests[1]?.body as { messages?: unknown } | undefined)?.messages, messages);
  });

  it('maps Azure errors: prompt filter, unknown deployment, rate limit, auth, unknown argument', async () => {
    await assert.rejects(
      provider.complete(call({ messages: [{ role: 'user', content: 'tell me about forbidden-topic' }] })),
      (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.status, 400);
        // Our meaning is a rejection; Azure's own code is what the client is told.
        assert.equal(error.code, 'upstream_rejected');
        assert.equal(error.providerCode, 'content_filter');
        assert.equal(error.wireCode, 'content_filter');
        assert.equal(error.param, 'prompt');
        assert.match(error.message, /content management policy/);
        return true;
      },
    );
    await assert.rejects(provider.complete(call({ model: 'nope' })), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 404);
      assert.match(error.message, /deployment for this resource does not exist/);
      return true;
    });
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '6' } });
    await assert.rejects(provider.complete(call({})), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 429);
      assert.equal(error.retryAfter, 6);
      assert.equal(error.retryable, true);
      assert.equal(error.code, 'upstream_rate_limited');
      return true;
    });
    fake.faults.push({ kind: 'status', status: 401 });
    await assert.rejects(
      provider.complete(call({})),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_auth_failed',
    );
    await assert.rejects(provider.complete(call({ foo: 1 })), (error: unknown) => {
      return (
        error instanceof GatewayError &&
        error.status === 400 &&
        /Unrecognized request argument supplied: foo/.test(error.message)
      );
    });
  });

  it('turns broken streams and dropped connections into GatewayErrors, and aborts on request', async () => {
    fake.faults.push({ kind: 'invalid-json' });
    await assert.rejects(
      collect(provider, call({ stream: true })),
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
    while (fake.requests.length < 3) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await assert.rejects(pending, (error: unknown) => error instanceof Error && error.name === 'AbortError');
    while (fake.aborted === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(fake.aborted, 1);
  });

  it('is faithful: the AzureOpenAI client talks to the fake exactly as the provider does', async () => {
    const client = new AzureOpenAI({
      endpoint: fake.url,
      apiKey: 'az-sdk',
      apiVersion: '2024-10-21',
      deployment: DEPLOYMENT,
      maxRetries: 0,
    });
    const completion = await client.chat.completions.create({
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'Say hello please' }],
    });
    assert.equal(completion.choices[0]?.message.content, DEFAULT_REPLY);
    const [request] = fake.requests;
    assert.equal(request?.path, '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    assert.equal(request?.headers['api-key'], 'az-sdk');
    // The SDK keeps `model` in the body too, so Azure accepts it there: the provider does the same.
    assert.deepEqual(request?.body, {
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'Say hello please' }],
    });

    const stream = await client.chat.completions.create({
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const raw: Array<{ id: string; choices: unknown[] }> = [];
    for await (const chunk of stream) raw.push(chunk);
    assert.equal(raw[0]?.id, '', 'the SDK sees the prompt-filter chunk first, as Azure sends it');
    assert.deepEqual(raw[0]?.choices, []);
    assert.equal(raw.at(-1)?.choices.length, 0);

    await assert.rejects(
      client.chat.completions.create({
        model: DEPLOYMENT,
        messages: [{ role: 'user', content: 'forbidden-topic' }],
      }),
      (error: unknown) => error instanceof AzureOpenAI.BadRequestError && error.code === 'content_filter',
    );
  });
});
