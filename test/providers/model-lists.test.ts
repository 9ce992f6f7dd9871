// Opt-in live model lists: read in the background from an OpenAI-compatible provider's GET /models, added to
// /v1/models (unpriced unless priced), never read on a request's path, and a failing list changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

let fake: FakeOpenAI;
let gw: TestGateway;
let key: string;

before(async () => {
  fake = await startFakeOpenAI({ models: ['live-model-a', 'llama-3.3-70b-versatile', 'bad id with spaces'] });
  gw = await startTestGateway({
    GROQ_API_KEY: 'gsk-upstream',
    GROQ_BASE_URL: fake.url,
    MISTRAL_API_KEY: 'mistral-upstream',
    MISTRAL_BASE_URL: fake.url,
    TOKGATE_LIST_MODELS: 'groq',
  });
  key = (await gw.createKey()).key;
});

after(async () => {
  await gw.close();
  await fake.close();
});

const listed = async () =>
  (await readJson(await gw.call('/v1/models', { key }))).data.map((m: { id: string }) => m.id) as string[];
const listCalls = () => fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models');

describe('live model lists', () => {
  test('an opted-in provider’s list joins /v1/models once, unpriced; others are not asked', async () => {
    await gw.gateway.modelLists.refresh();
    const ids = await listed();
    assert.ok(ids.includes('groq/live-model-a'));
    assert.equal(ids.filter((id) => id === 'groq/llama-3.3-70b-versatile').length, 1, 'listed once');
    assert.ok(!ids.some((id) => id.includes('bad id')), 'ids that are not model ids are skipped');
    assert.ok(!ids.includes('mistral/live-model-a'), 'mistral did not opt in');
    assert.equal(gw.gateway.router.catalog.get('groq/live-model-a')?.price, undefined);
    assert.ok(gw.gateway.router.catalog.get('groq/llama-3.3-70b-versatile')?.price, 'a known price is kept');
    for (const call of listCalls()) assert.equal(call.headers.authorization, 'Bearer gsk-upstream');
  });

  test('requests never read the list', async () => {
    const before = listCalls().length;
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: { model: 'groq/live-model-a', messages: [{ role: 'user', content: 'Hi' }] },
    });
    assert.equal(res.status, 200);
    await gw.call('/v1/models', { key });
    assert.equal(listCalls().length, before);
  });

  test('a failing list is logged and changes nothing; the next round reads it again', async () => {
    const count = (await listed()).length;
    fake.faults.push({ kind: 'status', status: 500 });
    await gw.gateway.modelLists.refresh();
    assert.equal((await listed()).length, count);
    assert.ok(gw.logs.some((line) => line.includes('model list') && line.includes('"provider":"groq"')));
    assert.ok(!gw.logs.some((line) => line.includes('gsk-upstream')), 'the key is never logged');
    fake.options.models = ['live-model-b'];
    await gw.gateway.modelLists.refresh();
    assert.ok((await listed()).includes('groq/live-model-b'));
  });
});

describe('live model list configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ TOKGATE_CONFIG: '', ...env });
  test('names enabled OpenAI-format providers only; the interval is in minutes', () => {
    const config = load({
      GROQ_API_KEY: 'k',
      TOKGATE_LIST_MODELS: 'groq',
      TOKGATE_LIST_MODELS_INTERVAL_MINUTES: '5',
    });
    assert.equal(config.providers.find((p) => p.id === 'groq')?.listModels, true);
    assert.equal(config.listModelsIntervalMs, 300_000);
    assert.equal(load({}).listModelsIntervalMs, 3_600_000);
    assert.throws(() => load({ TOKGATE_LIST_MODELS: 'groq' }), ConfigError);
    assert.throws(
      () => load({ ANTHROPIC_API_KEY: 'k', TOKGATE_LIST_MODELS: 'anthropic' }),
      /no OpenAI-compatible/,
    );
  });
});
