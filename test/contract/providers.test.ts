// One contract suite for every provider: the official openai client talks to the gateway,
// the gateway talks to each provider's fake upstream in that provider's real wire format. Same questions,
// same expected answers, whoever serves them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { startFakeAnthropic } from '../fakes/anthropic.js';
import { startFakeAzure } from '../fakes/azure.js';
import {
  startFakeBedrock,
  TEST_ACCESS_KEY_ID,
  TEST_REGION,
  TEST_SECRET_ACCESS_KEY,
} from '../fakes/bedrock.js';
import { startFakeCohere } from '../fakes/cohere.js';
import { startFakeGoogle } from '../fakes/google.js';
import type { VendorBehaviour } from '../fakes/openai.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import { VENDOR_CASES } from '../fakes/vendor-behaviours.js';
import { type FakeVertex, startVertexContractFake } from '../fakes/vertex.js';
import { readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

const vendorIds = new Set(VENDOR_CASES.map((v) => v.id));

/** What the suite needs of a fake upstream; every fake in test/fakes/ has this shape. */
interface Fake {
  url: string;
  requests: Array<{ path: string; body: unknown }>;
  faults: Array<{ kind: string; [field: string]: unknown }>;
  options: { reply?: string; chunkDelayMs?: number };
  aborted: number;
  close(): Promise<void>;
}

interface ProviderCase {
  name: string;
  model: string;
  start(): Promise<Fake>;
  env(url: string, fake: Fake): Record<string, string>;
  /** Make the fake answer with a call of this tool. */
  callTool(fake: Fake, name: string, args: Record<string, unknown>): void;
  /** The status the upstream uses for "overloaded". */
  overloadedStatus: number;
  /** The model has no price (a vendor without a per-token list price): answers carry no cost. */
  unpriced?: boolean;
  /** The upstream reports no usage for streams: the gateway counts it (its tokenizer, not the fake's). */
  countsStreamUsage?: boolean;
}

const cases: ProviderCase[] = [
  {
    name: 'openai',
    model: 'openai/gpt-4o',
    start: () => startFakeOpenAI() as Promise<Fake>,
    env: (url) => ({ OPENAI_API_KEY: 'up', OPENAI_BASE_URL: url }),
    callTool: () => undefined,
    overloadedStatus: 503,
  },
  {
    name: 'anthropic',
    model: 'anthropic/claude-sonnet-4-5',
    start: () => startFakeAnthropic() as Promise<Fake>,
    env: (url) => ({ ANTHROPIC_API_KEY: 'up', ANTHROPIC_BASE_URL: url }),
    callTool: (fake, name, input) => {
      (fake.options as { toolCall?: unknown }).toolCall = { name, input };
    },
    overloadedStatus: 529,
  },
  {
    name: 'google',
    model: 'google/gemini-2.0-flash',
    start: () => startFakeGoogle() as Promise<Fake>,
    env: (url) => ({ GEMINI_API_KEY: 'up', GEMINI_BASE_URL: url }),
    callTool: (fake, name, args) => {
      (fake.options as { functionCall?: unknown }).functionCall = { name, args };
    },
    overloadedStatus: 503,
  },
  {
    name: 'vertex (Gemini)',
    model: 'vertex/gemini-2.5-flash',
    start: () => startVertexContractFake('google') as Promise<Fake>,
    env: (url, fake) => vertexEnv(url, fake),
    callTool: (fake, name, args) => {
      (fake.options as { functionCall?: unknown }).functionCall = { name, args };
    },
    overloadedStatus: 503,
  },
  {
    name: 'vertex (Claude)',
    model: 'vertex/claude-sonnet-4-5@20250929',
    start: () => startVertexContractFake('anthropic') as Promise<Fake>,
    env: (url, fake) => vertexEnv(url, fake),
    callTool: (fake, name, input) => {
      (fake.options as { toolCall?: unknown }).toolCall = { name, input };
    },
    overloadedStatus: 529,
  },
  {
    name: 'bedrock',
    model: 'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0',
    start: () => startFakeBedrock() as Promise<Fake>,
    env: (url) => ({
      AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY,
      AWS_REGION: TEST_REGION,
      BEDROCK_BASE_URL: url,
    }),
    callTool: (fake, name, input) => {
      (fake.options as { toolCall?: unknown }).toolCall = { name, input };
    },
    overloadedStatus: 503,
  },
  {
    name: 'azure',
    model: 'azure/gpt-4o',
    start: () => startFakeAzure() as Promise<Fake>,
    env: (url) => ({ AZURE_OPENAI_API_KEY: 'up', AZURE_OPENAI_ENDPOINT: url }),
    callTool: () => undefined,
    overloadedStatus: 503,
  },
  {
    name: 'cohere',
    model: 'cohere/command-a-03-2025',
    start: () => startFakeCohere() as Promise<Fake>,
    env: (url) => ({ COHERE_API_KEY: 'up', COHERE_BASE_URL: url }),
    callTool: (fake, name, args) => {
      (fake.options as { toolCall?: unknown }).toolCall = { name, arguments: args };
    },
    overloadedStatus: 503,
  },
];

/** Vertex AI against a fake Vertex: its service-account key, and its URL as the endpoint. */
function vertexEnv(url: string, fake: Fake): Record<string, string> {
  const { vertex } = fake as unknown as { vertex: FakeVertex };
  return {
    GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify(vertex.key),
    GOOGLE_VERTEX_LOCATION: 'us-east5',
    VERTEX_BASE_URL: url,
  };
}

// Every OpenAI-compatible vendor of src/config/vendors.ts, against the OpenAI fake acting out that
// vendor's documented differences (test/fakes/vendor-behaviours.ts).
for (const vendor of VENDOR_CASES) {
  cases.push({
    name: vendor.id,
    model: vendor.model,
    start: () => startFakeOpenAI({ vendor: vendor.behaviour }) as Promise<Fake>,
    env: (url) => vendor.env(url),
    callTool: () => undefined,
    overloadedStatus: 503,
    unpriced: vendor.listed === false && !vendor.behaviour.keyless,
    countsStreamUsage:
      (vendor.behaviour.streamUsage ?? 'on-request') === 'on-request' &&
      vendor.behaviour.rejectsStreamOptions === true,
  });
}

const REPLY = 'alpha beta gamma delta epsilon zeta eta theta';

for (const pc of cases) {
  describe(`provider contract: ${pc.name}`, () => {
    let fake: Fake;
    let gw: TestGateway;
    let client: OpenAI;
    let key: string;

    before(async () => {
      fake = await pc.start();
      gw = await startTestGateway(pc.env(fake.url, fake));
      key = (await gw.createKey()).key;
      client = gw.client(key);
    });
    after(async () => {
      await gw.close();
      await fake.close();
    });
    const reset = (options: Fake['options'] = {}) => {
      fake.requests.length = 0;
      fake.faults.length = 0;
      // A vendor's documented behaviour is the fake's for the whole suite.
      const { vendor } = fake.options as { vendor?: VendorBehaviour };
      fake.options = { reply: REPLY, ...(vendor ? { vendor } : {}), ...options } as Fake['options'];
    };
    const sent = () => JSON.stringify(fake.requests.map((r) => r.body));

    test('text, with a system prompt and several turns', async () => {
      reset();
      const answer = await client.chat.completions.create({
        model: pc.model,
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'First answer' },
          { role: 'user', content: 'Second question' },
        ],
      });
      assertMatchesSchema('CreateChatCompletionResponse', answer);
      assert.equal(answer.model, pc.model);
      assert.equal(answer.choices[0]?.message.content, REPLY);
      assert.equal(answer.choices[0]?.finish_reason, 'stop');
      assert.equal(fake.requests.length, 1);
      for (const text of ['Be terse.', 'First question', 'First answer', 'Second question']) {
        assert.ok(sent().includes(text), `${text} reached the upstream`);
      }
      assert.ok(answer.usage && answer.usage.prompt_tokens > 0 && answer.usage.completion_tokens === 8);
      // Priced, or (a vendor with no per-token list price) recorded unpriced: never a silent $0.
      const cost = (answer.usage as unknown as { cost?: unknown }).cost;
      assert.equal(typeof cost, pc.unpriced ? 'undefined' : 'number');
    });

    test('stream: one id, the requested model, the text, a finish reason and usage', async () => {
      reset();
      const stream = await client.chat.completions.create({
        model: pc.model,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk);
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
      assert.ok(chunks.every((c) => c.model === pc.model));
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), REPLY);
      assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'stop');
      const last = chunks.at(-1)!;
      assert.deepEqual(last.choices, []);
      if (pc.countsStreamUsage)
        assert.ok((last.usage?.completion_tokens ?? 0) >= 8, 'counted by the gateway');
      else assert.equal(last.usage?.completion_tokens, 8);
    });

    test('stop, also across chunk boundaries, never emits the stop text', async () => {
      reset();
      const answer = await client.chat.completions.create({
        model: pc.model,
        messages: [{ role: 'user', content: 'Hi' }],
        stop: ['gamma delta'],
      });
      assert.equal(answer.choices[0]?.message.content, 'alpha beta ');
      assert.equal(answer.choices[0]?.finish_reason, 'stop');
      const stream = await client.chat.completions.create({
        model: pc.model,
        messages: [{ role: 'user', content: 'Hi' }],
        stop: 'gamma delta',
        stream: true,
      });
      let text = '';
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(text, 'alpha beta ');
      assert.equal(finish, 'stop');
    });

    test('max_tokens gives finish_reason length', async () => {
      reset();
      const answer = await client.chat.completions.create({
        model: pc.model,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 3,
      });
      assert.equal(answer.choices[0]?.finish_reason, 'length');
      assert.equal(answer.choices[0]?.message.content, 'alpha beta gamma ');
      assert.equal(answer.usage?.completion_tokens, 3);
      assert.ok(sent().includes('3'));
    });

    test('n=3 gives three choices, each billed', async () => {
      reset();
      const answer = await client.chat.completions.create({
        model: pc.model,
        messages: [{ role: 'user', content: 'Hi' }],
        n: 3,
      });
      assert.deepEqual(
        answer.choices.map((c) => [c.index, c.message.content]),
        [
          [0, REPLY],
          [1, REPLY],
          [2, REPLY],
        ],
      );
      assert.equal(answer.usage?.completion_tokens, 24);

      const stream = await client.chat.completions.create({
        model: pc.model,
        messages: [{ role: 'user', content: 'Hi' }],
        n: 3,
        stream: true,
        stream_options: { include_usage: true },
      });
      const texts = ['', '', ''];
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? '';
        usage = chunk.usage ?? usage;
      }
      assert.deepEqual(texts, [REPLY, REPLY, REPLY]);
      if (pc.countsStreamUsage) assert.ok((usage?.completion_tokens ?? 0) >= 24, 'counted by the gateway');
      else assert.equal(usage?.completion_tokens, 24);
    });

    test('tools: a call comes back as tool_calls, streamed arguments reassemble', async () => {
      // The OpenAI-format fakes pass tools through untouched (covered in chat.test.ts).
      if (pc.name === 'openai' || pc.name === 'azure' || vendorIds.has(pc.name)) return;
      reset();
      pc.callTool(fake, 'get_weather', { city: 'Paris', unit: 'c' });
      const tools: OpenAI.ChatCompletionTool[] = [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' }, unit: { type: 'string' } },
            },
          },
        },
      ];
      const answer = await client.chat.completions.create({
        model: pc.model,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools,
      });
      const call = answer.choices[0]?.message.tool_calls?.[0];
      assert.equal(answer.choices[0]?.finish_reason, 'tool_calls');
      assert.ok(call && call.type === 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris', unit: 'c' });
      assert.ok(sent().includes('Weather for a city'));

      const stream = await client.chat.completions.create({
        model: pc.model,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools,
        stream: true,
      });
      let args = '';
      let name = '';
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta.tool_calls?.[0];
        if (delta?.function?.name) name = delta.function.name;
        args += delta?.function?.arguments ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(name, 'get_weather');
      assert.deepEqual(JSON.parse(args), { city: 'Paris', unit: 'c' });
      assert.equal(finish, 'tool_calls');
    });

    test('images reach the upstream', async () => {
      reset();
      const png =
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
      const answer = await client.chat.completions.create({
        model: pc.model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            ],
          },
        ],
      });
      assert.equal(answer.choices[0]?.message.content, REPLY);
      assert.ok(sent().includes(png), 'the image bytes were sent');
    });

    const errorCases: Array<[string, () => Fake['faults'][number], number]> = [
      ['400', () => ({ kind: 'status', status: 400 }), 400],
      ['401 (bad upstream credentials)', () => ({ kind: 'status', status: 401 }), 502],
      ['429', () => ({ kind: 'status', status: 429 }), 429],
      ['500', () => ({ kind: 'status', status: 500 }), 502],
      ['overloaded', () => ({ kind: 'status', status: pc.overloadedStatus }), 503],
    ];
    for (const [label, fault, status] of errorCases) {
      test(`upstream ${label} → ${status} with an OpenAI error body, also before the first stream chunk`, async () => {
        reset();
        for (const stream of [false, true]) {
          fake.faults.push(fault());
          const res = await gw.call('/v1/chat/completions', {
            method: 'POST',
            key,
            json: { model: pc.model, messages: [{ role: 'user', content: 'Hi' }], stream },
          });
          assert.equal(res.status, status, `stream=${stream}`);
          const body = await readJson(res);
          assertMatchesSchema('ErrorResponse', body);
        }
      });
    }

    test('a connection dropped mid-stream ends with an in-band error, never [DONE]', async () => {
      reset();
      fake.faults.push({ kind: 'drop-mid-stream', afterChunks: 2 });
      const res = await gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: { model: pc.model, messages: [{ role: 'user', content: 'Hi' }], stream: true },
      });
      assert.equal(res.status, 200);
      const events = (await res.text()).split('\n\n').filter(Boolean);
      assert.notEqual(events.at(-1), 'data: [DONE]');
      const error = JSON.parse(events.at(-1)!.slice(6));
      assertMatchesSchema('ErrorResponse', error);
    });

    test('a client that goes away aborts the upstream call', async () => {
      reset({ chunkDelayMs: 100 });
      const before = fake.aborted;
      const controller = new AbortController();
      const res = await gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        signal: controller.signal,
        json: { model: pc.model, messages: [{ role: 'user', content: 'Hi' }], stream: true },
      });
      await res.body!.getReader().read();
      controller.abort();
      const deadline = Date.now() + 3000;
      while (fake.aborted === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(fake.aborted, before + 1);
    });
  });
}
