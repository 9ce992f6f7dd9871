// OpenAI's x-ratelimit-* headers on the answers of a key with limits, read through the official openai
// client (`.withResponse()`), streams included, with the in-memory limiter and with the Redis one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { goDuration } from '../../src/limits/rate-limiter.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

/** Go's time.Duration text, as OpenAI sends it: `12ms`, `1s`, `59.5s`, `6m0s`. */
const DURATION = /^(\d+ms|\d+(\.\d+)?s|\d+m\d+(\.\d+)?s)$/;
/** The duration in ms, parsed back. */
function parseDuration(text: string): number {
  const match = /^(?:(\d+)m)?(?:([\d.]+)s)?(?:(\d+)ms)?$/.exec(text)!;
  return Number(match[1] ?? 0) * 60_000 + Number(match[2] ?? 0) * 1000 + Number(match[3] ?? 0);
}

test("reset durations are written in Go's format, as OpenAI's are", () => {
  assert.equal(goDuration(12), '12ms');
  assert.equal(goDuration(1000), '1s');
  assert.equal(goDuration(59_500), '59.5s');
  assert.equal(goDuration(360_000), '6m0s');
  assert.equal(goDuration(61_250), '1m1.25s');
  assert.equal(goDuration(-5), '0ms');
  assert.equal(goDuration(1005), '1.005s');
  assert.equal(goDuration(1050), '1.05s');
  assert.equal(goDuration(60_005), '1m0.005s');
  assert.equal(goDuration(59_999.6), '1m0s');
  // Every millisecond of the first two minutes as Go's own arithmetic writes it (seconds with up to three
  // decimals, trailing zeros dropped).
  const go = (ms: number) => {
    const minutes = Math.floor(ms / 60_000);
    const rest = `${Number(((ms - minutes * 60_000) / 1000).toFixed(3))}s`;
    return ms < 1000 ? `${ms}ms` : minutes > 0 ? `${minutes}m${rest}` : rest;
  };
  for (let ms = 0; ms < 120_000; ms++) assert.equal(goDuration(ms), go(ms));
});

const chat = {
  model: 'openai/gpt-4o',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_tokens: 50,
};

let fake: FakeOpenAI;
before(async () => {
  fake = await startFakeOpenAI();
});
after(() => fake.close());

for (const limiter of ['in-memory', 'redis'] as const) {
  describe(`x-ratelimit-* headers (${limiter} limiter)`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway({
        OPENAI_API_KEY: 'sk-upstream',
        OPENAI_BASE_URL: fake.url,
        ...(limiter === 'redis'
          ? {
              REDIS_URL: 'redis://127.0.0.1:6379',
              TOKGATE_REDIS_PREFIX: `tokgate-test-${randomBytes(4).toString('hex')}:`,
            }
          : {}),
      });
    });
    after(() => gw.close());

    test('a key with rpm and tpm: limit, remaining and reset of both, on JSON answers and streams', async () => {
      const { key } = await gw.createKey({ rpm: 10, tpm: 100_000 });
      const client = gw.client(key);

      const first = await client.chat.completions.create(chat).withResponse();
      const h1 = first.response.headers;
      assert.equal(h1.get('x-ratelimit-limit-requests'), '10');
      assert.equal(h1.get('x-ratelimit-remaining-requests'), '9');
      assert.equal(h1.get('x-ratelimit-limit-tokens'), '100000');
      const tokensLeft = Number(h1.get('x-ratelimit-remaining-tokens'));
      // Counted at admission: the prompt's bound plus max_tokens.
      assert.ok(tokensLeft < 100_000 - 50 && tokensLeft > 0, String(tokensLeft));
      for (const name of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
        const value = h1.get(name) ?? '';
        assert.match(value, DURATION, name);
        assert.ok(parseDuration(value) > 0 && parseDuration(value) <= 60_000, `${name}: ${value}`);
      }

      // A stream: the headers come with the response head, before the first event.
      const stream = await client.chat.completions.create({ ...chat, stream: true }).withResponse();
      assert.equal(stream.response.headers.get('x-ratelimit-remaining-requests'), '8');
      assert.equal(stream.response.headers.get('x-ratelimit-limit-tokens'), '100000');
      let text = '';
      for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
      assert.ok(text.length > 0);

      // Embeddings too: every door admits through the same limiter.
      const embedded = await client.embeddings
        .create({ model: 'openai/text-embedding-3-small', input: 'hello' })
        .withResponse();
      assert.equal(embedded.response.headers.get('x-ratelimit-remaining-requests'), '7');
    });

    test('a 429 from the key’s own limit carries them too, with Retry-After: rpm, then tpm', async () => {
      const { key } = await gw.createKey({ rpm: 1 });
      const client = gw.client(key).withOptions({ maxRetries: 0 });
      await client.chat.completions.create(chat);
      const refused = await gw.call('/v1/chat/completions', { method: 'POST', key, json: chat });
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '1');
      assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.match(refused.headers.get('x-ratelimit-reset-requests') ?? '', DURATION);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);

      const { key: tokenKey } = await gw.createKey({ tpm: 40 });
      const big = { ...chat, max_tokens: 1000 };
      const overTokens = await gw.call('/v1/chat/completions', { method: 'POST', key: tokenKey, json: big });
      assert.equal(overTokens.status, 200, 'one request may hold at most the whole window');
      const again = await gw.call('/v1/chat/completions', { method: 'POST', key: tokenKey, json: big });
      assert.equal(again.status, 429);
      assert.equal(again.headers.get('x-ratelimit-limit-tokens'), '40');
      assert.match(again.headers.get('x-ratelimit-reset-tokens') ?? '', DURATION);
    });

    test('a key with only rpm gets only the request headers; a key without limits, none', async () => {
      const { key } = await gw.createKey({ rpm: 5 });
      const limited = await gw.client(key).chat.completions.create(chat).withResponse();
      assert.equal(limited.response.headers.get('x-ratelimit-limit-requests'), '5');
      assert.equal(limited.response.headers.get('x-ratelimit-remaining-requests'), '4');
      assert.equal(limited.response.headers.get('x-ratelimit-limit-tokens'), null);

      const { key: free } = await gw.createKey({});
      const unlimited = await gw.client(free).chat.completions.create(chat).asResponse();
      assert.equal(unlimited.headers.get('x-ratelimit-limit-requests'), null);
      const admin = await gw.client(ADMIN_KEY).chat.completions.create(chat).asResponse();
      assert.equal(admin.headers.get('x-ratelimit-limit-requests'), null);
    });
  });
}
