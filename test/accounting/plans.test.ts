// Price plans as pure rules: which multiplier wins for a model (most specific first), what a tenant is
// charged for an answer metered at list price, the tenant's price for holds and /v1/models, and the
// OpenRouter-style USD-per-token strings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Metered } from '../../src/accounting/meter.js';
import {
  chargeByPlan,
  compilePlan,
  holdFactor,
  PlanBook,
  rateOf,
  tenantPrice,
} from '../../src/accounting/plans.js';
import type { Price } from '../../src/catalog/catalog.js';
import { openRouterPricing, usdPerToken } from '../../src/server/models.js';
import type { PricePlanRow } from '../../src/store/schema.js';

const plan = (over: Partial<PricePlanRow> = {}): PricePlanRow => ({
  id: 'plan_a',
  name: 'a',
  description: null,
  multiplier: 2,
  multipliers: JSON.stringify({
    'openai/*': 1.5,
    'anthropic/claude-*': 1.2,
    'anthropic/claude-sonnet-*': 1.1,
    'openai/gpt-4o': 0.9,
  }),
  prices: JSON.stringify({ 'openai/gpt-4.1': { input: 1, output: 3 } }),
  created_at: 0,
  updated_at: 0,
  ...over,
});

// gpt-4o's list price: $2.50 / $10 per million, cached $1.25.
const LIST: Price = {
  input: 2_500_000,
  output: 10_000_000,
  cachedInput: 1_250_000,
  cacheWrite: undefined,
  cacheWrite1h: undefined,
};

const metered = (over: Partial<Metered> = {}): Metered => ({
  usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
  source: 'provider',
  costMicros: 3500, // 1000 × 2.5 + 100 × 10
  ...over,
});

describe('which rule of a plan applies', () => {
  const compiled = compilePlan(plan());
  test('an exact id beats every glob; a longer glob beats a shorter; the global multiplier is the rest', () => {
    assert.equal(rateOf(compiled, 'openai/gpt-4o').multiplier, 0.9);
    assert.equal(rateOf(compiled, 'openai/gpt-4o-mini').multiplier, 1.5);
    assert.equal(rateOf(compiled, 'anthropic/claude-sonnet-4-5').multiplier, 1.1);
    assert.equal(rateOf(compiled, 'anthropic/claude-haiku-4-5').multiplier, 1.2);
    assert.equal(rateOf(compiled, 'google/gemini-2.5-pro').multiplier, 2);
    // `*` is a glob, not a regex: a dot in a pattern is a dot.
    assert.equal(
      rateOf(compilePlan(plan({ multipliers: '{"openai/gpt-4.1":3}' })), 'openai/gpt-441').multiplier,
      2,
    );
  });

  test('a fixed price belongs to its exact model only', () => {
    assert.deepEqual(rateOf(compiled, 'openai/gpt-4.1').fixed, {
      input: 1_000_000,
      output: 3_000_000,
      cachedInput: 1_000_000,
      cacheWrite: undefined,
      cacheWrite1h: undefined,
    });
    assert.equal(rateOf(compiled, 'openai/gpt-4.1-mini').fixed, undefined);
  });
});

describe('what the tenant is charged', () => {
  test('the list cost times the multiplier, rounded half up once; the list cost kept as upstream', () => {
    const charged = chargeByPlan({ planId: 'p', multiplier: 1.25 }, LIST, metered({ costMicros: 3 }));
    assert.equal(charged.costMicros, 4); // 3.75 → 4
    assert.equal(charged.upstreamCostMicros, 3);
    assert.equal(
      chargeByPlan({ planId: 'p', multiplier: 0.5 }, LIST, metered({ costMicros: 5 })).costMicros,
      3,
    );
  });

  test('no plan: the metered answer as it is (its cost is the upstream cost)', () => {
    const m = metered();
    assert.equal(chargeByPlan(undefined, LIST, m), m);
  });

  test('a fixed price prices the tokens (cache reads at its cached price) whatever the list price', () => {
    const rate = rateOf(compilePlan(plan()), 'openai/gpt-4.1');
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 100,
      total_tokens: 1100,
      prompt_tokens_details: { cached_tokens: 400 },
    };
    const charged = chargeByPlan(rate, LIST, metered({ usage, costMicros: 3000 }));
    // 600 × $1 + 400 × $1 (cached defaults to input) + 100 × $3, per million.
    assert.equal(charged.costMicros, 1300);
    assert.equal(charged.upstreamCostMicros, 3000);
    // A model without a list price: charged at the fixed price, upstream unpriced (null, never $0).
    const unpriced = chargeByPlan(rate, undefined, metered({ usage, costMicros: undefined }));
    assert.equal(unpriced.costMicros, 1300);
    assert.equal(unpriced.upstreamCostMicros, null);
  });

  test('an answer billed per unit (images, characters, seconds, searches) takes the multiplier', () => {
    const rate = { ...rateOf(compilePlan(plan()), 'openai/gpt-4.1'), multiplier: 3 };
    const images = metered({ costMicros: 40_000, units: { count: 1, unit: 'images' } });
    assert.equal(chargeByPlan(rate, LIST, images).costMicros, 120_000);
    const searches = metered({
      usage: { prompt_tokens: 10, completion_tokens: 0, total_tokens: 10, search_units: 1 },
      costMicros: 2000,
    });
    assert.equal(chargeByPlan(rate, LIST, searches).costMicros, 6000);
  });
});

describe("the tenant's price", () => {
  test('every list price scaled, fixed token prices in place of the scaled ones', () => {
    const scaled = tenantPrice(
      { ...LIST, perImage: { standard: { '*': 40_000 } }, character: 15 },
      {
        planId: 'p',
        multiplier: 2,
      },
    )!;
    assert.equal(scaled.input, 5_000_000);
    assert.equal(scaled.output, 20_000_000);
    assert.equal(scaled.perImage?.standard?.['*'], 80_000);
    assert.equal(scaled.character, 30);
    const fixed = tenantPrice(LIST, rateOf(compilePlan(plan()), 'openai/gpt-4.1'))!;
    assert.equal(fixed.input, 1_000_000);
    assert.equal(fixed.output, 3_000_000);
  });

  test('a hold at list price is scaled up to cover the plan, never down', () => {
    assert.equal(holdFactor(undefined, LIST), 1);
    assert.equal(holdFactor({ planId: 'p', multiplier: 3 }, LIST), 3);
    const fixed = rateOf(compilePlan(plan({ multiplier: 0.1 })), 'openai/gpt-4.1');
    // Fixed $1 / $3 against list $2.50 / $10: the multiplier (0.1 → 1.5 from the openai/* glob) is larger.
    assert.equal(holdFactor(fixed, LIST), 1.5);
    assert.equal(holdFactor({ ...fixed, multiplier: 0.1 }, LIST), 0.4);
  });

  test("OpenRouter's pricing: USD per token as plain decimal strings", () => {
    assert.equal(usdPerToken(2_500_000), '0.0000025');
    assert.equal(usdPerToken(150_000), '0.00000015');
    assert.equal(usdPerToken(0), '0');
    assert.equal(usdPerToken(75_000_000 * 1.1), '0.0000825');
    assert.equal(usdPerToken(1_000_000_000_000), '1');
    assert.deepEqual(openRouterPricing({ ...LIST, cacheWrite: 3_125_000 }), {
      prompt: '0.0000025',
      completion: '0.00001',
      request: '0',
      input_cache_read: '0.00000125',
      input_cache_write: '0.000003125',
    });
  });
});

describe('the in-process book', () => {
  test('reads plans and assignments once, answers without reading, and again after a change', async () => {
    let reads = 0;
    let multiplier = 2;
    const book = new PlanBook(
      {
        listPlans: async () => {
          reads += 1;
          return [plan({ multiplier, multipliers: '{}', prices: '{}' })];
        },
        listPlanAssignments: async () => [{ id: 'acct_1', plan_id: 'plan_a' }],
      },
      undefined,
      60_000,
    );
    await book.reload();
    for (let i = 0; i < 100; i++) assert.equal(book.rateFor('acct_1', 'openai/gpt-4o')?.multiplier, 2);
    assert.equal(
      book.rateFor('acct_2', 'openai/gpt-4o'),
      undefined,
      'an account on no plan pays list prices',
    );
    assert.equal(reads, 1);
    multiplier = 3;
    let told = 0;
    book.broadcastTo(() => {
      told += 1;
    });
    await book.changed();
    assert.equal(book.rateFor('acct_1', 'openai/gpt-4o')?.multiplier, 3);
    assert.equal(told, 1, 'the other replicas are told');
  });

  test('a failed read keeps the plans read before', async () => {
    let fail = false;
    const errors: unknown[] = [];
    const book = new PlanBook(
      {
        listPlans: async () => {
          if (fail) throw new Error('database away');
          return [plan()];
        },
        listPlanAssignments: async () => [{ id: 'acct_1', plan_id: 'plan_a' }],
      },
      (error) => errors.push(error),
      60_000,
    );
    await book.reload();
    fail = true;
    await book.refresh();
    assert.equal(errors.length, 1);
    assert.equal(book.rateFor('acct_1', 'google/x')?.multiplier, 2);
  });
});
