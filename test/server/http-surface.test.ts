// The HTTP surface around the doors: CORS (off by default; TOKGATE_CORS_ORIGINS), GET /v1/models/{id} with
// the official openai client, GET / → /console, and /v1beta/models with Gemini's x-goog-api-key header.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

const APP = 'https://app.example.com';
let fake: FakeOpenAI;
let plain: TestGateway;
let withCors: TestGateway;
let anyOrigin: TestGateway;

before(async () => {
  fake = await startFakeOpenAI();
  const upstream = { OPENAI_API_KEY: 'sk-upstream', OPENAI_BASE_URL: fake.url };
  plain = await startTestGateway(upstream);
  withCors = await startTestGateway({
    ...upstream,
    TOKGATE_CORS_ORIGINS: `${APP}, http://localhost:5173`,
  });
  anyOrigin = await startTestGateway({ ...upstream, TOKGATE_CORS_ORIGINS: '*' });
});

after(async () => {
  await Promise.all([plain.close(), withCors.close(), anyOrigin.close()]);
  await fake.close();
});

const preflight = (gw: TestGateway, path: string, origin = APP) =>
  fetch(`${gw.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,x-stainless-os',
    },
  });

const PUBLIC_ROUTES = [
  '/v1/chat/completions',
  '/v1/messages',
  '/v1/messages/count_tokens',
  '/v1/responses',
  '/v1/responses/resp_1/input_items',
  '/v1/embeddings',
  '/v1/rerank',
  '/v1/models',
  '/v1/models/openai/gpt-4o',
  '/v1beta/models',
];

describe('CORS', () => {
  test('off by default: a preflight gets no CORS headers', async () => {
    const res = await preflight(plain, '/v1/chat/completions');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const chat = await plain.call('/v1/models', { key: ADMIN_KEY, headers: { origin: APP } });
    assert.equal(chat.status, 200);
    assert.equal(chat.headers.get('access-control-allow-origin'), null);
  });

  test('every public route answers a preflight from a listed origin, allowing what it asks for', async () => {
    for (const path of PUBLIC_ROUTES) {
      const res = await preflight(withCors, path);
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), APP, path);
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/, path);
      assert.equal(
        res.headers.get('access-control-allow-headers'),
        'authorization,content-type,x-stainless-os',
        path,
      );
      assert.equal(res.headers.get('access-control-max-age'), '600');
    }
    const second = await preflight(withCors, '/v1/chat/completions', 'http://localhost:5173');
    assert.equal(second.headers.get('access-control-allow-origin'), 'http://localhost:5173');
  });

  test('an origin not listed, and the admin API, get no CORS headers', async () => {
    const other = await preflight(withCors, '/v1/chat/completions', 'https://evil.example.com');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const admin = await preflight(withCors, '/admin/keys');
    assert.equal(admin.headers.get('access-control-allow-origin'), null);
    assert.equal(admin.status, 404);
    assert.equal((await readJson(admin)).error.type, 'invalid_request_error');
  });

  test("answers carry the origin and expose the gateway's headers, refusals included", async () => {
    const res = await withCors.call('/v1/chat/completions', {
      method: 'POST',
      key: ADMIN_KEY,
      headers: { origin: APP },
      json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    for (const name of ['x-request-id', 'x-tokgate-provider', 'x-ratelimit-remaining-requests'])
      assert.ok(exposed.includes(name), name);
    const refused = await withCors.call('/v1/models', { key: 'sk-tg-nope', headers: { origin: APP } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), APP, 'a browser can read the 401');
  });

  test('* allows any origin', async () => {
    const res = await preflight(anyOrigin, '/v1/embeddings', 'https://anywhere.example');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });
});

describe('GET /v1/models/{id}', () => {
  test('client.models.retrieve with a slash in the id: the Model object of the list', async () => {
    const client = plain.client(ADMIN_KEY);
    const model = await client.models.retrieve('openai/gpt-4o');
    assert.equal(model.id, 'openai/gpt-4o');
    assert.equal(model.object, 'model');
    const listed = (await client.models.list()).data.find((m) => m.id === 'openai/gpt-4o');
    assert.deepEqual(model, listed);
    const raw = await plain.call('/v1/models/openai/gpt-4o', { key: ADMIN_KEY });
    assert.equal(raw.status, 200);
    assertMatchesSchema('Model', await readJson(raw));
  });

  test("an unknown model, or one the key may not use, is a 404 in OpenAI's shape", async () => {
    const client = plain.client(ADMIN_KEY);
    await assert.rejects(client.models.retrieve('openai/no-such-model'), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, 'model_not_found');
      assert.equal(error.type, 'invalid_request_error');
      return true;
    });
    const { key } = await plain.createKey({ models: ['groq/*'] });
    await assert.rejects(plain.client(key).models.retrieve('openai/gpt-4o'), OpenAI.NotFoundError);
    await assert.rejects(
      plain.client('sk-tg-nope').models.retrieve('openai/gpt-4o'),
      OpenAI.AuthenticationError,
    );
  });
});

describe('GET / and /v1beta/models', () => {
  test('GET / redirects to the console', async () => {
    const res = await fetch(`${plain.url}/`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/console');
  });

  test("/v1beta/models: the OpenAI-shaped list, with Gemini's x-goog-api-key header too", async () => {
    const { key } = await plain.createKey({});
    const bearer = await readJson(await plain.call('/v1beta/models', { key }));
    const google = await fetch(`${plain.url}/v1beta/models`, { headers: { 'x-goog-api-key': key } });
    assert.equal(google.status, 200);
    const listed = await readJson(google);
    assert.equal(listed.object, 'list');
    assert.deepEqual(listed, bearer);
    assert.ok(listed.data.some((m: { id: string }) => m.id === 'openai/gpt-4o'));
    const wrong = await fetch(`${plain.url}/v1beta/models`, { headers: { 'x-goog-api-key': 'sk-tg-nope' } });
    assert.equal(wrong.status, 401);
    // Only Gemini's paths read Google's header.
    const elsewhere = await fetch(`${plain.url}/v1/models`, { headers: { 'x-goog-api-key': key } });
    assert.equal(elsewhere.status, 401);
  });
});
