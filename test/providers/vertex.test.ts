// Google Vertex AI through the gateway: a service-account key → a JWT the fake token endpoint verifies with
// the key's public half → an access token, cached and shared; Gemini and Claude models on Vertex's
// publisher paths, in their own wire formats.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { type FakeVertex, startFakeVertex, testServiceAccount } from '../fakes/vertex.js';
import { readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

const REPLY = 'alpha beta gamma delta';

let fake: FakeVertex;
let gw: TestGateway;
let client: OpenAI;
let key: string;

before(async () => {
  fake = await startFakeVertex();
  fake.google.options.reply = REPLY;
  fake.anthropic.options.reply = REPLY;
  gw = await startTestGateway({
    GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify(fake.key),
    GOOGLE_VERTEX_LOCATION: 'europe-west4',
    VERTEX_BASE_URL: fake.url,
  });
  key = (await gw.createKey()).key;
  client = gw.client(key);
});

after(async () => {
  await gw.close();
  await fake.close();
});

const ask = (model: string) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });

async function streamText(model: string): Promise<{ text: string; finish: string | null | undefined }> {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Hi' }],
    stream: true,
  });
  let text = '';
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    assertMatchesSchema('CreateChatCompletionStreamResponse', chunk);
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}

describe('Vertex AI', () => {
  test('concurrent first requests share one token exchange; later ones use the cached token', async () => {
    fake.exchanges.length = 0;
    fake.calls.length = 0;
    const answers = await Promise.all(Array.from({ length: 5 }, () => ask('vertex/gemini-2.5-flash')));
    for (const answer of answers) assert.equal(answer.choices[0]?.message.content, REPLY);
    assert.equal(fake.exchanges.length, 1);
    const claims = fake.exchanges[0]!;
    assert.equal(claims.iss, fake.key.client_email);
    assert.equal(claims.kid, 'test-key-1');
    await ask('vertex/gemini-2.5-flash');
    assert.equal(fake.exchanges.length, 1, 'no exchange per request');
    const tokens = new Set(fake.calls.map((c) => c.authorization));
    assert.equal(tokens.size, 1);
    assert.match([...tokens][0]!, /^Bearer ya29\.fake-/);
  });

  test('Gemini: generateContent and streamGenerateContent?alt=sse under the project and location', async () => {
    fake.calls.length = 0;
    const answer = await ask('vertex/gemini-2.5-flash');
    assertMatchesSchema('CreateChatCompletionResponse', answer);
    assert.equal(answer.model, 'vertex/gemini-2.5-flash');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(await streamText('vertex/gemini-2.5-flash'), { text: REPLY, finish: 'stop' });
    const base = '/v1/projects/tokgate-test/locations/europe-west4/publishers/google/models/gemini-2.5-flash';
    assert.deepEqual(
      fake.calls.map((c) => c.path),
      [`${base}:generateContent`, `${base}:streamGenerateContent?alt=sse`],
    );
  });

  test('Claude: rawPredict and streamRawPredict, the body without model and with the Vertex version', async () => {
    fake.calls.length = 0;
    const model = 'vertex/claude-sonnet-4-5@20250929';
    const answer = await ask(model);
    assertMatchesSchema('CreateChatCompletionResponse', answer);
    assert.equal(answer.model, model);
    assert.equal(answer.choices[0]?.message.content, REPLY);
    assert.deepEqual(await streamText(model), { text: REPLY, finish: 'stop' });
    const base =
      '/v1/projects/tokgate-test/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4-5@20250929';
    assert.deepEqual(
      fake.calls.map((c) => c.path),
      [`${base}:rawPredict`, `${base}:streamRawPredict`],
    );
    for (const call of fake.calls) {
      const body = call.body as Record<string, unknown>;
      assert.equal(body.model, undefined);
      assert.equal(body.anthropic_version, 'vertex-2023-10-16');
    }
    assert.equal((fake.calls[1]?.body as { stream?: boolean } | undefined)?.stream, true);
  });
});

describe('Vertex AI through /v1/messages', () => {
  test('Claude takes the Messages body as sent (in Vertex shape); its events come back relayed', async () => {
    fake.calls.length = 0;
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
    const params = {
      model: 'vertex/claude-sonnet-4-5@20250929',
      max_tokens: 2000,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      system: [{ type: 'text' as const, text: 'Be brief.', cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: 'Hi' }],
    };
    const message = await anthropic.messages.stream(params).finalMessage();
    assert.equal(message.model, params.model);
    assert.equal(message.content[0]?.type, 'thinking', 'thinking passed through, and its block relayed');
    const last = message.content.at(-1);
    assert.equal(last?.type === 'text' && last.text, REPLY);
    const body = fake.calls.at(-1)?.body as Record<string, unknown>;
    const { model: _model, ...sent } = params;
    assert.deepEqual(body, { ...sent, stream: true, anthropic_version: 'vertex-2023-10-16' });
  });
});

describe('Vertex AI credentials refused', () => {
  test('a refused exchange is a 502 upstream_auth_failed; the next request exchanges again, as does a token near expiry', async () => {
    const other = await startFakeVertex();
    other.tokenLifetimeS = 300; // within the 5-minute refresh margin: due again at once
    const gateway = await startTestGateway({
      GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify(other.key),
      GOOGLE_VERTEX_PROJECT: 'tokgate-test',
      VERTEX_BASE_URL: other.url,
    });
    try {
      const { key: k } = await gateway.createKey();
      other.tokenFaults.push(400);
      const res = await gateway.call('/v1/chat/completions', {
        method: 'POST',
        key: k,
        json: { model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] },
      });
      assert.equal(res.status, 502);
      const body = await readJson(res);
      assert.equal(body.error.code, 'upstream_auth_failed');
      assert.match(body.error.message, /invalid_grant/);
      const ok = await gateway.call('/v1/chat/completions', {
        method: 'POST',
        key: k,
        json: { model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] },
      });
      assert.equal(ok.status, 200);
      assert.equal(other.exchanges.length, 1);
      other.tokenLifetimeS = 3600;
      for (let i = 0; i < 2; i++) {
        const again = await gateway.call('/v1/chat/completions', {
          method: 'POST',
          key: k,
          json: { model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] },
        });
        assert.equal(again.status, 200);
      }
      assert.equal(other.exchanges.length, 2, 'the short-lived token was replaced once, the next one kept');
    } finally {
      await gateway.close();
      await other.close();
    }
  });
});

describe('Vertex AI configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ TOKGATE_CONFIG: '', ...env });
  const { key: serviceKey } = testServiceAccount('https://oauth2.googleapis.com/token', 'my-project');

  test('regional and global endpoints; the project from the key unless GOOGLE_VERTEX_PROJECT says', () => {
    const inline = JSON.stringify(serviceKey);
    const regional = load({
      GOOGLE_APPLICATION_CREDENTIALS_JSON: inline,
      GOOGLE_VERTEX_LOCATION: 'us-east5',
    });
    const vertex = regional.providers.find((p) => p.id === 'vertex');
    assert.equal(vertex?.baseUrl, 'https://us-east5-aiplatform.googleapis.com');
    assert.equal(vertex?.options.project, 'my-project');
    const global = load({
      GOOGLE_APPLICATION_CREDENTIALS_JSON: inline,
      GOOGLE_VERTEX_LOCATION: 'global',
      GOOGLE_VERTEX_PROJECT: 'other',
    }).providers.find((p) => p.id === 'vertex');
    assert.equal(global?.baseUrl, 'https://aiplatform.googleapis.com');
    assert.equal(global?.options.project, 'other');
    assert.equal(
      load({ GOOGLE_APPLICATION_CREDENTIALS_JSON: inline }).providers.some((p) => p.id === 'vertex'),
      false,
      'credentials alone (used by other Google libraries) do not enable Vertex',
    );
  });

  test('a key that is not a service-account key stops the start with a clear error', () => {
    for (const bad of ['{not json', JSON.stringify({ type: 'authorized_user' })]) {
      assert.throws(
        () => load({ GOOGLE_APPLICATION_CREDENTIALS_JSON: bad, GOOGLE_VERTEX_PROJECT: 'p' }),
        (error: unknown) =>
          error instanceof ConfigError && /GOOGLE_APPLICATION_CREDENTIALS_JSON/.test(error.message),
      );
    }
    assert.throws(
      () =>
        load({
          GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify({ ...serviceKey, private_key: 'nope' }),
          GOOGLE_VERTEX_PROJECT: 'p',
        }),
      /not a PEM private key/,
    );
  });
});
