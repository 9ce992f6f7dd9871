// Strict edges: model ids that would climb out of an upstream's path or smuggle characters are refused at
// the door (also past a key's allow-list), deep JSON is refused, and errors from below the routes (bad
// URLs, malformed HTTP) come out in the API's own error shape.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeGoogle, startFakeGoogle } from '../fakes/google.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { rawBody, rawExchange } from '../support/raw-http.js';

let google: FakeGoogle;
let gw: TestGateway;

before(async () => {
  google = await startFakeGoogle();
  gw = await startTestGateway({ GEMINI_API_KEY: 'up', GEMINI_BASE_URL: google.url });
});
after(async () => {
  await gw.close();
  await google.close();
});

const chat = (model: unknown, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

const errorBodyOf = (response: string) => rawBody(response) as { error: Record<string, unknown> };

describe('model ids', () => {
  test('`..` in a Gemini model id is refused before any upstream call, also for a key limited to a glob', async () => {
    const { key } = await gw.createKey({ models: ['google/gemini-2.0-flash*'] });
    const before = google.requests.length;
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: chat('google/gemini-2.0-flash/../models/gemini-2.5-pro'),
    });
    assert.equal(res.status, 400);
    const body = await readJson(res);
    assert.equal(body.error.param, 'model');
    assert.equal(body.error.code, 'invalid_value');
    assert.equal(google.requests.length, before, 'nothing was sent upstream');
  });

  test('control characters, CR/LF and oversized ids are a 400 that does not quote the id', async () => {
    for (const model of ['google/gemini\u0000', 'google/gemini\r\nx: y', `google/${'g'.repeat(10_000)}`]) {
      const res = await gw.call('/v1/chat/completions', {
        method: 'POST',
        key: ADMIN_KEY,
        json: chat(model),
      });
      assert.equal(res.status, 400, JSON.stringify(model).slice(0, 40));
      const body = await readJson(res);
      assert.equal(body.error.param, 'model');
      assert.ok(body.error.message.length < 300);
    }
  });

  test('fallback ids obey the same grammar', async () => {
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key: ADMIN_KEY,
      json: chat('google/gemini-2.0-flash', { models: ['google/../x'] }),
    });
    assert.equal(res.status, 400);
    assert.equal((await readJson(res)).error.param, 'models');
  });
});

test('JSON nested deeper than 64 levels is a 400, not a 500', async () => {
  // Written as text: JSON.stringify itself cannot go this deep.
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const text = JSON.stringify(chat('google/gemini-2.0-flash', { metadata: { deep: 0 } })).replace(
    '"deep":0',
    `"deep":${deep}`,
  );
  const res = await gw.call('/v1/chat/completions', {
    method: 'POST',
    key: ADMIN_KEY,
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  assert.equal(res.status, 400);
  const refusal = (await readJson(res)).error;
  assert.equal(refusal.type, 'invalid_request_error');
  assert.match(refusal.message, /nested more than 64/);
  let fine: unknown = 'x';
  for (let i = 0; i < 20; i++) fine = { a: fine };
  const ok = await gw.call('/v1/chat/completions', {
    method: 'POST',
    key: ADMIN_KEY,
    json: chat('google/gemini-2.0-flash', { metadata: { fine } }),
  });
  assert.equal(ok.status, 200);
});

test('the Bearer scheme is case-insensitive', async () => {
  const { key } = await gw.createKey();
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `${scheme} ${key}` } });
    assert.equal(res.status, 200, scheme);
  }
});

describe('errors from below the routes are in the API’s error shape', () => {
  test('a URL with bad percent-encoding', async () => {
    const res = await fetch(`${gw.url}/v1/%zz`);
    assert.equal(res.status, 400);
    const body = await readJson(res);
    assert.equal(body.error.type, 'invalid_request_error');
    assert.ok('param' in body.error && 'code' in body.error);
  });

  test('malformed HTTP', async () => {
    const response = await rawExchange(gw.url, 'GARBAGE\r\n\r\n');
    assert.match(response, /^HTTP\/1.1 400 /);
    assert.equal(errorBodyOf(response).error.type, 'invalid_request_error');
  });

  test('headers too large', async () => {
    const response = await rawExchange(
      gw.url,
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.match(response, /^HTTP\/1.1 431 /);
    assert.equal(errorBodyOf(response).error.code, 'request_header_too_large');
  });
});
