// Cost in integer micro-dollars: prices are micro-USD per million tokens; cache reads and cache writes are
// priced on their own; one rounding, half up, per answer; no price is undefined, never $0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costMicros, microsToUsd, usdToMicros } from '../../src/accounting/pricing.js';
import type { Price } from '../../src/catalog/catalog.js';
import type { Usage } from '../../src/core/types.js';
import { toUsage } from '../../src/providers/bedrock/bedrock-provider.js';

// $2.50 in, $1.25 cached in, $3.125 cache write, $10 out per million tokens.
const price: Price = {
  input: 2_500_000,
  cachedInput: 1_250_000,
  cacheWrite: 3_125_000,
  cacheWrite1h: 5_000_000,
  output: 10_000_000,
};

const usage = (prompt: number, completion: number, details?: Usage['prompt_tokens_details']): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  ...(details ? { prompt_tokens_details: details } : {}),
});

test('input and output tokens at their prices', () => {
  assert.equal(costMicros(price, usage(1_000, 500)), 2_500 + 5_000);
  assert.equal(costMicros(price, usage(0, 0)), 0);
  assert.equal(costMicros(price, usage(1_000_000, 0)), 2_500_000);
});

test('cached and cache-write tokens are part of prompt_tokens and priced on their own', () => {
  // 1000 prompt tokens: 600 read from the cache, 300 written to it, 100 plain.
  // 100 × 2.5 + 600 × 1.25 + 300 × 3.125 + 100 × 10 = 2937.5 µ$, rounded half up.
  assert.equal(costMicros(price, usage(1_000, 100, { cached_tokens: 600, cache_write_tokens: 300 })), 2_938);
  assert.equal(costMicros(price, usage(1_000, 0, { cached_tokens: 1_000 })), 1_250);
});

test("writes to Anthropic's 1-hour cache have their own price; without one, the 5-minute price", () => {
  // 1000 prompt tokens: 300 written, 200 of them to the 1-hour cache; 700 plain.
  // 700 × 2.5 + 100 × 3.125 + 200 × 5 = 3062.5 µ$, rounded half up.
  const details = { cache_write_tokens: 300, cache_write_1h_tokens: 200 };
  assert.equal(costMicros(price, usage(1_000, 0, details)), 3_063);
  assert.equal(costMicros({ ...price, cacheWrite1h: undefined }, usage(1_000, 0, details)), 2_688);
  // More 1-hour writes than writes: clamped to the writes.
  assert.equal(
    costMicros(price, usage(1_000, 0, { cache_write_tokens: 100, cache_write_1h_tokens: 900 })),
    2_750,
  );
});

test('a cache write without a price of its own is priced as input', () => {
  const noWritePrice: Price = { ...price, cacheWrite: undefined, cacheWrite1h: undefined };
  assert.equal(costMicros(noWritePrice, usage(1_000, 0, { cache_write_tokens: 400 })), 2_500);
});

test('cache counts larger than the prompt are clamped to it, never priced twice or negative', () => {
  assert.equal(costMicros(price, usage(100, 0, { cached_tokens: 500 })), 125, 'all 100 cached');
  assert.equal(
    costMicros(price, usage(100, 0, { cached_tokens: 60, cache_write_tokens: 500 })),
    (60 * 1_250_000 + 40 * 3_125_000) / 1e6,
  );
  assert.equal(costMicros(price, usage(100, 0, { cache_write_tokens: 'many' })), 250, 'not a number: 0');
});

test('rounded once per answer, half up, to whole micro-dollars', () => {
  const perToken: Price = {
    input: 1_500_000,
    cachedInput: 1_500_000,
    cacheWrite: undefined,
    cacheWrite1h: undefined,
    output: 400_000,
  };
  assert.equal(costMicros(perToken, usage(1, 0)), 2, '1.5 µ$ rounds up');
  assert.equal(costMicros(perToken, usage(1, 1)), 2, '1.9 µ$');
  assert.equal(costMicros(perToken, usage(0, 1)), 0, '0.4 µ$');
  assert.equal(costMicros(perToken, usage(0, 3)), 1, '1.2 µ$: the sum is rounded, not each part');
  const cheap: Price = {
    input: 100_000,
    cachedInput: 100_000,
    cacheWrite: undefined,
    cacheWrite1h: undefined,
    output: 100_000,
  };
  assert.equal(costMicros(cheap, usage(3, 2)), 1, '5 × 0.1 µ$ = 0.5 µ$ rounds up');
});

test('a model without a price has an undefined cost, not $0', () => {
  assert.equal(costMicros(undefined, usage(1_000, 1_000)), undefined);
});

test('micro-dollars to USD and back', () => {
  assert.equal(microsToUsd(26), 0.000026);
  assert.equal(usdToMicros(0.000026), 26);
  assert.equal(usdToMicros(12.3456785), 12_345_679);
  assert.equal(usdToMicros(microsToUsd(987_654_321)), 987_654_321);
});

test("Bedrock Converse's usage (cache reads and writes apart from inputTokens): each priced at its own price", () => {
  // Converse's TokenUsage as Bedrock sends it for a prompt-cached Claude call.
  const converse = {
    inputTokens: 100,
    outputTokens: 20,
    totalTokens: 1_620,
    cacheReadInputTokens: 1_000,
    cacheWriteInputTokens: 500,
  };
  const seen = toUsage(converse)!;
  assert.equal(seen.prompt_tokens, 1_600, 'prompt_tokens counts each token once');
  assert.equal(seen.prompt_tokens_details?.cached_tokens, 1_000);
  assert.equal(seen.prompt_tokens_details?.cache_write_tokens, 500);
  // 100 × 2.5 + 1000 × 1.25 + 500 × 3.125 + 20 × 10 = 3262.5 µ$, rounded half up.
  assert.equal(costMicros(price, seen), 3_263);
  // Without cache fields, no details at all.
  assert.equal(toUsage({ inputTokens: 5, outputTokens: 2 })?.prompt_tokens_details, undefined);
});

test('reasoning tokens are output tokens; a model with a reasoning price of its own bills them at it', () => {
  const thinking = { ...usage(1_000, 500), completion_tokens_details: { reasoning_tokens: 300 } };
  // Without a reasoning price: all 500 at the output price.
  assert.equal(costMicros(price, thinking), 2_500 + 5_000);
  // $40 per million reasoning tokens: 200 × 10 + 300 × 40 = 14,000 µ$ out.
  assert.equal(costMicros({ ...price, reasoning: 40_000_000 }, thinking), 2_500 + 2_000 + 12_000);
  // More reasoning tokens reported than completion tokens: bounded by them.
  const odd = { ...usage(0, 100), completion_tokens_details: { reasoning_tokens: 900 } };
  assert.equal(costMicros({ ...price, reasoning: 40_000_000 }, odd), 4_000);
});
