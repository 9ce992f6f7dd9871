// Exact counts run in worker threads within a time budget; past it (or with the pool full) the caller's
// fallback stands, and admission's fallback (the byte bound) never holds less than the exact count.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TokenCounter, TokenPool } from '../../src/accounting/token-pool.js';
import {
  countPromptTokens,
  countTexts,
  promptTokenBound,
  warmTokenizers,
} from '../../src/accounting/tokenizer.js';
import type { ChatMessage } from '../../src/core/types.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, startTestGateway } from '../support/gateway.js';

/** A run of letters without spaces: no piece of it is in the vocabulary, so BPE works on all of it. */
function letterRun(length: number): string {
  const out: string[] = [];
  let seed = 7;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out.push(String.fromCharCode(97 + (seed % 26)));
  }
  return out.join('');
}

describe('token pool', () => {
  const pool = new TokenPool(1);
  before(async () => {
    await pool.warm();
    await warmTokenizers();
  });
  after(() => pool.close());

  test('counts in a worker what the tokenizer counts on this thread', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: `The quick brown fox ${'x'.repeat(3_000)} jumps.`, name: 'ann' },
    ];
    const before = pool.stats.counted;
    const counted = await new TokenCounter(pool, 10_000).count(messages, 'o200k_base', 'upper', 'Done.');
    assert.equal(pool.stats.counted, before + 1);
    assert.deepEqual(counted, {
      prompt: countPromptTokens(messages, 'o200k_base', 'upper'),
      generated: 2,
    });
  });

  test('the longest text the default budget sends is counted within the worker heap limit', async () => {
    // 50 ms × 64 K characters: the most a count with the default budget hands a worker; both encodings are
    // loaded (warm). A heap limit too small for this would kill the worker and the count would fall back.
    const text = 'The gateway forwards every request to a model and counts its tokens. '.repeat(46_000);
    assert.ok(text.length > 3_000_000 && text.length <= 50 * 64 * 1024);
    const expected = await countTexts('o200k_base', [text], 'estimate', Date.now() + 60_000);
    assert.ok(expected && expected[0]! > 500_000);
    assert.deepEqual(await pool.count('o200k_base', [text], 'estimate', 60_000), expected);
  });

  test('a text too long for the budget is not sent at all', async () => {
    const before = pool.stats.expired;
    assert.equal(await pool.count('cl100k_base', [letterRun(200_000)], 'upper', 1), undefined);
    assert.equal(pool.stats.expired, before + 1);
  });

  test('a count that outlasts its budget gives up, and the worker is free again', async () => {
    // 300 000 letters take BPE hundreds of ms; the budget is 5.
    const before = pool.stats.expired;
    assert.equal(await pool.count('cl100k_base', [letterRun(300_000)], 'upper', 5), undefined);
    assert.equal(pool.stats.expired, before + 1);
    assert.deepEqual(await pool.count('cl100k_base', ['hello world'], 'estimate', 10_000), [2]);
  });

  test('a full queue falls back at once', async () => {
    const small = new TokenPool(1);
    try {
      const counts = Array.from({ length: 40 }, () => small.count('cl100k_base', ['hi'], 'estimate', 10_000));
      // One job in the worker, 32 waiting; the rest are refused without waiting.
      assert.equal(small.stats.saturated, 7);
      const results = await Promise.all(counts);
      assert.equal(results.filter((r) => r === undefined).length, 7);
      assert.deepEqual(results[0], [1]);
    } finally {
      await small.close();
    }
  });
});

describe('admission under a tiny budget', () => {
  test('holds the byte bound, never less, and the hot path never touches the pool', async () => {
    const fake = await startFakeOpenAI();
    const gw = await startTestGateway({
      OPENAI_API_KEY: 'up',
      OPENAI_BASE_URL: fake.url,
      TOKGATE_TOKENIZER_BUDGET_MS: '1',
    });
    try {
      const { stats } = gw.gateway.tokens.pool;

      // Unmetered, and the fake reports usage: no count at all.
      const quiet = { ...stats };
      const plain = await gw.call('/v1/chat/completions', {
        key: ADMIN_KEY,
        method: 'POST',
        json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
      });
      assert.equal(plain.status, 200);
      assert.deepEqual({ ...stats }, quiet);

      // A tpm key whose limit fits the byte bound of a 1 MB run: the count gives up (budget 1 ms), the
      // bound is what tpm holds, and the request passes.
      const prompt = 'x'.repeat(1 << 20);
      const messages: ChatMessage[] = [{ role: 'user', content: prompt }];
      const bound = promptTokenBound(messages);
      const key = await gw.createKey({ tpm: bound + 1_000_000 });
      const expired = stats.expired;
      const res = await gw.call('/v1/chat/completions', {
        key: key.key,
        method: 'POST',
        json: { model: 'openai/gpt-4o', messages, max_tokens: 16 },
      });
      assert.equal(res.status, 200);
      assert.ok(stats.expired > expired, 'the exact count was given up');
      const metrics = await (await gw.call('/metrics')).text();
      assert.match(
        metrics,
        /tokgate_tokenizer_counts_total\{result="expired"\} [1-9]/,
        'and /metrics says so',
      );
      // What the fallback held is at least what the tokenizer counts.
      assert.ok(bound >= countPromptTokens(messages, 'o200k_base', 'upper'));
      // And the gateway's thread stayed free for others.
      assert.equal((await gw.call('/health')).status, 200);
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});
