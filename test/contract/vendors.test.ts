// Every OpenAI-compatible vendor in src/config/vendors.ts, each against a fake upstream that acts out what
// the vendor's API reference says it refuses and how it reports usage and errors
// (test/fakes/vendor-behaviours.ts). One gateway with all of them enabled at once: a chat request carrying
// the parameters vendors most often refuse, a stream, and an upstream error in the vendor's own shape.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { VENDOR_CASES } from '../fakes/vendor-behaviours.js';
import { readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

// Three words for the fake (its tokens) and many more for a BPE tokenizer, so usage that the vendor reported
// and usage the gateway counted cannot be mistaken for each other.
const REPLY = 'Supercalifragilisticexpialidocious antidisestablishmentarianism floccinaucinihilipilification';
const FAKE_TOKENS = 3;

const fakes = new Map<string, FakeOpenAI>();
let gw: TestGateway;
let client: OpenAI;
let key: string;

before(async () => {
  const env: Record<string, string> = {};
  for (const vendor of VENDOR_CASES) {
    const fake = await startFakeOpenAI({ reply: REPLY, vendor: vendor.behaviour });
    fakes.set(vendor.id, fake);
    Object.assign(env, vendor.env(fake.url));
  }
  gw = await startTestGateway(env);
  key = (await gw.createKey()).key;
  client = gw.client(key);
});

after(async () => {
  await gw.close();
  for (const fake of fakes.values()) await fake.close();
});

const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
  },
];

test('/v1/models lists each enabled vendor’s catalog models', async () => {
  const listed = (await client.models.list()).data.map((m) => m.id);
  for (const vendor of VENDOR_CASES) {
    if (vendor.listed === false) continue;
    assert.ok(listed.includes(vendor.model), `${vendor.model} is listed`);
  }
});

for (const vendor of VENDOR_CASES) {
  describe(`vendor ${vendor.id}`, () => {
    const fake = () => fakes.get(vendor.id)!;
    const rejected = vendor.behaviour.rejects ?? [];

    test('a chat request with parameters vendors refuse: two choices, nothing the vendor refuses sent', async () => {
      fake().requests.length = 0;
      const { data, response } = await client.chat.completions
        .create({
          model: vendor.model,
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hello there' },
          ],
          n: 2,
          max_tokens: 100,
          seed: 7,
          user: 'end-user-1',
          presence_penalty: 0.5,
          frequency_penalty: 0.5,
          logit_bias: { '50256': -100 },
          logprobs: true,
          tools,
          tool_choice: 'auto',
          parallel_tool_calls: true,
          service_tier: 'auto',
          stop: ['never-seen-1', 'never-seen-2'],
        })
        .withResponse();
      assertMatchesSchema('CreateChatCompletionResponse', data);
      assert.equal(data.model, vendor.model);
      assert.deepEqual(
        data.choices.map((c) => [c.index, c.message.content, c.finish_reason]),
        [
          [0, REPLY, 'stop'],
          [1, REPLY, 'stop'],
        ],
      );
      const bodies = fake().requests.map((r) => r.body as Record<string, unknown>);
      // A vendor refusing n > 1 gets one call per choice (others may get them too: fanning out is always right).
      if (vendor.behaviour.singleChoice) assert.equal(bodies.length, 2);
      for (const body of bodies) {
        assert.equal(body.model, vendor.model.slice(vendor.id.length + 1));
        assert.ok(JSON.stringify(body.messages).includes('Hello there'));
        for (const param of rejected) assert.equal(body[param], undefined, `${param} was not sent`);
      }
      const warnings = response.headers.get('x-tokgate-warnings') ?? '';
      for (const param of rejected.filter((p) => p !== 'user')) {
        assert.match(warnings, new RegExp(param), `a warning names ${param}`);
      }
      assert.equal(data.usage?.completion_tokens, 2 * FAKE_TOKENS, 'the vendor’s usage, summed over calls');
    });

    test('a stream: the text, a finish reason, and usage (the vendor’s own when it reports it)', async () => {
      fake().requests.length = 0;
      const stream = await client.chat.completions.create({
        model: vendor.model,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let finish: string | null | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        assertMatchesSchema('CreateChatCompletionStreamResponse', chunk);
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      assert.equal(text, REPLY);
      assert.equal(finish, 'stop');
      assert.ok(usage && usage.completion_tokens > 0);
      const mode = vendor.behaviour.streamUsage ?? 'on-request';
      const reports = mode !== 'on-request' || !vendor.behaviour.rejectsStreamOptions;
      if (reports) assert.equal(usage.completion_tokens, FAKE_TOKENS, 'the vendor’s own count');
      else assert.notEqual(usage.completion_tokens, FAKE_TOKENS, 'counted by the gateway');
      assert.equal(fake().requests.length, 1);
    });

    test('an upstream 429 in the vendor’s error shape → 429 with its message', async () => {
      fake().faults.push({ kind: 'status', status: 429 });
      const res = await gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: { model: vendor.model, messages: [{ role: 'user', content: 'Hi' }] },
      });
      assert.equal(res.status, 429);
      const body = await readJson(res);
      assertMatchesSchema('ErrorResponse', body);
      assert.match(body.error.message, /Rate limit reached/);
    });
  });
}
