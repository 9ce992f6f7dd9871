// The exact-match response cache: tenant-scoped keys, canonical bodies, LRU and TTL in memory, and the same
// behaviour over Redis (a unique key prefix per run), including a miss (not an error) when Redis is away.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { ledgerRow } from '../../src/accounting/ledger-record.js';
import type { ApiKey, Principal } from '../../src/auth/authenticator.js';
import {
  type CacheBackend,
  canonicalJson,
  hitMetered,
  hitResponse,
  MemoryCacheBackend,
  RedisCacheBackend,
  ResponseCache,
  SERVED_BY_CACHE,
  wantsCache,
} from '../../src/cache/response-cache.js';
import type { ChatRequest, ChatResponse } from '../../src/core/types.js';
import { RedisHub } from '../../src/store/redis.js';

const REDIS_URL = process.env.TOKGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

function principal(accountId: string, keyId = `key_${accountId}`): Principal {
  const key: ApiKey = {
    id: keyId,
    accountId,
    name: 'k',
    keyHash: '',
    models: null,
    budgetMicros: null,
    rpm: null,
    tpm: null,
    expiresAt: null,
    revokedAt: null,
    allows: null,
  };
  return { kind: 'key', key };
}

const request: ChatRequest = {
  model: 'openai/gpt-4o',
  messages: [{ role: 'user', content: 'what is 2+2?' }],
  temperature: 0,
};

const answer = (text: string): ChatResponse => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'openai/gpt-4o',
  choices: [
    { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: null },
  ],
});

test('canonical JSON sorts keys at every depth and drops undefined fields', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }),
    '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
  );
});

test('the cache is opt-in per request, and never for streams', () => {
  assert.equal(wantsCache({ 'x-tokgate-cache': 'true' }, request), true);
  assert.equal(wantsCache({ 'x-tokgate-cache': 'TRUE ' }, request), true);
  assert.equal(wantsCache({}, request), false);
  assert.equal(wantsCache({ 'x-tokgate-cache': 'false' }, request), false);
  assert.equal(wantsCache({ 'x-tokgate-cache': 'true' }, { ...request, stream: true }), false);
});

function behaviour(name: string, backend: () => CacheBackend) {
  describe(`response cache over ${name}`, () => {
    test('a stored answer comes back for the same account and the same request, in any key order', async () => {
      const cache = new ResponseCache(backend());
      const acme = principal(`acct_${randomBytes(4).toString('hex')}`);
      assert.equal(await cache.get(acme, request), undefined);
      await cache.put(acme, request, answer('4'));
      const reordered = { temperature: 0, messages: request.messages, model: request.model } as ChatRequest;
      assert.equal((await cache.get(acme, reordered))?.choices[0]?.message.content, '4');
      // Another key of the same account shares the account's entries.
      const sibling = principal(acme.kind === 'key' ? acme.key.accountId : '', 'key_other');
      assert.equal((await cache.get(sibling, request))?.choices[0]?.message.content, '4');
    });

    test('tenants never see each other’s answers, and any change to the request is a miss', async () => {
      const cache = new ResponseCache(backend());
      const a = principal(`acct_a${randomBytes(4).toString('hex')}`);
      const b = principal(`acct_b${randomBytes(4).toString('hex')}`);
      await cache.put(a, request, answer('for a'));
      assert.equal(await cache.get(b, request), undefined, 'another account misses');
      assert.notEqual(cache.key(a, request), cache.key(b, request));
      await cache.put(b, request, answer('for b'));
      assert.equal((await cache.get(a, request))?.choices[0]?.message.content, 'for a');
      assert.equal((await cache.get(b, request))?.choices[0]?.message.content, 'for b');
      assert.equal(await cache.get(a, { ...request, temperature: 0.5 }), undefined);
      assert.equal(
        await cache.get(a, { ...request, messages: [{ role: 'user', content: 'what is 2+3?' }] }),
        undefined,
      );
    });

    test('entries expire after the TTL', async () => {
      const cache = new ResponseCache(backend(), { ttlMs: 50 });
      const a = principal(`acct_${randomBytes(4).toString('hex')}`);
      await cache.put(a, request, answer('soon gone'));
      assert.ok(await cache.get(a, request));
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(await cache.get(a, request), undefined);
    });
  });
}

behaviour('memory', () => new MemoryCacheBackend());

describe('redis-backed', () => {
  let hub: RedisHub;
  before(async () => {
    hub = await RedisHub.connect(
      REDIS_URL,
      `tokgate:test:${randomBytes(6).toString('hex')}:`,
      pino({ level: 'silent' }),
    );
  });
  after(async () => {
    const keys = await hub.client.keys(`${hub.prefix}*`);
    if (keys.length > 0) await hub.client.del(...keys);
    await hub.close();
  });
  behaviour('redis', () => new RedisCacheBackend(hub));

  test('an unreachable Redis is a miss, not an error', async () => {
    const down = await RedisHub.connect(
      'redis://127.0.0.1:1',
      'tokgate:test:down:',
      pino({ level: 'silent' }),
    );
    try {
      const cache = new ResponseCache(new RedisCacheBackend(down));
      const a = principal('acct_x');
      await cache.put(a, request, answer('x'));
      assert.equal(await cache.get(a, request), undefined);
    } finally {
      await down.close();
    }
  });
});

test('the memory LRU evicts the least recently used entry first, by count and by bytes', async () => {
  const lru = new MemoryCacheBackend(2, 1000);
  await lru.set('a', '1', 60_000);
  await lru.set('b', '2', 60_000);
  assert.equal(await lru.get('a'), '1'); // a is now the most recent
  await lru.set('c', '3', 60_000);
  assert.equal(await lru.get('b'), undefined);
  assert.equal(await lru.get('a'), '1');
  assert.equal(await lru.get('c'), '3');
  const small = new MemoryCacheBackend(100, 10);
  await small.set('x', '12345', 60_000);
  await small.set('y', '123456', 60_000);
  assert.equal(await small.get('x'), undefined, 'evicted to stay within 10 bytes');
  assert.equal(await small.get('y'), '123456');
  await small.set('z', '12345678901', 60_000);
  assert.equal(await small.get('z'), undefined, 'an entry larger than the whole cache is not kept');
});

test('the memory LRU holds at most its bound, and an answer too large for it leaves the key’s entry be', async () => {
  const lru = new MemoryCacheBackend(3, 100);
  for (const key of ['a', 'b', 'c', 'd', 'e']) await lru.set(key, key, 60_000);
  assert.equal(lru.size, 3);
  assert.equal(await lru.get('b'), undefined);
  assert.equal(await lru.get('c'), 'c');
  await lru.set('c', 'x'.repeat(101), 60_000);
  assert.equal(await lru.get('c'), 'c');
});

test('memory entries expire when their TTL has passed, on the injected clock', async () => {
  let now = 1_000_000;
  const lru = new MemoryCacheBackend(10, 1000, () => now);
  await lru.set('a', '1', 60_000);
  await lru.set('short', '2', 1);
  now += 59_999;
  assert.equal(await lru.get('a'), '1', 'a read does not extend the TTL');
  assert.equal(await lru.get('short'), undefined);
  now += 1;
  assert.equal(await lru.get('a'), undefined);
  await lru.set('a', '3', 60_000);
  assert.equal(await lru.get('a'), '3', 'a new answer for the key starts a new TTL');
  await lru.set('b', '4', 120_000);
  now += 60_000;
  assert.equal(await lru.get('a'), undefined);
  assert.equal(lru.size, 1, 'an expired entry goes when read');
});

test('a hit is answered under its own id with its own price, and is a ledger row that says cache', () => {
  const stored = {
    ...answer('4'),
    usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5, cost: 0.000123 },
  };
  const sent = hitResponse(stored, 'chatcmpl-new', 0);
  assert.equal(sent.id, 'chatcmpl-new');
  assert.equal((sent.usage as { cost: number }).cost, 0);
  assert.equal(sent.choices[0]?.message.content, '4');
  const row = ledgerRow({
    id: 'req_new',
    createdAt: 1,
    principal: principal('acct_a'),
    model: 'openai/gpt-4o',
    servedBy: SERVED_BY_CACHE,
    door: 'chat completion',
    status: 'ok',
    httpStatus: 200,
    stream: false,
    metered: hitMetered(sent, 0),
    latencyMs: 0.4,
    ttftMs: null,
    errorCode: null,
    attempts: [],
  });
  assert.equal(row.usage_source, 'cache');
  assert.equal(row.provider, 'cache');
  assert.equal(row.cost_micros, 0);
  assert.equal(row.account_id, 'acct_a');
  assert.equal(row.prompt_tokens, 4);
});
