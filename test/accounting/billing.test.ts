// Money and limits, end to end, on SQLite and on PostgreSQL: prepaid credit is never overspent, the ledger
// equals what clients were told, and rate limits hold under concurrency.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

// One model with round prices: $1 per million input tokens, $2 per million output tokens, so a request
// that the fake answers with 4 prompt and 11 completion tokens costs exactly 4 + 22 = 26 µ$.
const MODEL = 'openai/metered-model';
const COST_MICROS = 26;
const messages = [{ role: 'user' as const, content: 'hi' }];

function configFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokgate-billing-'));
  const path = join(dir, 'tokgate.yaml');
  writeFileSync(
    path,
    `models:\n  ${MODEL}:\n    max_output_tokens: 64\n    price: { input: 1, output: 2 }\n`,
  );
  return path;
}

for (const database of DATABASES) {
  describe(`billing on ${database.name}`, () => {
    let fake: FakeOpenAI;
    let gw: TestGateway;
    let db: TestDatabase;

    before(async () => {
      fake = await startFakeOpenAI();
      db = await database.create();
      gw = await startTestGateway({
        OPENAI_API_KEY: 'up',
        OPENAI_BASE_URL: fake.url,
        DATABASE_URL: db.url,
        TOKGATE_CONFIG: configFile(),
      });
    });
    after(async () => {
      await gw.close();
      await fake.close();
      await db.drop();
    });
    beforeEach(() => {
      fake.requests.length = 0;
      fake.faults.length = 0;
      fake.options = {};
    });

    async function account(creditsUsd: number | null) {
      const res = await gw.call('/admin/accounts', {
        method: 'POST',
        key: ADMIN_KEY,
        json: { name: 'acme', ...(creditsUsd === null ? {} : { credits_usd: creditsUsd }) },
      });
      assert.equal(res.status, 201);
      return readJson(res);
    }

    test('spend through the SDK, watch the balance fall by exactly usage.cost, 403 at zero, top up, go on', async () => {
      const acct = await account(0.0001); // 100 µ$: three requests at 26 µ$, with max_tokens 11 reserved exactly
      assert.equal(acct.balance_usd, 0.0001);
      const { key } = await gw.createKey({ account_id: acct.id });
      const client = gw.client(key);
      let told = 0;
      for (let i = 0; i < 3; i++) {
        const answer = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 11 });
        const cost = (answer.usage as unknown as { cost: number }).cost;
        assert.equal(cost, COST_MICROS / 1e6);
        told += cost;
        const me = await readJson(await gw.call('/v1/key', { key }));
        assert.equal(Math.round(me.account.balance_usd * 1e6), 100 - COST_MICROS * (i + 1));
        assert.equal(Math.round(me.spend_usd * 1e6), COST_MICROS * (i + 1));
      }
      // 22 µ$ left: a request that may cost up to 26 µ$ is refused and nothing goes upstream.
      const before = fake.requests.length;
      await assert.rejects(
        client.chat.completions.create({ model: MODEL, messages, max_tokens: 11 }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.PermissionDeniedError);
          assert.equal(error.code, 'insufficient_credits');
          assert.match(error.message, /Insufficient credits/);
          return true;
        },
      );
      assert.equal(fake.requests.length, before);

      const topup = await gw.call(`/admin/accounts/${acct.id}/credits`, {
        method: 'POST',
        key: ADMIN_KEY,
        json: { amount_usd: 1, note: 'thanks' },
      });
      assert.equal(topup.status, 201);
      const answer = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 11 });
      told += (answer.usage as unknown as { cost: number }).cost;

      const shown = await readJson(await gw.call(`/admin/accounts/${acct.id}`, { key: ADMIN_KEY }));
      assert.equal(Math.round(shown.spend_usd * 1e6), Math.round(told * 1e6));
      assert.equal(Math.round(shown.balance_usd * 1e6), 100 + 1_000_000 - Math.round(told * 1e6));
      const credits = await readJson(await gw.call(`/admin/accounts/${acct.id}/credits`, { key: ADMIN_KEY }));
      assert.deepEqual(
        credits.data.map((c: { amount_usd: number; note: string }) => [c.amount_usd, c.note]),
        [
          [1, 'thanks'],
          [0.0001, 'opening balance'],
        ],
      );
    });

    test('200 concurrent requests against credit for 50 never overspend; the ledger equals the balance change', async () => {
      const acct = await account((50 * COST_MICROS) / 1e6);
      const { key, id } = await gw.createKey({ account_id: acct.id });
      const client = gw.client(key);
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, () =>
          client.chat.completions.create({ model: MODEL, messages, max_tokens: 11 }),
        ),
      );
      const served = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r) => r.status === 'rejected');
      for (const r of refused) {
        assert.ok((r as PromiseRejectedResult).reason instanceof OpenAI.PermissionDeniedError);
      }
      assert.ok(served.length <= 50, `served ${served.length}`);
      assert.ok(
        served.length >= 45,
        `served only ${served.length}: reservations must be released as answers settle`,
      );
      assert.equal(fake.requests.length, served.length, 'refused requests never reach the upstream');

      const told = served.reduce(
        (sum, r) =>
          sum +
          Math.round(
            ((r as PromiseFulfilledResult<OpenAI.ChatCompletion>).value.usage as unknown as { cost: number })
              .cost * 1e6,
          ),
        0,
      );
      const shown = await readJson(await gw.call(`/admin/accounts/${acct.id}`, { key: ADMIN_KEY }));
      assert.equal(Math.round(shown.spend_usd * 1e6), told);
      assert.ok(shown.balance_usd >= 0);
      const usage = await readJson(
        await gw.call(`/admin/usage?key_id=${id}&group_by=model`, { key: ADMIN_KEY }),
      );
      assert.equal(usage.data.length, 1);
      assert.equal(Math.round(usage.data[0].cost_usd * 1e6), told);
      assert.equal(usage.data[0].requests, 200, 'refused requests are in the ledger too, at no cost');
      assert.equal(usage.data[0].errors, 200 - served.length);
      assert.equal(usage.data[0].completion_tokens, served.length * 11);
    });

    test('without max_tokens, the answer is capped to what the balance can pay for, and the header says so', async () => {
      const acct = await account(0.00004); // 40 µ$: the catalog's 64 output tokens (128 µ$) cannot be paid
      const { key } = await gw.createKey({ account_id: acct.id });
      const { data, response } = await gw
        .client(key)
        .chat.completions.create({ model: MODEL, messages })
        .withResponse();
      // Prompt reserved at the gateway's count (9 tokens = 9 µ$), leaving 31 µ$: 15 output tokens at 2 µ$.
      const capped = (fake.requests.at(-1)!.body as { max_completion_tokens: number }).max_completion_tokens;
      assert.equal(capped, 15);
      assert.match(response.headers.get('x-tokgate-max-tokens') ?? '', /^15; capped/);
      assert.equal(data.choices[0]?.finish_reason, 'stop');
    });

    test('a key budget is its own limit', async () => {
      // 57 µ$: a request reserves at most 35 µ$ (the prompt bounded by its 13 bytes), else 31 µ$ (the
      // tokenizer counts 9 prompt tokens), and costs 26 µ$: the second request is refused at the bound and
      // admitted at the exact count; after two requests 5 µ$ are left and the third is refused.
      const { key } = await gw.createKey({ budget_usd: 57 / 1e6 });
      const client = gw.client(key);
      await client.chat.completions.create({ model: MODEL, messages, max_tokens: 11 });
      await client.chat.completions.create({ model: MODEL, messages, max_tokens: 11 });
      await assert.rejects(
        client.chat.completions.create({ model: MODEL, messages, max_tokens: 11 }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.PermissionDeniedError);
          assert.equal(error.code, 'budget_exceeded');
          return true;
        },
      );
      const me = await readJson(await gw.call('/v1/key', { key }));
      assert.equal(Math.round(me.spend_usd * 1e6), 2 * COST_MICROS);
      assert.equal(me.account.balance_usd, null, 'the default account is unmetered');
    });

    test('a metered key may not use an unpriced model', async () => {
      const acct = await account(1);
      const { key } = await gw.createKey({ account_id: acct.id });
      const res = await gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: { model: 'openai/no-price-model', messages },
      });
      assert.equal(res.status, 403);
      assert.equal((await readJson(res)).error.code, 'model_unpriced');
    });

    test('rpm holds under concurrency, with Retry-After', async () => {
      const { key } = await gw.createKey({ rpm: 5 });
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          gw.call('/v1/chat/completions', {
            method: 'POST',
            key,
            json: { model: MODEL, messages, max_tokens: 11 },
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 5);
      assert.equal(statuses.filter((s) => s === 429).length, 7);
      const limited = results.find((r) => r.status === 429)!;
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60);
      assert.equal((await readJson(limited)).error.type, 'rate_limit_error');
    });

    test('tpm holds under concurrency and counts what was really used', async () => {
      // Each request is admitted at 9 (gateway prompt count) + 11 (max_tokens) = 20 tokens against tpm 50.
      const { key } = await gw.createKey({ tpm: 50 });
      // Answers held until every request of the burst was admitted: admission now waits for the token
      // pool, and an answer settled early would free tokens for a later request of the same burst.
      fake.options = { firstByteDelayMs: 300 };
      const burst = await Promise.all(
        Array.from({ length: 6 }, () =>
          gw.call('/v1/chat/completions', {
            method: 'POST',
            key,
            json: { model: MODEL, messages, max_tokens: 11 },
          }),
        ),
      );
      assert.equal(burst.filter((r) => r.status === 200).length, 2);
      assert.ok(
        burst.filter((r) => r.status === 429).every((r) => Number(r.headers.get('retry-after')) >= 1),
      );
      // Settled at real usage (4 + 11 = 15 each): 30 used, so one more 20-token request fits.
      fake.options = {};
      const next = await gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: { model: MODEL, messages, max_tokens: 11 },
      });
      assert.equal(next.status, 200);
    });

    test('every usage number the client saw is the ledger’s, streams included', async () => {
      const { key, id } = await gw.createKey();
      const client = gw.client(key);
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) {
        const answer = await client.chat.completions.create({ model: MODEL, messages, n: 2 });
        seen.push(answer.usage!.prompt_tokens, answer.usage!.completion_tokens);
      }
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream)
        if (chunk.usage) seen.push(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
      const log = await readJson(await gw.call(`/admin/requests?key_id=${id}&limit=10`, { key: ADMIN_KEY }));
      const ledger = log.data
        .reverse()
        .flatMap((r: { prompt_tokens: number; completion_tokens: number }) => [
          r.prompt_tokens,
          r.completion_tokens,
        ]);
      assert.deepEqual(ledger, seen);
      const mine = await readJson(await gw.call('/v1/requests', { key }));
      assert.equal(mine.data.length, 4);
      const detail = await readJson(await gw.call(`/admin/requests/${mine.data[0].id}`, { key: ADMIN_KEY }));
      assert.equal(detail.id, mine.data[0].id);
      assert.ok(Array.isArray(detail.attempts));
      const byDay = await readJson(await gw.call('/v1/usage?group_by=day', { key }));
      assert.equal(byDay.data.length, 1);
      assert.match(byDay.data[0].group, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(byDay.data[0].requests, 4);
    });
  });
}
