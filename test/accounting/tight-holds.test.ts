// Tight holds on one gateway over SQLite (issue 20): an account funded for exactly N = 20 requests, a burst
// of 200 concurrent requests, with the tokenizer's default time budget (50 ms).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { answerCost, assertTight, burst, TIGHT_MODEL_CONFIG, tightRequest } from './tight-holds-support.js';

const N = 20;

describe('tight holds on one gateway (SQLite)', () => {
  let fake: FakeOpenAI;
  let gw: TestGateway;

  before(async () => {
    fake = await startFakeOpenAI({ promptTokens: 'o200k' });
    const dir = mkdtempSync(join(tmpdir(), 'tokgate-tight-'));
    const config = join(dir, 'tokgate.yaml');
    writeFileSync(config, TIGHT_MODEL_CONFIG);
    gw = await startTestGateway({
      OPENAI_API_KEY: 'up',
      OPENAI_BASE_URL: fake.url,
      TOKGATE_CONFIG: config,
      TOKGATE_TOKENIZER_BUDGET_MS: '50',
    });
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  const post = async (path: string, key: string, json: unknown) => {
    const res = await gw.call(path, { method: 'POST', key, json });
    return { status: res.status, body: await readJson(res) };
  };

  test(`an account funded for ${N} requests serves ${N} ± 2 of ${10 * N} concurrent requests`, async () => {
    const probe = await gw.createKey();
    const one = await post('/v1/chat/completions', probe.key, tightRequest);
    assert.equal(one.status, 200);
    const cost = answerCost(one.body);

    const account = await post('/admin/accounts', ADMIN_KEY, {
      name: 'tight',
      credits_usd: (N * cost) / 1e6,
    });
    assert.equal(account.status, 201);
    const { key } = await gw.createKey({ account_id: account.body.id });
    const before = fake.requests.length;
    const outcome = await burst(10 * N, () => post('/v1/chat/completions', key, tightRequest));
    const upstream = fake.requests.length - before;
    process.stderr.write(`# one gateway: ${outcome.served} served of ${10 * N}, funded for ${N}\n`);

    await gw.gateway.ledger.flush();
    const shown = await readJson(await gw.call(`/admin/accounts/${account.body.id}`, { key: ADMIN_KEY }));
    const spent = N * cost - Math.round(shown.balance_usd * 1e6);
    const usage = await readJson(
      await gw.call(`/admin/usage?account_id=${account.body.id}&group_by=model`, { key: ADMIN_KEY }),
    );
    const ledger = Math.round(usage.data[0].cost_usd * 1e6);
    assertTight(N, outcome, upstream, spent, ledger);
  });

  test('a refusal names the balance, the hold and the max_tokens that would fit, which then fits', async () => {
    const probe = await gw.createKey();
    const cost = answerCost((await post('/v1/chat/completions', probe.key, tightRequest)).body);
    // Short of the 8 output tokens by 3 of them ($10 per million each): the prompt and 4 or 5 fit.
    const fund = cost - 30;
    const account = await post('/admin/accounts', ADMIN_KEY, { name: 'short', credits_usd: fund / 1e6 });
    const { key } = await gw.createKey({ account_id: account.body.id });
    const before = fake.requests.length;
    const refused = await post('/v1/chat/completions', key, tightRequest);
    assert.equal(refused.status, 403);
    assert.equal(fake.requests.length, before, 'nothing went upstream');
    const message: string = refused.body.error.message;
    const [, hold, left] = /would hold \$([0-9.]+), and the account has \$([0-9.]+) left/.exec(message) ?? [];
    assert.equal(Math.round(Number(left) * 1e6), fund);
    assert.ok(Math.round(Number(hold) * 1e6) > fund);
    const [, promptTokens, maxTokens, fits] =
      /(\d+) prompt tokens and max_tokens (\d+); max_tokens (\d+) would fit/.exec(message) ?? [];
    assert.equal(Number(maxTokens), 8);
    // $1 per million prompt tokens, $10 per million output tokens.
    assert.equal(Number(fits), Math.floor((fund - Number(promptTokens)) / 10));
    const fitting = await post('/v1/chat/completions', key, { ...tightRequest, max_tokens: Number(fits) });
    assert.equal(fitting.status, 200, JSON.stringify(fitting.body));
  });
});
