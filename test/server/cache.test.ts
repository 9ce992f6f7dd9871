// The exact-match response cache through the gateway: opt-in per request, scoped to the account.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

let fake: FakeOpenAI;
let gw: TestGateway;

before(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ OPENAI_API_KEY: 'up', OPENAI_BASE_URL: fake.url });
});
after(async () => {
  await gw.close();
  await fake.close();
});

const body = { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'cache me' }] };
const cached = (key: string, json: unknown = body) =>
  gw.call('/v1/chat/completions', { method: 'POST', key, json, headers: { 'x-tokgate-cache': 'true' } });

test('a repeated request is answered from the cache, at no cost, with its own ledger row', async () => {
  const { key } = await gw.createKey();
  const first = await cached(key);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-tokgate-cache'), null);
  const firstBody = await readJson(first);
  const calls = fake.requests.length;

  const second = await cached(key);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-tokgate-cache'), 'hit');
  const secondBody = await readJson(second);
  assertMatchesSchema('CreateChatCompletionResponse', secondBody);
  assert.equal(fake.requests.length, calls, 'the upstream is not called again');
  assert.equal(secondBody.choices[0].message.content, firstBody.choices[0].message.content);
  assert.notEqual(secondBody.id, firstBody.id);
  assert.equal(secondBody.usage.cost, 0);

  const log = await readJson(await gw.call('/admin/requests?limit=1', { key: ADMIN_KEY }));
  assert.equal(log.data[0].id, second.headers.get('x-request-id'));
  assert.equal(log.data[0].provider, 'cache');
  assert.equal(log.data[0].cost_usd, 0);

  // Without the header, nothing is read from the cache.
  const plain = await gw.call('/v1/chat/completions', { method: 'POST', key, json: body });
  assert.equal(plain.headers.get('x-tokgate-cache'), null);
  assert.equal(fake.requests.length, calls + 1);
});

test('another account never reads this account’s answers', async () => {
  const { key: mine } = await gw.createKey();
  const account = await readJson(
    await gw.call('/admin/accounts', { method: 'POST', key: ADMIN_KEY, json: { name: 'other' } }),
  );
  const { key: theirs } = await gw.createKey({ account_id: account.id });
  const json = { ...body, messages: [{ role: 'user', content: 'tenant scoped' }] };
  await cached(mine, json);
  const calls = fake.requests.length;
  const other = await cached(theirs, json);
  assert.equal(other.headers.get('x-tokgate-cache'), null);
  assert.equal(fake.requests.length, calls + 1);
});

test('a hit goes through the pipeline like any answer: it counts against rpm, is logged and counted', async () => {
  const { key } = await gw.createKey({ rpm: 2 });
  const json = { ...body, messages: [{ role: 'user', content: 'rate limited hits' }] };
  assert.equal((await cached(key, json)).status, 200);
  const hit = await cached(key, json);
  assert.equal(hit.headers.get('x-tokgate-cache'), 'hit');
  const hitId = hit.headers.get('x-request-id')!;
  assert.ok(
    gw.logs.some((line) => line.includes(hitId) && line.includes('"servedBy":"cache"')),
    'the hit has its log line',
  );
  const refused = await cached(key, json);
  assert.equal(refused.status, 429, 'the third request in the minute is refused, hit or not');
  assert.equal((await readJson(refused)).error.code, 'rate_limit_exceeded');

  const metrics = await (await gw.call('/metrics')).text();
  assert.match(
    metrics,
    /tokgate_requests_total\{door="chat completion",provider="cache",model="openai\/gpt-4o",status="200",code="ok"\} [1-9]/,
  );
});
