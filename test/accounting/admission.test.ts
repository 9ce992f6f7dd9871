// Admission (src/accounting/admission.ts) with the real local wallet, rate limiter, catalog and tokenizer:
// who is admitted, what is reserved, what a refusal leaves held (nothing), max_tokens capped to what the
// balance can pay for, unpriced models, and settling.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Admission, Admitter } from '../../src/accounting/admission.js';
import { sharedTokenPool, TokenCounter } from '../../src/accounting/token-pool.js';
import { countPromptTokens, promptTokenBound, warmTokenizers } from '../../src/accounting/tokenizer.js';
import { LocalWallet } from '../../src/accounting/wallet/local-wallet.js';
import type { Principal } from '../../src/auth/authenticator.js';
import { ModelCatalog } from '../../src/catalog/catalog.js';
import type { Target } from '../../src/catalog/target.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatRequest, Provider } from '../../src/core/types.js';
import { LocalRateLimiter } from '../../src/limits/rate-limiter.js';
import { Store } from '../../src/store/store.js';
import { account, key, settled } from './support.js';

/** Exact counts in the process's worker pool, with a budget no test run can exhaust. */
const tokens = new TokenCounter(sharedTokenPool(1), 10_000);

// $1 and $2 per million input and output tokens: 1 and 2 µ$ per token.
const catalog = new ModelCatalog({
  'openai/metered': { maxOutputTokens: 64, price: { input: 1, output: 2 } },
  'acme/metered': { maxOutputTokens: 64, price: { input: 1, output: 2 } },
  'openai/unpriced': { maxOutputTokens: 64 },
});

/** Admission never calls the provider: only its id and wire format matter. */
function target(model: string, format = 'openai'): Target {
  const slash = model.indexOf('/');
  const provider: Provider = {
    id: model.slice(0, slash),
    format,
    complete: () => Promise.reject(new Error('admission does not call upstream')),
    stream: () => {
      throw new Error('admission does not call upstream');
    },
  };
  return { model, provider, upstreamModel: model.slice(slash + 1), entry: catalog.get(model) };
}

const messages = [{ role: 'user' as const, content: 'hi' }];
const request = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model,
  messages,
  ...extra,
});
/** The prompt as the model's tokenizer counts it (framing included); the byte bound over-counts it. */
const exactPrompt = (msgs = messages, model = 'openai/metered') =>
  countPromptTokens(msgs, catalog.tokenizerFor(model, model.slice(0, model.indexOf('/'))), 'upper');

async function refusal(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  const error = await settled(promise);
  assert.ok(error instanceof GatewayError, `expected a refusal, got ${String(error)}`);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
}

describe('admission', () => {
  let store: Store;
  let wallet: LocalWallet;
  let limiter: LocalRateLimiter;
  let admitter: Admitter;

  /** A key of a new account: `credits` and `budget` in micro-USD (null = unmetered, none). */
  async function principal(
    credits: number | null,
    {
      budget = null,
      rpm = null,
      tpm = null,
    }: { budget?: number | null; rpm?: number | null; tpm?: number | null } = {},
  ): Promise<Principal & { kind: 'key' }> {
    const scope = await key(store, await account(store, credits), budget, {
      ...(rpm === null ? {} : { rpm }),
      ...(tpm === null ? {} : { tpm }),
    });
    return {
      kind: 'key',
      key: {
        id: scope.keyId!,
        accountId: scope.accountId,
        name: 'test',
        keyHash: '',
        models: null,
        budgetMicros: budget,
        rpm,
        tpm,
        expiresAt: null,
        revokedAt: null,
        allows: null,
      },
    };
  }
  const available = (p: Principal & { kind: 'key' }) =>
    wallet.available({ accountId: p.key.accountId, keyId: p.key.id, keyBudgetMicros: p.key.budgetMicros });

  before(async () => {
    await warmTokenizers();
    store = await Store.open('sqlite::memory:');
    wallet = new LocalWallet(store);
    limiter = new LocalRateLimiter();
    admitter = new Admitter(wallet, limiter, catalog, { refuseUnpriced: true, exactHoldShare: 0.01 }, tokens);
  });
  after(() => store.close());

  test('an unmetered key without limits passes with nothing reserved', async () => {
    const p = await principal(null);
    const admission = await admitter.admit(p, target('openai/metered'), request('openai/metered'));
    assert.equal(admission.reservation, undefined);
    assert.equal(admission.tpmTokens, 0);
    assert.deepEqual(admission.headers, {});
    assert.equal(admission.keyId, p.key.id);
    const admin = await admitter.admit(
      { kind: 'admin' },
      target('openai/metered'),
      request('openai/metered'),
    );
    assert.deepEqual(admin.scope, { accountId: 'acct_default', keyId: null, keyBudgetMicros: null });
    assert.equal(admin.reservation, undefined);
  });

  test("an unmetered key's rpm still holds", async () => {
    const p = await principal(null, { rpm: 1 });
    await admitter.admit(p, target('openai/metered'), request('openai/metered'));
    await refusal(
      admitter.admit(p, target('openai/metered'), request('openai/metered')),
      429,
      'rate_limit_exceeded',
    );
  });

  test('a metered request reserves its worst case: prompt bound + max tokens, for every choice', async () => {
    const p = await principal(1_000_000);
    const t = target('openai/metered');
    const bound = promptTokenBound(messages);
    const reserved = async (extra: Partial<ChatRequest>) =>
      (await admitter.admit(p, t, request(t.model, extra))).reservation?.micros;
    assert.equal(await reserved({ max_tokens: 11 }), bound + 11 * 2);
    assert.equal(await reserved({ max_completion_tokens: 7, max_tokens: 11 }), bound + 7 * 2);
    assert.equal(await reserved({}), bound + 64 * 2, "the catalog's max_output_tokens");
    assert.equal(await reserved({ max_tokens: 11, n: 3 }), 3 * (bound + 11 * 2));
  });

  test('a request refused for rate holds no money', async () => {
    const p = await principal(10_000, { rpm: 1 });
    const t = target('openai/metered');
    const first = await admitter.admit(p, t, request(t.model, { max_tokens: 11 }));
    admitter.settle(first, 26, 15);
    assert.equal(await available(p), 10_000 - 26);
    await refusal(admitter.admit(p, t, request(t.model, { max_tokens: 11 })), 429, 'rate_limit_exceeded');
    assert.equal(await available(p), 10_000 - 26);

    // tpm: the first request's tokens fill the window, the second does not fit.
    const tight = await principal(10_000, { tpm: 25 });
    const filled = await admitter.admit(tight, t, request(t.model, { max_tokens: 11 }));
    assert.equal(filled.tpmTokens, exactPrompt() + 11);
    admitter.settle(filled, 26, filled.tpmTokens);
    await refusal(admitter.admit(tight, t, request(t.model, { max_tokens: 11 })), 429, 'rate_limit_exceeded');
    assert.equal(await available(tight), 10_000 - 26);
  });

  test('a request refused for money holds no tpm, and still counts for rpm', async () => {
    const p = await principal(0, { rpm: 1, tpm: 1_000 });
    const t = target('openai/metered');
    await refusal(admitter.admit(p, t, request(t.model, { max_tokens: 11 })), 403, 'insufficient_credits');
    await new Promise((r) => setImmediate(r));
    await limiter.admit(p.key.id, { rpm: null, tpm: 1_000 }, 1_000);
    await refusal(limiter.admit(p.key.id, { rpm: 1, tpm: null }, 0), 429, 'rate_limit_exceeded');
  });

  test("money refusals: the account's credits and the key's budget", async () => {
    const t = target('openai/metered');
    const poor = await principal(10);
    await refusal(admitter.admit(poor, t, request(t.model, { max_tokens: 11 })), 403, 'insufficient_credits');
    const budgeted = await principal(null, { budget: 10 });
    await refusal(admitter.admit(budgeted, t, request(t.model, { max_tokens: 11 })), 403, 'budget_exceeded');
    assert.equal(await available(budgeted), 10);
  });

  test('the exact prompt count admits what the byte bound alone would refuse', async () => {
    const long = [{ role: 'user' as const, content: 'hello world '.repeat(50) }];
    const exact = exactPrompt(long);
    assert.ok(exact < promptTokenBound(long));
    const p = await principal(exact + 10 * 2);
    const t = target('openai/metered');
    const admission = await admitter.admit(p, t, { model: t.model, messages: long, max_tokens: 10 });
    assert.equal(admission.reservation?.micros, exact + 10 * 2);
    assert.deepEqual(admission.headers, {});
    assert.equal(await available(p), 0);
  });

  test('without max_tokens from the client, max tokens are capped to what the balance can pay for', async () => {
    const check = async (model: string, field: 'max_completion_tokens' | 'max_tokens') => {
      const prompt = exactPrompt(messages, model);
      const p = await principal(prompt + 41); // 20 output tokens (40 µ$), and 1 µ$ that buys nothing
      const upstream = request(model);
      const admission: Admission = await admitter.admit(p, target(model), upstream);
      assert.equal(upstream[field], 20);
      assert.equal(upstream[field === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens'], undefined);
      assert.equal(
        admission.headers['x-tokgate-max-tokens'],
        '20; capped to what the remaining balance can pay for',
      );
      assert.equal(admission.reservation?.micros, prompt + 20 * 2);
      assert.equal(await available(p), 1);
    };
    // The real OpenAI API wants max_completion_tokens; every other provider gets max_tokens.
    await check('openai/metered', 'max_completion_tokens');
    await check('acme/metered', 'max_tokens');
  });

  test('no cap when the client chose max_tokens, or when not even one token can be paid for', async () => {
    const prompt = exactPrompt();
    const t = target('openai/metered');
    const chose = await principal(prompt + 40);
    const upstream = request(t.model, { max_tokens: 21 });
    await refusal(admitter.admit(chose, t, upstream), 403, 'insufficient_credits');
    assert.equal(upstream.max_tokens, 21);
    assert.equal(upstream.max_completion_tokens, undefined);
    const broke = await principal(prompt + 1);
    await refusal(admitter.admit(broke, t, request(t.model)), 403, 'insufficient_credits');
    assert.equal(await available(broke), prompt + 1);
  });

  test('an unpriced model is refused for metered keys (model_unpriced) unless configured otherwise', async () => {
    const t = target('openai/unpriced');
    const metered = await principal(1_000_000);
    await refusal(admitter.admit(metered, t, request(t.model)), 403, 'model_unpriced');
    const budgeted = await principal(null, { budget: 1_000_000 });
    await refusal(admitter.admit(budgeted, t, request(t.model)), 403, 'model_unpriced');
    const unmetered = await principal(null);
    assert.equal((await admitter.admit(unmetered, t, request(t.model))).reservation, undefined);
    const lenient = new Admitter(
      wallet,
      limiter,
      catalog,
      { refuseUnpriced: false, exactHoldShare: 0.01 },
      tokens,
    );
    assert.equal((await lenient.admit(metered, t, request(t.model))).reservation, undefined);
    assert.equal(await available(metered), 1_000_000);
  });

  test('settle charges the real cost and corrects the tpm counted at admission to the tokens used', async () => {
    const p = await principal(10_000, { tpm: 1_000 });
    const t = target('openai/metered');
    const ask = () => request(t.model, { max_tokens: 900 });
    const first = await admitter.admit(p, t, ask());
    assert.equal(first.tpmTokens, exactPrompt() + 900);
    assert.equal(await available(p), 10_000 - first.reservation!.micros);
    await refusal(admitter.admit(p, t, ask()), 429, 'rate_limit_exceeded');
    admitter.settle(first, 30, 20);
    assert.equal(await available(p), 10_000 - 30);
    const second = await admitter.admit(p, t, ask());
    assert.equal(second.tpmTokens, first.tpmTokens);
    admitter.settle(second, 0, 0);
    assert.equal(await available(p), 10_000 - 30, 'a failure costs nothing');
  });
});
