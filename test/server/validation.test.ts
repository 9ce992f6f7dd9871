// Bad input gets OpenAI's error vocabulary, the right status and `param`, and never reaches the upstream.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

let fake: FakeOpenAI;
let gw: TestGateway;
let key: string;

before(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ OPENAI_API_KEY: 'sk-upstream', OPENAI_BASE_URL: fake.url });
  key = (await gw.createKey()).key;
});

after(async () => {
  await gw.close();
  await fake.close();
});

const user = [{ role: 'user', content: 'hi' }];
const base = { model: 'openai/gpt-4o', messages: user };

const cases: Array<[string, unknown, number, string | null, string | null]> = [
  ['missing model', { messages: user }, 400, 'model', 'missing_required_parameter'],
  ['model not a string', { ...base, model: 5 }, 400, 'model', 'invalid_type'],
  ['missing messages', { model: 'openai/gpt-4o' }, 400, 'messages', 'missing_required_parameter'],
  ['messages not an array', { ...base, messages: 'hi' }, 400, 'messages', 'invalid_type'],
  ['empty messages', { ...base, messages: [] }, 400, 'messages', 'empty_array'],
  [
    'unknown role',
    { ...base, messages: [{ role: 'robot', content: 'x' }] },
    400,
    'messages[0].role',
    'invalid_value',
  ],
  [
    'missing content',
    { ...base, messages: [{ role: 'user' }] },
    400,
    'messages[0].content',
    'missing_required_parameter',
  ],
  [
    'content of the wrong type',
    { ...base, messages: [{ role: 'user', content: 3 }] },
    400,
    'messages[0].content',
    'invalid_type',
  ],
  [
    'text part without text',
    { ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
    400,
    'messages[0].content[0].text',
    'missing_required_parameter',
  ],
  [
    'tool message without tool_call_id',
    { ...base, messages: [{ role: 'tool', content: 'x' }] },
    400,
    'messages[0].tool_call_id',
    'missing_required_parameter',
  ],
  ['temperature above 2', { ...base, temperature: 2.5 }, 400, 'temperature', 'decimal_above_max_value'],
  ['temperature below 0', { ...base, temperature: -0.1 }, 400, 'temperature', 'decimal_below_min_value'],
  ['temperature a string', { ...base, temperature: 'hot' }, 400, 'temperature', 'invalid_type'],
  ['top_p above 1', { ...base, top_p: 1.5 }, 400, 'top_p', 'decimal_above_max_value'],
  ['n of 0', { ...base, n: 0 }, 400, 'n', 'integer_below_min_value'],
  ['n above 128', { ...base, n: 129 }, 400, 'n', 'integer_above_max_value'],
  ['n not an integer', { ...base, n: 1.5 }, 400, 'n', 'invalid_type'],
  ['five stop strings', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, 400, 'stop', 'array_above_max_length'],
  ['stop of the wrong type', { ...base, stop: 5 }, 400, 'stop', 'invalid_type'],
  ['max_tokens of 0', { ...base, max_tokens: 0 }, 400, 'max_tokens', 'integer_below_min_value'],
  [
    'max_completion_tokens a decimal',
    { ...base, max_completion_tokens: 2.5 },
    400,
    'max_completion_tokens',
    'invalid_type',
  ],
  [
    'presence_penalty above 2',
    { ...base, presence_penalty: 3 },
    400,
    'presence_penalty',
    'decimal_above_max_value',
  ],
  [
    'frequency_penalty below -2',
    { ...base, frequency_penalty: -3 },
    400,
    'frequency_penalty',
    'decimal_below_min_value',
  ],
  [
    'stream_options without stream',
    { ...base, stream_options: { include_usage: true } },
    400,
    'stream_options',
    'invalid_value',
  ],
  ['stream not a boolean', { ...base, stream: 'yes' }, 400, 'stream', 'invalid_type'],
  ['a body that is not an object', [1, 2], 400, null, 'invalid_type'],
  ['an unknown provider', { ...base, model: 'nosuch/model' }, 404, 'model', 'model_not_found'],
  ['a model id without a provider', { ...base, model: 'gpt-4o' }, 404, 'model', 'model_not_found'],
];

for (const [name, body, status, param, code] of cases) {
  test(`${name} → ${status} ${code}`, async () => {
    const before = fake.requests.length;
    const res = await gw.call('/v1/chat/completions', { method: 'POST', key, json: body });
    assert.equal(res.status, status);
    assert.ok(res.headers.get('x-request-id'));
    const json = await readJson(res);
    assertMatchesSchema('ErrorResponse', json);
    assert.equal(json.error.param, param);
    assert.equal(json.error.code, code);
    assert.equal(typeof json.error.message, 'string');
    assert.equal(fake.requests.length, before, 'nothing reaches the upstream');
  });
}

test('malformed JSON is a 400 invalid_request_error', async () => {
  const res = await gw.call('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: '{"model": ',
  });
  assert.equal(res.status, 400);
  const json = await readJson(res);
  assert.equal(json.error.type, 'invalid_request_error');
  assert.match(json.error.message, /JSON/);
});

test('the openai client raises BadRequestError with the param', async () => {
  const client = gw.client(key);
  await assert.rejects(
    client.chat.completions.create({ model: 'openai/gpt-4o', messages: user as never, temperature: 5 }),
    (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.param, 'temperature');
      assert.equal(error.code, 'decimal_above_max_value');
      return true;
    },
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'nosuch/x', messages: user as never }),
    OpenAI.NotFoundError,
  );
});

test('authentication is checked before the body is read', async () => {
  const res = await gw.call('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{not json',
  });
  assert.equal(res.status, 401);
  const json = await readJson(res);
  assertMatchesSchema('ErrorResponse', json);
  assert.equal(json.error.type, 'authentication_error');
  assert.equal(json.error.code, 'invalid_api_key');
});
