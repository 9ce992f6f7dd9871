// Proves the fake upstream is faithful: the official `openai` client talks to it, and what it sends matches
// the official OpenAPI spec.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { assertMatchesSchema } from '../support/openapi.js';
import { DEFAULT_REPLY, type FakeOpenAI, startFakeOpenAI } from './openai.js';

describe('fake OpenAI upstream', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  before(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ baseURL: fake.url, apiKey: 'sk-test', maxRetries: 0 });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.faults.length = 0;
    fake.options = {};
  });

  const messages = [
    { role: 'system' as const, content: 'You are terse.' }, // 3 words + 3
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'Say hello please' }] }, // 3 words + 3
  ];
  const promptTokens = 12;
  const replyTokens = DEFAULT_REPLY.split(' ').length;

  it('answers a non-stream request in the real wire format', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assertMatchesSchema('CreateChatCompletionResponse', completion);
    assert.match(completion.id, /^chatcmpl-fake/);
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'gpt-4o-mini');
    assert.equal(completion.choices.length, 1);
    const [choice] = completion.choices;
    assert.equal(choice?.message.content, DEFAULT_REPLY);
    assert.equal(choice?.message.refusal, null);
    assert.equal(choice?.finish_reason, 'stop');
    assert.equal(choice?.logprobs, null);
    assert.deepEqual(completion.usage, {
      prompt_tokens: promptTokens,
      completion_tokens: replyTokens,
      total_tokens: promptTokens + replyTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });

    assert.equal(fake.requests.length, 1);
    const [request] = fake.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/v1/chat/completions');
    assert.equal(request?.headers.authorization, 'Bearer sk-test');
    assert.deepEqual(request?.body, { model: 'gpt-4o-mini', messages });
  });

  it('streams chunks that reassemble the text exactly', async () => {
    fake.options.reply = 'One  two three.';
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.ok(
      chunks.every((c) => !('usage' in c)),
      'no usage key without include_usage',
    );
    assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '', refusal: null });
    const contents = chunks.slice(1, -1).map((c) => c.choices[0]?.delta.content);
    assert.deepEqual(contents, ['One ', ' ', 'two ', 'three.']);
    assert.equal(contents.join(''), 'One  two three.');
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices[0]?.delta, {});
    assert.equal(last?.choices[0]?.finish_reason, 'stop');
  });

  it('sends usage: null on every chunk and a final usage chunk with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk);
    const final = chunks.at(-1);
    assert.deepEqual(final?.choices, []);
    assert.equal(final?.usage?.prompt_tokens, promptTokens);
    assert.equal(final?.usage?.completion_tokens, replyTokens);
    assert.equal(final?.usage?.total_tokens, promptTokens + replyTokens);
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, DEFAULT_REPLY);
  });

  it('ends the raw stream with data: [DONE]', async () => {
    const res = await fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o',
        messages,
        stream: true,
        stream_options: { include_obfuscation: false },
      }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const raw = await res.text();
    const events = raw.split('\n\n');
    assert.equal(events.at(-1), '');
    assert.equal(events.at(-2), 'data: [DONE]');
    for (const event of events.slice(0, -2)) {
      assert.match(event, /^data: \{/);
      const chunk = JSON.parse(event.slice('data: '.length)) as Record<string, unknown>;
      assert.equal(chunk.obfuscation, undefined);
      assertMatchesSchema('CreateChatCompletionStreamResponse', chunk);
    }
  });

  it('answers n=2 with two choices and summed completion tokens', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages, n: 2 });
    assertMatchesSchema('CreateChatCompletionResponse', completion);
    assert.deepEqual(
      completion.choices.map((c) => [c.index, c.message.content]),
      [
        [0, DEFAULT_REPLY],
        [1, DEFAULT_REPLY],
      ],
    );
    assert.equal(completion.usage?.completion_tokens, 2 * replyTokens);

    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ['', ''];
    const order: number[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      assertMatchesSchema('CreateChatCompletionStreamResponse', chunk);
      for (const choice of chunk.choices) {
        order.push(choice.index);
        texts[choice.index] += choice.delta.content ?? '';
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.deepEqual(texts, [DEFAULT_REPLY, DEFAULT_REPLY]);
    assert.deepEqual(order.slice(0, 4), [0, 1, 0, 1], 'choices are interleaved by index');
    assert.equal(usage?.completion_tokens, 2 * replyTokens);
  });

  it('cuts the answer before a stop sequence', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stop: ['speaks', 'upstream'],
    });
    assert.equal(completion.choices[0]?.message.content, 'Hello from the fake ');
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assert.equal(completion.usage?.completion_tokens, 4);

    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stop: 'ake',
      stream: true,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'Hello from the f');
    assert.equal(finish, 'stop');
  });

  it('stops at max_tokens / max_completion_tokens with finish_reason length', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 3 });
    assertMatchesSchema('CreateChatCompletionResponse', completion);
    assert.equal(completion.choices[0]?.message.content, 'Hello from the ');
    assert.equal(completion.choices[0]?.finish_reason, 'length');
    assert.equal(completion.usage?.completion_tokens, 3);

    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      max_completion_tokens: 2,
      stream: true,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'Hello from ');
    assert.equal(finish, 'length');
  });

  it('surfaces a 429 fault as OpenAI.RateLimitError, with its headers', async () => {
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.status, 429);
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.equal(error.headers.get('retry-after'), '2');
      assertMatchesSchema('ErrorResponse', { error: error.error });
      return true;
    });
    assert.equal(fake.faults.length, 0);
    assert.equal(fake.requests.length, 1, 'faulted requests are recorded');
    const ok = await client.chat.completions.create({ model: 'gpt-4o', messages });
    assert.equal(ok.choices[0]?.message.content, DEFAULT_REPLY);
  });

  it('rejects a missing API key with 401 invalid_api_key', async () => {
    const res = await fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages }),
    });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { code: string } };
    assertMatchesSchema('ErrorResponse', body);
    assert.equal(body.error.code, 'invalid_api_key');
  });

  it('rejects stream_options without stream, as OpenAI does', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages, stream_options: { include_usage: true } }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'stream_options',
    );
  });

  it('lists models and answers unknown paths with 404', async () => {
    fake.options.models = ['gpt-4o', 'o3-mini'];
    const page = await client.models.list();
    assert.deepEqual(
      page.data.map((m) => m.id),
      ['gpt-4o', 'o3-mini'],
    );
    const res = await fetch(`${fake.url}/models`, { headers: { authorization: 'Bearer sk-test' } });
    assertMatchesSchema('ListModelsResponse', await res.json());

    const missing = await fetch(`${fake.url}/nope`, { headers: { authorization: 'Bearer sk-test' } });
    assert.equal(missing.status, 404);
    assertMatchesSchema('ErrorResponse', await missing.json());
  });

  it('serves invalid JSON when told to', async () => {
    fake.faults.push({ kind: 'invalid-json' });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages }));

    fake.faults.push({ kind: 'invalid-json' });
    const res = await fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    });
    assert.equal(res.status, 200);
    const events = (await res.text()).split('\n\n').filter((e) => e !== '');
    assert.equal(events.length, 2);
    assertMatchesSchema('CreateChatCompletionStreamResponse', JSON.parse(events[0]?.slice(6) ?? ''));
    assert.match(events[1] ?? '', /^data: \{/);
    assert.throws(() => JSON.parse(events[1]?.slice(6) ?? ''), SyntaxError);
  });

  it('drops the connection mid-stream after N content chunks', async () => {
    fake.faults.push({ kind: 'drop-mid-stream', afterChunks: 2 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    });
    assert.equal(text, 'Hello from ');

    fake.faults.push({ kind: 'drop-mid-stream', afterChunks: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages }),
      OpenAI.APIConnectionError,
    );
    assert.equal(fake.aborted, 0, 'drops by the fake are not client aborts');
  });

  it('counts client aborts of a hanging request and of a slow stream', async () => {
    const abortedBefore = fake.aborted;
    fake.faults.push({ kind: 'hang' });
    const controller = new AbortController();
    const pending = client.chat.completions.create(
      { model: 'gpt-4o', messages },
      { signal: controller.signal },
    );
    await waitFor(() => fake.requests.length === 1);
    controller.abort();
    await assert.rejects(pending, OpenAI.APIUserAbortError);
    await waitFor(() => fake.aborted === abortedBefore + 1);

    fake.options.chunkDelayMs = 20;
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let received = 0;
    // The openai client ends the iteration quietly on abort; breaking out of the loop aborts the request.
    for await (const _ of stream) {
      received += 1;
      if (received === 3) break;
    }
    assert.equal(received, 3);
    await waitFor(() => fake.aborted === abortedBefore + 2);
  });

  it('honours chunkDelayMs and firstByteDelayMs', async () => {
    fake.options.reply = 'a b c';
    fake.options.chunkDelayMs = 30;
    fake.options.firstByteDelayMs = 50;
    const started = Date.now();
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const times: number[] = [];
    for await (const _ of stream) times.push(Date.now() - started);
    // 1 role + 3 content + 1 finish chunk, each preceded by 30 ms, after 50 ms
    assert.equal(times.length, 5);
    assert.ok((times[0] ?? 0) >= 75, `first chunk at ${times[0]} ms`);
    assert.ok(
      (times[4] ?? 0) - (times[0] ?? 0) >= 110,
      `chunks spread over ${(times[4] ?? 0) - (times[0] ?? 0)} ms`,
    );
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
