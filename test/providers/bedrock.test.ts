// The Bedrock provider against the fake Bedrock Runtime, and the official AWS SDK against the same fake to
// prove the fake (signature checks, event-stream framing, errors) is faithful.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
// The SDK defaults to HTTP/2 for Bedrock; the fake (like the gateway's own client) speaks HTTP/1.1.
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ProviderSettings } from '../../src/config/config.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatRequest, Provider } from '../../src/core/types.js';
import { createBedrockProvider } from '../../src/providers/bedrock/bedrock-provider.js';
import {
  DEFAULT_REPLY,
  type FakeBedrock,
  startFakeBedrock,
  TEST_ACCESS_KEY_ID,
  TEST_REGION,
  TEST_SECRET_ACCESS_KEY,
} from '../fakes/bedrock.js';
import { testHttpClient } from '../support/http.js';

const http = testHttpClient();

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const ENCODED_PATH = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0';

function settings(fake: FakeBedrock, secret = TEST_SECRET_ACCESS_KEY): ProviderSettings {
  return {
    id: 'bedrock',
    format: 'bedrock',
    baseUrl: fake.url,
    apiKey: TEST_ACCESS_KEY_ID,
    headers: {},
    quirks: {},
    models: [],
    options: { region: TEST_REGION, secret_access_key: secret },
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

/** The body the fake received in request `i` (parsed JSON). */
const sent = (fake: FakeBedrock, i: number) =>
  (fake.requests[i]?.body ?? {}) as Record<string, Record<string, unknown>>;

const replyTokens = DEFAULT_REPLY.split(' ').length;

describe('bedrock provider', () => {
  let fake: FakeBedrock;
  let provider: Provider;
  let sdk: BedrockRuntimeClient;

  before(async () => {
    fake = await startFakeBedrock();
    provider = createBedrockProvider(settings(fake), http);
    sdk = new BedrockRuntimeClient({
      endpoint: fake.url,
      region: TEST_REGION,
      credentials: { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: TEST_SECRET_ACCESS_KEY },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });
  });
  after(async () => {
    sdk.destroy();
    await fake.close();
    await http.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.faults.length = 0;
    fake.options = {};
  });

  it('answers a non-stream request in the canonical shape, sending a signed Converse request', async () => {
    const c = call({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Say hello please' }] },
      ],
      max_tokens: 50,
      temperature: 0.5,
      top_p: 0.9,
    });
    const response = await provider.complete(c);
    assert.match(response.id, /^chatcmpl-[0-9a-f-]{36}$/);
    assert.equal(typeof response.created, 'number');
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
        // system: 3 words; user turn: 3 + 3 words
        usage: { prompt_tokens: 9, completion_tokens: replyTokens, total_tokens: 9 + replyTokens },
      },
    );
    assert.deepEqual(c.warnings, []);

    assert.equal(fake.requests.length, 1);
    const [request] = fake.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, `${ENCODED_PATH}/converse`);
    assert.match(
      String(request?.headers.authorization),
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${TEST_ACCESS_KEY_ID}/\\d{8}/${TEST_REGION}/bedrock/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`,
      ),
    );
    assert.match(String(request?.headers['x-amz-date']), /^\d{8}T\d{6}Z$/);
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.deepEqual(request?.body, {
      messages: [{ role: 'user', content: [{ text: 'Say hello please' }] }],
      system: [{ text: 'You are terse.' }],
      inferenceConfig: { maxTokens: 50, temperature: 0.5, topP: 0.9 },
    });
  });

  it('streams canonical chunks: role, content deltas, finish, then usage, with one id', async () => {
    fake.options.reply = 'One  two three.';
    const chunks = await collect(provider, call({ stream: true }));
    assert.equal(fake.requests[0]?.path, `${ENCODED_PATH}/converse-stream`);
    assert.equal(fake.requests[0]?.headers.accept, 'application/vnd.amazon.eventstream');
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === MODEL));
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

  it('maps stop and max_tokens to stopSequences / maxTokens, and their finish reasons', async () => {
    const stopped = await provider.complete(call({ stop: ['speaks', 'upstream'] }));
    assert.equal(stopped.choices[0]?.message.content, 'Hello from the fake ');
    assert.equal(stopped.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(fake.requests[0]?.body, {
      messages: [{ role: 'user', content: [{ text: 'Say hello please' }] }],
      inferenceConfig: { stopSequences: ['speaks', 'upstream'] },
    });

    const cut = await provider.complete(call({ max_completion_tokens: 3, stop: 'zzz' }));
    assert.equal(cut.choices[0]?.message.content, 'Hello from the ');
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    assert.deepEqual(sent(fake, 1).inferenceConfig, {
      maxTokens: 3,
      stopSequences: ['zzz'],
    });

    const chunks = await collect(provider, call({ stream: true, max_tokens: 2 }));
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'length');
  });

  it('translates tools, tool calls and tool results both ways', async () => {
    fake.options.toolCall = { name: 'get_weather', input: { city: 'Paris' }, toolUseId: 'tooluse_abc' };
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather by city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const first = await provider.complete(call({ tools, tool_choice: 'required' }));
    assert.deepEqual(first.choices[0], {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: 'tooluse_abc',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    });
    assert.deepEqual(sent(fake, 0).toolConfig, {
      tools: [
        {
          toolSpec: {
            name: 'get_weather',
            description: 'Weather by city',
            inputSchema: {
              json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
        },
      ],
      toolChoice: { any: {} },
    });

    const chunks = await collect(
      provider,
      call({ tools, stream: true, tool_choice: { type: 'function', function: { name: 'get_weather' } } }),
    );
    assert.deepEqual(sent(fake, 1).toolConfig?.toolChoice, {
      tool: { name: 'get_weather' },
    });
    assert.deepEqual(
      chunks.slice(1, 4).map((c) => c.choices[0]?.delta),
      [
        {
          tool_calls: [
            {
              index: 0,
              id: 'tooluse_abc',
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

    // The round trip: the assistant's call and the tool's result, then a follow-up question in the same turn.
    const answer = await provider.complete(
      call({
        tools,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: first.choices[0]?.message.tool_calls ?? [] },
          { role: 'tool', tool_call_id: 'tooluse_abc', content: 'Sunny, 21C' },
          { role: 'user', content: 'And tomorrow?' },
        ],
      }),
    );
    assert.equal(answer.choices[0]?.message.content, DEFAULT_REPLY);
    assert.deepEqual(sent(fake, 2).messages, [
      { role: 'user', content: [{ text: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        content: [{ toolUse: { toolUseId: 'tooluse_abc', name: 'get_weather', input: { city: 'Paris' } } }],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'tooluse_abc', content: [{ text: 'Sunny, 21C' }] } },
          { text: 'And tomorrow?' },
        ],
      },
    ]);
  });

  it('drops what Converse cannot honour with warnings, and passes unknown fields as additionalModelRequestFields', async () => {
    const c = call({
      temperature: 1.5,
      seed: 7,
      presence_penalty: 0, // OpenAI's default: dropped silently
      frequency_penalty: 0.5,
      logprobs: true,
      user: 'u-1',
      metadata: { team: 'search' },
      service_tier: 'flex',
      top_k: 40,
      response_format: { type: 'json_schema', json_schema: { name: 'r', schema: { type: 'object' } } },
    });
    await provider.complete(c);
    assert.deepEqual(c.warnings, [
      "'seed' is not supported by provider 'bedrock' and was dropped",
      "'frequency_penalty' is not supported by provider 'bedrock' and was dropped",
      "'logprobs' is not supported by provider 'bedrock' and was dropped",
      "'user' is not supported by provider 'bedrock' and was dropped",
      "'temperature' 1.5 is above provider 'bedrock''s maximum of 1; 1 was sent",
    ]);
    assert.deepEqual(fake.requests[0]?.body, {
      messages: [{ role: 'user', content: [{ text: 'Say hello please' }] }],
      inferenceConfig: { temperature: 1 },
      outputConfig: {
        textFormat: {
          type: 'json_schema',
          structure: { jsonSchema: { schema: '{"type":"object"}', name: 'r' } },
        },
      },
      requestMetadata: { team: 'search' },
      serviceTier: { type: 'flex' },
      additionalModelRequestFields: { top_k: 40 },
    });
  });

  it('refuses remote image URLs (Converse takes only inline bytes) and sends data URLs as image blocks', async () => {
    await assert.rejects(
      provider.complete(
        call({
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/cat.png' } }] },
          ],
        }),
      ),
      (error: unknown) =>
        error instanceof GatewayError && error.status === 400 && error.param === 'messages[0].content[0]',
    );
    assert.equal(fake.requests.length, 0);
    await provider.complete(
      call({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(sent(fake, 0).messages, [
      {
        role: 'user',
        content: [{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } }],
      },
    ]);
  });

  it('maps HTTP errors: 429 retryable with retry-after, 400 with Bedrock words, bad signature as auth failure', async () => {
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });
    await assert.rejects(provider.complete(call({})), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 429);
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfter, 3);
      assert.match(error.message, /ThrottlingException: Too many requests/);
      return true;
    });

    await assert.rejects(
      provider.complete(call({ messages: [{ role: 'assistant', content: 'Hi' }] })),
      (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.status, 400);
        assert.equal(error.retryable, false);
        assert.equal(error.code, 'upstream_rejected');
        assert.equal(error.wireCode, 'ValidationException');
        assert.match(error.message, /A conversation must start with a user message/);
        return true;
      },
    );

    const wrongSecret = createBedrockProvider(settings(fake, 'not-the-secret'), http);
    await assert.rejects(wrongSecret.complete(call({})), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 502);
      assert.equal(error.code, 'upstream_auth_failed');
      assert.match(
        error.message,
        /InvalidSignatureException: The request signature we calculated does not match/,
      );
      return true;
    });

    fake.faults.push({ kind: 'status', status: 500 });
    await assert.rejects(
      provider
        .stream(call({ stream: true }))
        [Symbol.asyncIterator]()
        .next(),
      (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.status, 502);
        assert.equal(error.retryable, true);
        return true;
      },
    );
  });

  it('turns in-stream exceptions, bad frames and dropped connections into GatewayErrors', async () => {
    fake.faults.push({ kind: 'stream-exception', exception: 'throttlingException', afterChunks: 2 });
    const seen: ChatChunk[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of provider.stream(call({ stream: true }))) seen.push(...batch);
      })(),
      (error: unknown) => error instanceof GatewayError && error.status === 429 && error.retryable,
    );
    assert.deepEqual(
      seen.map((c) => c.choices[0]?.delta.content),
      ['', 'Hello ', 'from '],
    );

    fake.faults.push({ kind: 'stream-exception', exception: 'modelStreamErrorException', afterChunks: 0 });
    await assert.rejects(collect(provider, call({ stream: true })), (error: unknown) => {
      return error instanceof GatewayError && error.code === 'upstream_model_error' && error.retryable;
    });

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
  });

  it('aborts the upstream call when the caller aborts', async () => {
    fake.faults.push({ kind: 'hang' });
    const controller = new AbortController();
    const pending = provider.complete(call({}, controller.signal));
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await assert.rejects(pending, (error: unknown) => error instanceof Error && error.name === 'AbortError');
    while (fake.aborted === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(fake.aborted, 1);
  });

  it('is faithful: the AWS SDK signs, converses and streams against the fake', async () => {
    const response = await sdk.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: 'Say hello please' }] }],
        inferenceConfig: { maxTokens: 3 },
      }),
    );
    assert.deepEqual(response.output, {
      message: { role: 'assistant', content: [{ text: 'Hello from the ' }] },
    });
    assert.equal(response.stopReason, 'max_tokens');
    assert.deepEqual(response.usage, { inputTokens: 6, outputTokens: 3, totalTokens: 9 });
    // The SDK and the provider address and encode the model the same way.
    assert.equal(fake.requests[0]?.path, `${ENCODED_PATH}/converse`);

    fake.options.toolCall = { name: 'lookup', input: { q: 'x' }, toolUseId: 'tooluse_1' };
    const stream = await sdk.send(
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: 'Look it up' }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object' } } } }] },
      }),
    );
    const events: ConverseStreamOutput[] = [];
    for await (const event of stream.stream ?? []) events.push(event);
    assert.deepEqual(
      events.map((e) => Object.keys(e)[0]),
      [
        'messageStart',
        'contentBlockStart',
        'contentBlockDelta',
        'contentBlockDelta',
        'contentBlockStop',
        'messageStop',
        'metadata',
      ],
    );
    assert.deepEqual(events[1]?.contentBlockStart?.start, {
      toolUse: { toolUseId: 'tooluse_1', name: 'lookup' },
    });
    assert.equal(events[5]?.messageStop?.stopReason, 'tool_use');
    assert.equal(events[6]?.metadata?.usage?.inputTokens, 6);
  });

  it('is faithful: the AWS SDK sees Bedrock errors and stream exceptions as its typed exceptions', async () => {
    const input = { modelId: MODEL, messages: [{ role: 'user' as const, content: [{ text: 'Hi' }] }] };
    fake.faults.push({ kind: 'status', status: 429 });
    await assert.rejects(sdk.send(new ConverseCommand(input)), { name: 'ThrottlingException' });

    const badSdk = new BedrockRuntimeClient({
      endpoint: fake.url,
      region: TEST_REGION,
      credentials: { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: 'wrong' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });
    await assert.rejects(badSdk.send(new ConverseCommand(input)), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'InvalidSignatureException');
      assert.equal((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 403);
      return true;
    });
    badSdk.destroy();

    fake.faults.push({
      kind: 'stream-exception',
      exception: 'throttlingException',
      message: 'slow down',
      afterChunks: 1,
    });
    const stream = await sdk.send(new ConverseStreamCommand(input));
    await assert.rejects(
      (async () => {
        for await (const _ of stream.stream ?? []) {
          // drain
        }
      })(),
      { name: 'ThrottlingException', message: 'slow down' },
    );
  });
});
