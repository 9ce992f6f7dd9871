// Keys, models, limits, health and the things every response must carry.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

let fake: FakeOpenAI;
let gw: TestGateway;

before(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    OPENAI_API_KEY: 'sk-upstream',
    OPENAI_BASE_URL: fake.url,
    GROQ_API_KEY: 'gsk-upstream',
    GROQ_BASE_URL: fake.url,
  });
});

after(async () => {
  await gw.close();
  await fake.close();
});

const chat = { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

describe('API keys', () => {
  test('a created key works at once, is listed without its secret, and stops working when revoked', async () => {
    const created = await gw.createKey({ name: 'ci', models: ['openai/*'], rpm: 60, budget_usd: 5 });
    assert.match(created.key, /^sk-tg-[A-Za-z0-9]{12}-[A-Za-z0-9]{32}$/);
    assert.equal(created.name, 'ci');
    assert.deepEqual(created.models, ['openai/*']);
    assert.equal(created.budget_usd, 5);

    const ok = await gw.client(created.key).chat.completions.create(chat as never);
    assert.equal(ok.object, 'chat.completion');

    const list = await readJson(await gw.call('/admin/keys', { key: ADMIN_KEY }));
    const listed = list.data.find((k: { id: string }) => k.id === created.id);
    assert.ok(listed);
    assert.equal(listed.key, undefined);
    assert.ok(!JSON.stringify(list).includes(created.key), 'the secret is never listed');
    const stored = await gw.gateway.store.getKey(created.id);
    assert.ok(stored && !JSON.stringify(stored).includes(created.key.slice(-32)), 'only a hash is stored');

    const revoked = await gw.call(`/admin/keys/${created.id}`, { method: 'DELETE', key: ADMIN_KEY });
    assert.equal(revoked.status, 200);
    assert.ok((await readJson(revoked)).revoked_at);
    const refused = await gw.call('/v1/chat/completions', { method: 'POST', key: created.key, json: chat });
    assert.equal(refused.status, 401);
    assert.match((await readJson(refused)).error.message, /revoked/);
  });

  test('a key limited to some models is refused others with 403 and sees only its models', async () => {
    const { key } = await gw.createKey({ models: ['groq/*'] });
    const res = await gw.call('/v1/chat/completions', { method: 'POST', key, json: chat });
    assert.equal(res.status, 403);
    const json = await readJson(res);
    assert.equal(json.error.code, 'model_not_allowed');
    const models = await readJson(await gw.call('/v1/models', { key }));
    assert.ok(models.data.length > 0);
    assert.ok(models.data.every((m: { id: string }) => m.id.startsWith('groq/')));
  });

  test('an expired key is refused', async () => {
    const { key, id } = await gw.createKey({ expires_at: new Date(Date.now() + 60_000).toISOString() });
    assert.equal((await gw.call('/v1/models', { key })).status, 200);
    const patched = await gw.call(`/admin/keys/${id}`, {
      method: 'PATCH',
      key: ADMIN_KEY,
      json: { expires_at: new Date(Date.now() - 1000).toISOString(), name: 'renamed' },
    });
    assert.equal(patched.status, 200);
    assert.equal((await readJson(patched)).name, 'renamed');
    const res = await gw.call('/v1/models', { key });
    assert.equal(res.status, 401);
    assert.match((await readJson(res)).error.message, /expired/);
  });

  test('bad keys get 401, and admin routes need the admin key', async () => {
    for (const authorization of [
      undefined,
      'Bearer nope',
      'Basic abc',
      `Bearer sk-tg-AAAAAAAAAAAA-${'B'.repeat(32)}`,
    ]) {
      const res = await gw.call('/v1/models', authorization ? { headers: { authorization } } : {});
      assert.equal(res.status, 401, String(authorization));
      assertMatchesSchema('ErrorResponse', await readJson(res));
    }
    const { key } = await gw.createKey();
    assert.equal((await gw.call('/admin/keys', { key })).status, 403);
    assert.equal((await gw.call('/admin/keys')).status, 401);
    const bad = await gw.call('/admin/keys', { method: 'POST', key: ADMIN_KEY, json: { name: '', rpm: -1 } });
    assert.equal(bad.status, 400);
    assert.equal((await readJson(bad)).error.type, 'invalid_request_error');
    assert.equal((await gw.call('/admin/keys/nosuch', { key: ADMIN_KEY })).status, 404);
  });

  test('the admin key also works on the public API', async () => {
    const res = await gw.call('/v1/chat/completions', { method: 'POST', key: ADMIN_KEY, json: chat });
    assert.equal(res.status, 200);
  });
});

describe('models', () => {
  test('/v1/models and /v1beta/models list the enabled providers’ models in OpenAI shape', async () => {
    const { key } = await gw.createKey();
    const client = gw.client(key);
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    assert.ok(ids.includes('openai/gpt-4o'));
    assert.ok(ids.some((id) => id.startsWith('groq/')));
    assert.ok(
      !ids.some((id) => id.startsWith('anthropic/')),
      'providers that are not enabled are not listed',
    );
    for (const res of [await gw.call('/v1/models', { key }), await gw.call('/v1beta/models', { key })]) {
      const json = await readJson(res);
      assertMatchesSchema('ListModelsResponse', json);
      const entry = json.data.find((m: { id: string }) => m.id === 'openai/gpt-4o');
      // OpenAI's fields, and what the key pays in OpenRouter's `pricing` shape (test/server/price-plans.test.ts).
      assert.deepEqual(Object.keys(entry).sort(), ['created', 'id', 'object', 'owned_by', 'pricing']);
      assert.equal(entry.owned_by, 'openai');
    }
  });

  test('?kind= narrows the list to one kind of model (the catalog’s); an unknown kind is a 400', async () => {
    const { key } = await gw.createKey();
    const idsOf = async (kind: string) =>
      ((await readJson(await gw.call(`/v1/models?kind=${kind}`, { key }))).data as { id: string }[]).map(
        (m) => m.id,
      );
    const images = await idsOf('image');
    assert.ok(images.includes('openai/gpt-image-1'));
    assert.ok(
      images.every((id) => /image|dall-e/.test(id)),
      images.join(),
    );
    const speech = await idsOf('speech');
    assert.ok(speech.includes('openai/tts-1'));
    assert.ok(!speech.includes('openai/gpt-4o'));
    const chat = await idsOf('chat');
    assert.ok(chat.includes('openai/gpt-4o'));
    assert.ok(!chat.includes('openai/gpt-image-1') && !chat.includes('openai/tts-1'));
    const all = (await readJson(await gw.call('/v1/models', { key }))).data.length;
    assert.ok(chat.length + images.length + speech.length < all, 'each kind is a part of the list');
    const bad = await gw.call('/v1/models?kind=video', { key });
    assert.equal(bad.status, 400);
    assert.equal((await readJson(bad)).error.param, 'kind');
  });
});

describe('the HTTP surface', () => {
  test('every response carries its own x-request-id, and echoes a client id beside it', async () => {
    for (const path of ['/health', '/nope', '/v1/models']) {
      const res = await gw.call(path);
      assert.ok(res.headers.get('x-request-id'), path);
    }
    const res = await gw.call('/health', {
      headers: { 'x-request-id': 'trace-123', 'x-client-request-id': 'trace-123' },
    });
    assert.match(
      res.headers.get('x-request-id') ?? '',
      /^req_[0-9a-f]{32}$/,
      'a client cannot choose the ledger id',
    );
    assert.equal(res.headers.get('x-client-request-id'), 'trace-123');
    // Ids grow with time (they key the ledger's index) and are never repeated.
    const ids = await Promise.all(
      Array.from({ length: 50 }, async () => (await gw.call('/health')).headers.get('x-request-id')!),
    );
    assert.equal(new Set(ids).size, 50);
    const before = Date.now();
    const later = (await gw.call('/health')).headers.get('x-request-id')!;
    assert.ok(Number.parseInt(later.slice(4, 16), 16) >= before, 'the first 12 digits are the time in ms');
    assert.ok(ids.every((id) => id.slice(4, 16) <= later.slice(4, 16)));
    const notFound = await gw.call('/v1/nope', { method: 'POST' });
    assert.equal(notFound.status, 404);
    assertMatchesSchema('ErrorResponse', await readJson(notFound));
  });

  test('health, readiness and metrics', async () => {
    assert.deepEqual(await readJson(await gw.call('/health')), { status: 'ok' });
    const ready = await gw.call('/ready');
    assert.equal(ready.status, 200);
    const metrics = await (await gw.call('/metrics')).text();
    assert.match(metrics, /tokgate_requests_total/);
    assert.match(metrics, /tokgate_gateway_overhead_seconds_bucket/);
  });

  test('logs never contain a key or an Authorization header', async () => {
    const { key } = await gw.createKey();
    await gw.call('/v1/chat/completions', { method: 'POST', key, json: chat });
    await gw.call('/v1/chat/completions', { method: 'POST', key, json: { ...chat, model: 'x/y' } });
    const logs = gw.logs.join('');
    assert.ok(logs.includes('chat completion'), 'requests are logged');
    assert.ok(!logs.includes(key), 'the key is not logged');
    assert.ok(!logs.includes(ADMIN_KEY));
    assert.ok(!/bearer/i.test(logs));
    assert.ok(!logs.includes('sk-upstream'));
  });
});

describe('limits and configuration', () => {
  test('a body over the limit is a 413 with an error body, and the gateway keeps serving', async () => {
    const small = await startTestGateway({
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      TOKGATE_BODY_LIMIT_MB: '0.01',
    });
    try {
      const { key } = await small.createKey();
      const big = { ...chat, messages: [{ role: 'user', content: 'x'.repeat(20_000) }] };
      const res = await small.call('/v1/chat/completions', { method: 'POST', key, json: big });
      assert.equal(res.status, 413);
      const json = await readJson(res);
      assertMatchesSchema('ErrorResponse', json);
      assert.equal(json.error.code, 'request_too_large');
      assert.ok(res.headers.get('x-request-id'));
      const ok = await small.call('/v1/chat/completions', { method: 'POST', key, json: chat });
      assert.equal(ok.status, 200);
    } finally {
      await small.close();
    }
  });

  test('a custom OpenAI-compatible provider from YAML, with its quirks applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokgate-config-'));
    const path = join(dir, 'tokgate.yaml');
    writeFileSync(
      path,
      [
        'providers:',
        '  my-vllm:',
        `    base_url: ${fake.url}`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the YAML's own ${VAR} interpolation
        '    api_key: ${VLLM_KEY}',
        '    models: [meta-llama/Llama-3.1-8B-Instruct]',
        '    drop: [logit_bias]',
        '    rename: { seed: random_seed }',
        'models:',
        '  my-vllm/meta-llama/Llama-3.1-8B-Instruct:',
        '    context_window: 8192',
        '    price: { input: 0.1, output: 0.2 }',
      ].join('\n'),
    );
    const custom = await startTestGateway({ TOKGATE_CONFIG: path, VLLM_KEY: 'vllm-secret' });
    try {
      const { key } = await custom.createKey();
      const client = custom.client(key);
      const models = await client.models.list();
      assert.deepEqual(
        models.data.map((m) => m.id),
        ['my-vllm/meta-llama/Llama-3.1-8B-Instruct'],
      );
      const { data, response } = await client.chat.completions
        .create({
          model: 'my-vllm/meta-llama/Llama-3.1-8B-Instruct',
          messages: [{ role: 'user', content: 'hi' }],
          logit_bias: { '1': 1 },
          seed: 7,
        })
        .withResponse();
      assert.equal(data.model, 'my-vllm/meta-llama/Llama-3.1-8B-Instruct');
      const upstream = fake.requests.at(-1)!;
      assert.equal(upstream.headers.authorization, 'Bearer vllm-secret');
      assert.deepEqual(upstream.body, {
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        messages: [{ role: 'user', content: 'hi' }],
        random_seed: 7,
      });
      assert.match(response.headers.get('x-tokgate-warnings') ?? '', /logit_bias/);
      // 5 prompt tokens × $0.1 + 11 completion tokens × $0.2 per million = 2.7 µ$ → 3 µ$.
      assert.equal((data.usage as unknown as { cost: number }).cost, 0.000003);
    } finally {
      await custom.close();
    }
  });

  test('the openai client sees a 401 as AuthenticationError', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(client.models.list(), OpenAI.AuthenticationError);
  });
});
