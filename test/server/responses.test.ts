// POST /v1/responses end to end with the official openai client (v6), translated through the canonical chat
// request to an OpenAI-format upstream without the Responses API (DeepSeek, at the OpenAI fake's chat
// completions) and to the Anthropic fake (messages): answers and every stream event validated against
// OpenAI's spec, and exactly what each upstream received. Passing through to OpenAI's own Responses API:
// responses-native.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { DEFAULT_REPLY as ANTHROPIC_REPLY, FAKE_THINKING, type FakeAnthropic } from '../fakes/anthropic.js';
import { DEFAULT_REPLY, type FakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';
import { startTwoUpstreams, type TwoUpstreams } from '../support/two-upstreams.js';

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;
let gw: TestGateway;
let upstreams: TwoUpstreams;
let key: string;
let client: OpenAI;

before(async () => {
  upstreams = await startTwoUpstreams();
  ({ openai, anthropic, gw, key } = upstreams);
  client = gw.client(key);
});

after(async () => {
  await upstreams.close();
});

beforeEach(() => {
  upstreams.reset();
});

// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
const lastBody = (fake: FakeOpenAI | FakeAnthropic): any => fake.requests.at(-1)?.body;

const CLAUDE = 'anthropic/claude-sonnet-4-5-20250929';
/** An OpenAI-format model whose upstream has no Responses API: the chat translation. */
const CHAT_MODEL = 'deepseek/deepseek-chat';

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('POST /v1/responses, whole answers', () => {
  test('an OpenAI-format model: the Response object as the spec has it, and the chat request upstream', async () => {
    const response = await client.responses.create({
      model: CHAT_MODEL,
      instructions: 'Be brief.',
      input: 'Say hello.',
      max_output_tokens: 100,
      temperature: 0.5,
      metadata: { ticket: '42' },
      user: 'user-1',
    });
    assertMatchesSchema('Response', response);
    assert.match(response.id, /^resp_[0-9a-f]+$/);
    assert.equal(response.object, 'response');
    assert.equal(response.status, 'completed');
    assert.equal(response.model, CHAT_MODEL);
    assert.equal(response.output_text, DEFAULT_REPLY);
    assert.equal(response.instructions, 'Be brief.');
    assert.deepEqual(response.metadata, { ticket: '42' });
    assert.equal(response.output.length, 1);
    const message = response.output[0]!;
    assert.equal(message.type, 'message');
    assert.match(message.id!, /^msg_/);
    const usage = response.usage as OpenAI.Responses.ResponseUsage & { cost?: number };
    assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    assert.ok(usage.output_tokens > 0);
    assert.equal(typeof usage.cost, 'number');

    const upstream = lastBody(openai);
    assert.equal(upstream.model, 'deepseek-chat');
    assert.deepEqual(upstream.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Say hello.' }] },
    ]);
    assert.equal(upstream.max_completion_tokens, 100);
    assert.equal(upstream.temperature, 0.5);
    assert.equal(upstream.user, 'user-1');
    for (const field of ['input', 'instructions', 'metadata', 'store', 'max_output_tokens'])
      assert.equal(upstream[field], undefined, field);
  });

  test('an Anthropic model: translated both ways', async () => {
    const response = await client.responses.create({
      model: CLAUDE,
      input: [
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Hello there' }] },
      ],
      store: false,
    });
    assertMatchesSchema('Response', response);
    assert.equal(response.output_text, ANTHROPIC_REPLY);
    assert.equal((response as unknown as { store: boolean }).store, false);
    const upstream = lastBody(anthropic);
    assert.equal(upstream.model, 'claude-sonnet-4-5-20250929');
    assert.equal(upstream.system, 'Answer in English.');
    assert.deepEqual(upstream.messages, [{ role: 'user', content: 'Hello there' }]);
    assert.equal(typeof upstream.max_tokens, 'number');
    // store: false is not kept.
    await assert.rejects(client.responses.retrieve(response.id), (error: unknown) => {
      assert.ok(error instanceof Error && 'status' in error && error.status === 404);
      return true;
    });
  });

  test('reasoning.effort on Claude: extended thinking upstream, the thinking back as a reasoning item', async () => {
    const response = await client.responses.create({
      model: CLAUDE,
      input: 'Think first.',
      reasoning: { effort: 'low', summary: 'auto' },
    });
    assertMatchesSchema('Response', response);
    assert.deepEqual(lastBody(anthropic).thinking, { type: 'enabled', budget_tokens: 2048 });
    assert.deepEqual(
      response.output.map((item) => item.type),
      ['reasoning', 'message'],
    );
    const reasoning = response.output[0] as OpenAI.Responses.ResponseReasoningItem;
    assert.equal(reasoning.summary[0]?.text, FAKE_THINKING);
    assert.equal(response.output_text, ANTHROPIC_REPLY);

    const stream = await client.responses.create({
      model: CLAUDE,
      input: 'Think first.',
      reasoning: { effort: 'low' },
      stream: true,
    });
    const events = await collect(stream);
    const thought = events
      .filter((e) => e.type === 'response.reasoning_summary_text.delta')
      .map((e) => (e as { delta: string }).delta)
      .join('');
    assert.equal(thought, FAKE_THINKING);
  });

  test('hitting max_output_tokens: status incomplete with its reason', async () => {
    openai.options.reply = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const response = await client.responses.create({
      model: CHAT_MODEL,
      input: 'Go on.',
      max_output_tokens: 16,
    });
    assertMatchesSchema('Response', response);
    assert.equal(response.status, 'incomplete');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
  });

  test('text.format json_schema and reasoning.effort reach the chat request', async () => {
    await client.responses.create({
      model: CHAT_MODEL,
      input: 'A city, please.',
      text: {
        format: {
          type: 'json_schema',
          name: 'city',
          schema: { type: 'object', properties: { name: { type: 'string' } } },
          strict: true,
        },
      },
      reasoning: { effort: 'low' },
      prompt_cache_key: 'conversation-1',
    });
    const upstream = lastBody(openai);
    assert.deepEqual(upstream.response_format, {
      type: 'json_schema',
      json_schema: {
        name: 'city',
        schema: { type: 'object', properties: { name: { type: 'string' } } },
        strict: true,
      },
    });
    assert.equal(upstream.reasoning_effort, 'low');
    assert.equal(upstream.prompt_cache_key, 'conversation-1');
  });

  test('bad requests: 400 in OpenAI shape naming the field', async () => {
    const cases: Array<[unknown, string | null]> = [
      [{ model: CHAT_MODEL, input: 'x', temperature: 3 }, 'temperature'],
      [{ model: CHAT_MODEL }, 'input'],
      [
        { model: CHAT_MODEL, input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['vs'] }] },
        'tools[0].type',
      ],
      [
        { model: CHAT_MODEL, input: [{ type: 'computer_call_output', call_id: 'c', output: {} }] },
        'input[0].type',
      ],
      [{ model: CHAT_MODEL, input: 'x', background: true }, 'background'],
      [
        {
          model: CHAT_MODEL,
          input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }],
        },
        'input[0].content[0].file_data',
      ],
      [{ model: CHAT_MODEL, input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
      [{ model: CHAT_MODEL, input: 'x', tool_choice: { type: 'file_search' } }, 'tool_choice.type'],
    ];
    for (const [body, param] of cases) {
      const res = await gw.call('/v1/responses', { method: 'POST', key, json: body });
      assert.equal(res.status, 400, JSON.stringify(body));
      const error = await readJson(res);
      assertMatchesSchema('ErrorResponse', error);
      assert.equal(error.error.param, param, JSON.stringify(error));
    }
    assert.equal(openai.requests.length, 0);
  });
});

/** Every event of a stream, validated against the spec's ResponseStreamEvent, in order. */
async function collect(stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>) {
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const event of stream) {
    assertMatchesSchema('ResponseStreamEvent', event);
    events.push(event);
  }
  assert.deepEqual(
    events.map((e) => e.sequence_number),
    events.map((_, i) => i),
  );
  return events;
}

describe('POST /v1/responses, streamed', () => {
  test('text: the full event sequence, ending with response.completed and its usage', async () => {
    const stream = await client.responses.create({ model: CHAT_MODEL, input: 'Hi', stream: true });
    const events = await collect(stream);
    const types = events.map((e) => e.type);
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    assert.deepEqual(types, [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.ok(deltas > 1);
    const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
    assert.match(created.response.id, /^resp_/);
    assert.equal(created.response.model, CHAT_MODEL);
    assert.equal(typeof created.response.created_at, 'number');
    const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    assert.equal(done.response.id, created.response.id);
    assert.equal(done.response.output_text ?? done.response.output.length, 1);
    const usage = done.response.usage as OpenAI.Responses.ResponseUsage & { cost?: number };
    assert.ok(usage.output_tokens > 0);
    assert.equal(typeof usage.cost, 'number');
    assert.equal(
      (events.find((e) => e.type === 'response.output_text.done') as { text: string }).text,
      DEFAULT_REPLY,
    );
    assert.equal(lastBody(openai).stream, true);
  });

  test('responses.stream helper on an Anthropic model: the final response is whole', async () => {
    const runner = client.responses.stream({ model: CLAUDE, input: 'Hi' });
    const events = await collect(runner);
    const final = await runner.finalResponse();
    assertMatchesSchema('Response', final);
    const message = final.output[0] as OpenAI.Responses.ResponseOutputMessage;
    assert.equal(message.content.length, 1);
    assert.equal((message.content[0] as OpenAI.Responses.ResponseOutputText).text, ANTHROPIC_REPLY);
    assert.equal(events.at(-1)?.type, 'response.completed');
    assert.equal(lastBody(anthropic).stream, true);
  });

  test('reasoning and a tool call: summary events, then function_call_arguments events', async () => {
    openai.options.reasoning = 'Think about the weather first.';
    openai.options.toolCall = { arguments: '{"city":"Paris"}' };
    const stream = await client.responses.create({
      model: CHAT_MODEL,
      input: 'Weather in Paris?',
      tools: [weatherTool],
      stream: true,
    });
    const events = await collect(stream);
    const types = events.map((e) => e.type);
    for (const type of [
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
    ])
      assert.ok(types.includes(type as never), type);
    const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    assert.equal(done.type, 'response.completed');
    const [reasoning, call] = done.response.output;
    assert.equal(reasoning?.type, 'reasoning');
    assert.deepEqual((reasoning as OpenAI.Responses.ResponseReasoningItem).summary, [
      { type: 'summary_text', text: 'Think about the weather first.' },
    ]);
    assert.equal(call?.type, 'function_call');
    const fc = call as OpenAI.Responses.ResponseFunctionToolCall;
    assert.equal(fc.name, 'get_weather');
    assert.equal(fc.arguments, '{"city":"Paris"}');
    assert.match(fc.call_id, /^call_/);
  });

  test('a failure after the 200: an error event, then response.failed, and the stream ends', async () => {
    openai.faults.push({ kind: 'error-event', afterChunks: 2 });
    const res = await gw.call('/v1/responses', {
      method: 'POST',
      key,
      json: { model: CHAT_MODEL, input: 'Hi', stream: true },
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    const events = text
      .trim()
      .split('\n\n')
      .map((block) => {
        const [eventLine, dataLine] = block.split('\n');
        const data = JSON.parse(dataLine!.slice('data: '.length));
        assert.equal(eventLine, `event: ${data.type}`);
        assertMatchesSchema('ResponseStreamEvent', data);
        return data;
      });
    assert.deepEqual(
      events.slice(-2).map((e: { type: string }) => e.type),
      ['error', 'response.failed'],
    );
    const failed = events.at(-1).response;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'server_error');
    assert.ok(!events.some((e: { type: string }) => e.type === 'response.completed'));
  });
});

describe('tools', () => {
  for (const [label, model, fake] of [
    ['DeepSeek (chat format)', CHAT_MODEL, () => openai],
    ['Anthropic', CLAUDE, () => anthropic],
  ] as const) {
    test(`${label}: a function call, then its function_call_output as the follow-up`, async () => {
      if (fake() === openai) openai.options.toolCall = { arguments: '{"city":"Paris"}' };
      else anthropic.options.toolCall = { input: { city: 'Paris' } };
      const first = await client.responses.create({
        model,
        input: 'Weather in Paris?',
        tools: [weatherTool],
        tool_choice: 'auto',
      });
      assertMatchesSchema('Response', first);
      const call = first.output.find((item) => item.type === 'function_call');
      assert.ok(call && call.type === 'function_call');
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });

      fake().options = {};
      const second = await client.responses.create({
        model,
        tools: [weatherTool],
        input: [
          { role: 'user', content: 'Weather in Paris?' },
          call,
          { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21 C' },
        ],
      });
      assertMatchesSchema('Response', second);
      assert.equal(second.status, 'completed');
      const upstream = lastBody(fake());
      if (fake() === openai) {
        assert.deepEqual(upstream.tools, [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'The weather in a city',
              parameters: weatherTool.parameters,
              strict: false,
            },
          },
        ]);
        assert.deepEqual(upstream.messages.slice(1), [
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: call.call_id,
                type: 'function',
                function: { name: 'get_weather', arguments: call.arguments },
              },
            ],
          },
          { role: 'tool', tool_call_id: call.call_id, content: 'Sunny, 21 C' },
        ]);
      } else {
        assert.deepEqual(upstream.messages.slice(1), [
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: call.call_id, name: 'get_weather', input: { city: 'Paris' } }],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: call.call_id, content: 'Sunny, 21 C' }],
          },
        ]);
      }
    });
  }

  test("Codex's tools: namespace functions become <ns>__<name> and come back named; web_search is dropped with a warning", async () => {
    openai.options.toolCall = { name: 'crm__lookup', arguments: '{"id":7}' };
    const res = await gw.call('/v1/responses', {
      method: 'POST',
      key,
      json: {
        model: CHAT_MODEL,
        input: 'Find customer 7',
        tools: [
          {
            type: 'namespace',
            name: 'crm',
            description: 'The CRM',
            tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} } }],
          },
          { type: 'web_search', external_web_access: false },
        ],
      },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-tokgate-warnings') ?? '', /web_search/);
    const body = await readJson(res);
    assertMatchesSchema('Response', body);
    const call = body.output.find((item: { type: string }) => item.type === 'function_call');
    assert.equal(call.namespace, 'crm');
    assert.equal(call.name, 'lookup');
    const upstream = lastBody(openai);
    assert.deepEqual(
      upstream.tools.map((t: { function: { name: string } }) => t.function.name),
      ['crm__lookup'],
    );
    assert.equal(upstream.tools[0].function.description, 'The CRM');
  });
});

describe('through the pipeline', () => {
  test('metered and in the ledger like chat: the row has the tokens and the cost the client saw', async () => {
    const res = await gw.call('/v1/responses', {
      method: 'POST',
      key,
      json: { model: CHAT_MODEL, input: 'Hi' },
    });
    assert.equal(res.status, 200);
    const body = await readJson(res);
    await gw.gateway.ledger.flush();
    const requestId = res.headers.get('x-request-id')!;
    // One id per request: the response's is the request id's random part, as chat's chatcmpl- ids are.
    assert.equal(body.id, `resp_${requestId.slice('req_'.length)}`);
    const row = await gw.gateway.store.getRequest(requestId);
    assert.ok(row);
    assert.equal(row.model, CHAT_MODEL);
    assert.equal(row.prompt_tokens, body.usage.input_tokens);
    assert.equal(row.completion_tokens, body.usage.output_tokens);
    assert.equal(row.cost_micros! / 1e6, body.usage.cost);
    assert.equal(res.headers.get('x-tokgate-provider'), 'deepseek');
  });

  test("a key's model allowlist holds: 403 in OpenAI's shape, nothing upstream", async () => {
    const limited = gw.client((await gw.createKey({ models: ['anthropic/*'] })).key);
    await assert.rejects(limited.responses.create({ model: CHAT_MODEL, input: 'Hi' }), { status: 403 });
    assert.equal(openai.requests.length, 0);
  });

  test('an Anthropic tool call, streamed: function_call events from tool_use deltas', async () => {
    anthropic.options.toolCall = { input: { city: 'Paris' } };
    const stream = await client.responses.create({
      model: CLAUDE,
      input: 'Weather in Paris?',
      tools: [weatherTool],
      stream: true,
    });
    const events = await collect(stream);
    const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    assert.equal(done.type, 'response.completed');
    const call = done.response.output.find((item) => item.type === 'function_call');
    assert.ok(call && call.type === 'function_call');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
    const argsDone = events.find((e) => e.type === 'response.function_call_arguments.done');
    assert.equal((argsDone as { arguments: string }).arguments, call.arguments);
    assert.deepEqual(lastBody(anthropic).tools, [
      {
        name: 'get_weather',
        description: 'The weather in a city',
        input_schema: weatherTool.parameters,
      },
    ]);
  });
});

describe('stored responses', () => {
  test('previous_response_id continues a conversation on another model; retrieve, input_items, delete', async () => {
    const first = await client.responses.create({ model: CHAT_MODEL, input: 'My name is Ada.' });
    const second = await client.responses.create({
      model: CLAUDE,
      previous_response_id: first.id,
      input: 'What is my name?',
    });
    assertMatchesSchema('Response', second);
    assert.equal(second.previous_response_id, first.id);
    assert.deepEqual(lastBody(anthropic).messages, [
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: DEFAULT_REPLY },
      { role: 'user', content: 'What is my name?' },
    ]);

    const retrieved = await client.responses.retrieve(second.id);
    assertMatchesSchema('Response', retrieved);
    assert.equal(retrieved.id, second.id);
    assert.equal(retrieved.output_text, ANTHROPIC_REPLY);

    const items = await client.responses.inputItems.list(second.id, { order: 'asc' });
    assertMatchesSchema(
      'ResponseItemList',
      await readJson(await gw.call(`/v1/responses/${second.id}/input_items?order=asc`, { key })),
    );
    const listed = items.data.map((item) => (item.type === 'message' ? `${item.role}` : item.type));
    assert.deepEqual(listed, ['user', 'assistant', 'user']);

    // The spec gives the 200 no body; OpenAI answers this one, which the SDK hands through.
    const deleted: unknown = await client.responses.delete(second.id);
    assert.deepEqual(deleted, { id: second.id, object: 'response', deleted: true });
    await assert.rejects(client.responses.retrieve(second.id), { status: 404 });
    // The first response is still there to branch from.
    assert.equal((await client.responses.retrieve(first.id)).id, first.id);
  });

  test("one account can never read, continue or delete another account's response", async () => {
    const account = await readJson(
      await gw.call('/admin/accounts', { method: 'POST', key: ADMIN_KEY, json: { name: 'other' } }),
    );
    const other = gw.client((await gw.createKey({ account_id: account.id })).key);
    const mine = await client.responses.create({ model: CHAT_MODEL, input: 'secret' });
    await assert.rejects(other.responses.retrieve(mine.id), { status: 404 });
    await assert.rejects(other.responses.inputItems.list(mine.id), { status: 404 });
    await assert.rejects(other.responses.delete(mine.id), { status: 404 });
    const requests = openai.requests.length;
    await assert.rejects(
      other.responses.create({ model: CHAT_MODEL, previous_response_id: mine.id, input: 'and?' }),
      { status: 404 },
    );
    assert.equal(openai.requests.length, requests);
    // Still the owner's.
    assert.equal((await client.responses.retrieve(mine.id)).id, mine.id);
  });

  test('streamed responses are stored too, once written', async () => {
    const stream = await client.responses.create({ model: CHAT_MODEL, input: 'Hi', stream: true });
    const events = await collect(stream);
    const id = (events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const retrieved = await client.responses.retrieve(id);
    assert.equal(retrieved.status, 'completed');
    assert.equal(retrieved.output_text, DEFAULT_REPLY);
  });
});

describe('POST /v1/responses/compact', () => {
  test('the output text only, as text/plain', async () => {
    const res = await gw.call('/v1/responses/compact', {
      method: 'POST',
      key,
      json: { model: CLAUDE, input: 'Summarise.' },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await res.text(), ANTHROPIC_REPLY);
  });

  test('asking it to stream is a 400', async () => {
    const res = await gw.call('/v1/responses/compact', {
      method: 'POST',
      key,
      json: { model: CLAUDE, input: 'Summarise.', stream: true },
    });
    assert.equal(res.status, 400);
    assert.equal((await readJson(res)).error.param, 'stream');
  });
});
