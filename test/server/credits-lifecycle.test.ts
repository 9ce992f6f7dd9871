// Credits lifecycle (issue 20): top-ups with an Idempotency-Key (a retry, even concurrent, is applied once)
// and single-use redemption codes that a tenant redeems with POST /v1/credits/redeem (of 20 concurrent
// redemptions of one code, exactly one succeeds). On SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayOnDatabase } from '../support/database-gateway.js';
import { DATABASES } from '../support/databases.js';
import { ADMIN_KEY, readJson } from '../support/gateway.js';

for (const database of DATABASES) {
  describe(`credits lifecycle on ${database.name}`, () => {
    const setup = gatewayOnDatabase(database);

    const send = async (method: string, path: string, key: string, json?: unknown, headers = {}) => {
      const res = await setup.gw.call(path, {
        method,
        key,
        headers,
        ...(json === undefined ? {} : { json }),
      });
      return { status: res.status, headers: res.headers, body: await readJson(res) };
    };
    const admin = (method: string, path: string, json?: unknown, headers = {}) =>
      send(method, path, ADMIN_KEY, json, headers);
    const micros = (usd: number) => Math.round(usd * 1e6);
    async function prepaid(usd: number): Promise<string> {
      const res = await admin('POST', '/admin/accounts', { name: 'acme', credits_usd: usd });
      assert.equal(res.status, 201);
      return res.body.id;
    }

    test('a top-up retried with the same Idempotency-Key is applied once; another body is a 409', async () => {
      const id = await prepaid(1);
      const first = await admin(
        'POST',
        `/admin/accounts/${id}/credits`,
        { amount_usd: 5, note: 'inv 1' },
        {
          'idempotency-key': 'topup-inv-1',
        },
      );
      assert.equal(first.status, 201);
      assert.equal(first.body.balance_usd, 6);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const again = await admin(
        'POST',
        `/admin/accounts/${id}/credits`,
        { amount_usd: 5, note: 'inv 1' },
        {
          'idempotency-key': 'topup-inv-1',
        },
      );
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.credit.id, first.body.credit.id);
      assert.equal(again.body.balance_usd, 6, 'applied once');
      const other = await admin(
        'POST',
        `/admin/accounts/${id}/credits`,
        { amount_usd: 7, note: 'inv 1' },
        {
          'idempotency-key': 'topup-inv-1',
        },
      );
      assert.equal(other.status, 409);
      assert.equal(other.body.error.code, 'idempotency_key_reused');
      const bad = await admin(
        'POST',
        `/admin/accounts/${id}/credits`,
        { amount_usd: 1 },
        {
          'idempotency-key': 'x'.repeat(300),
        },
      );
      assert.equal(bad.status, 400);
      // The same key on another account is another top-up.
      const elsewhere = await prepaid(0);
      const there = await admin(
        'POST',
        `/admin/accounts/${elsewhere}/credits`,
        { amount_usd: 5, note: 'inv 1' },
        {
          'idempotency-key': 'topup-inv-1',
        },
      );
      assert.equal(there.status, 201);
      assert.equal(there.body.balance_usd, 5);
    });

    test('20 concurrent retries of one top-up add it once', async () => {
      const id = await prepaid(0);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          admin('POST', `/admin/accounts/${id}/credits`, { amount_usd: 3 }, { 'idempotency-key': 'burst-1' }),
        ),
      );
      for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body));
      assert.equal(new Set(answers.map((a) => a.body.credit.id)).size, 1, 'every answer names one entry');
      assert.equal(answers.filter((a) => a.headers.get('idempotent-replayed') === null).length, 1);
      const shown = await admin('GET', `/admin/accounts/${id}`);
      assert.equal(micros(shown.body.balance_usd), micros(3));
      const credits = await admin('GET', `/admin/accounts/${id}/credits`);
      assert.equal(credits.body.data.filter((c: { amount_usd: number }) => c.amount_usd === 3).length, 1);
    });

    test('redemption codes: created in bulk and shown once, redeemed once, for a prepaid account only', async () => {
      const made = await admin('POST', '/admin/redemption-codes', { count: 5, amount_usd: 2, note: 'promo' });
      assert.equal(made.status, 201);
      const codes: string[] = made.body.data.map((c: { code: string }) => c.code);
      assert.equal(new Set(codes).size, 5);
      const listed = await admin('GET', '/admin/redemption-codes');
      for (const row of listed.body.data) assert.equal(row.code, undefined, 'the list never shows a code');

      const id = await prepaid(1);
      const { key } = await setup.gw.createKey({ account_id: id });
      const redeemed = await send('POST', '/v1/credits/redeem', key, { code: codes[0] });
      assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
      assert.equal(redeemed.body.balance_usd, 3);
      assert.equal(redeemed.body.credit.amount_usd, 2);
      const twice = await send('POST', '/v1/credits/redeem', key, { code: codes[0] });
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, 'redemption_code_used');
      const unknown = await send('POST', '/v1/credits/redeem', key, { code: 'tgc-nope' });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.code, 'redemption_code_invalid');
      const malformed = await send('POST', '/v1/credits/redeem', key, { code: 42 });
      assert.equal(malformed.status, 400);

      // An unmetered account cannot redeem; the code stays good for another.
      const { key: free } = await setup.gw.createKey();
      const refused = await send('POST', '/v1/credits/redeem', free, { code: codes[1] });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'account_unmetered');
      assert.equal((await send('POST', '/v1/credits/redeem', key, { code: codes[1] })).status, 200);
      assert.equal((await send('POST', '/v1/credits/redeem', ADMIN_KEY, { code: codes[2] })).status, 400);

      const expired = await admin('POST', '/admin/redemption-codes', {
        count: 1,
        amount_usd: 1,
        expires_at: new Date(Date.now() - 1000).toISOString(),
      });
      const late = await send('POST', '/v1/credits/redeem', key, { code: expired.body.data[0].code });
      assert.equal(late.status, 400);
      assert.match(late.body.error.message, /expired/);

      const after = (await admin('GET', '/admin/redemption-codes')).body.data;
      const used = after.filter((c: { redeemed_at: string | null }) => c.redeemed_at !== null);
      assert.equal(used.length, 2);
      for (const c of used) assert.equal(c.account_id, id);
      assert.equal(micros((await admin('GET', `/admin/accounts/${id}`)).body.balance_usd), micros(5));
    });

    test('one code redeemed by 20 concurrent requests: exactly one succeeds, the balance grows once', async () => {
      const made = await admin('POST', '/admin/redemption-codes', { count: 1, amount_usd: 4 });
      const code = made.body.data[0].code;
      // Twenty accounts race for it, each with its own key.
      const racers = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const id = await prepaid(0);
          return { id, key: (await setup.gw.createKey({ account_id: id })).key };
        }),
      );
      const answers = await Promise.all(
        racers.map((r) => send('POST', '/v1/credits/redeem', r.key, { code })),
      );
      assert.equal(answers.filter((a) => a.status === 200).length, 1);
      assert.equal(answers.filter((a) => a.status === 409).length, 19);
      const balances = await Promise.all(racers.map((r) => admin('GET', `/admin/accounts/${r.id}`)));
      const total = balances.reduce((sum, b) => sum + micros(b.body.balance_usd), 0);
      assert.equal(total, micros(4));
    });

    test('a grant that expires: spend after it counts against it first, its unspent rest is withdrawn', async () => {
      const id = await prepaid(1000 / 1e6);
      const { key } = await setup.gw.createKey({ account_id: id });
      const grant = await admin('POST', `/admin/accounts/${id}/credits`, {
        amount_usd: 500 / 1e6,
        note: 'trial',
        expires_at: new Date(Date.now() + 1500).toISOString(),
      });
      assert.equal(grant.status, 201);
      assert.ok(grant.body.credit.expires_at);
      let spent = 0;
      for (let i = 0; i < 2; i++) {
        const res = await send('POST', '/v1/chat/completions', key, {
          model: 'openai/gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 5,
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        spent += micros(res.body.usage.cost);
      }
      assert.ok(spent > 0 && spent < 500);
      await setup.gw.gateway.ledger.flush();
      // Once it has expired, a sweep withdraws what is left of it.
      for (let round = 0; ; round++) {
        await setup.gw.gateway.lowBalance.tick();
        const credits = (await admin('GET', `/admin/accounts/${id}/credits`)).body.data;
        if (credits.some((c: { note: string }) => /^expired/.test(c.note))) break;
        assert.ok(round < 1000, 'the grant never expired');
        await new Promise((r) => setTimeout(r, 20));
      }
      const credits = (await admin('GET', `/admin/accounts/${id}/credits`)).body.data;
      const withdrawal = credits.find((c: { note: string }) => /^expired/.test(c.note));
      assert.equal(micros(withdrawal.amount_usd), -(500 - spent));
      assert.ok(credits.find((c: { id: string }) => c.id === grant.body.credit.id).expired_at);
      const shown = (await admin('GET', `/admin/accounts/${id}`)).body;
      assert.equal(micros(shown.balance_usd), 1000 - 0, 'the non-expiring credit is untouched');
      const total = credits.reduce((sum: number, c: { amount_usd: number }) => sum + micros(c.amount_usd), 0);
      assert.equal(total, micros(shown.credits_usd));
      // Swept again: nothing more is withdrawn.
      await setup.gw.gateway.lowBalance.tick();
      assert.equal((await admin('GET', `/admin/accounts/${id}/credits`)).body.data.length, credits.length);
      const negative = await admin('POST', `/admin/accounts/${id}/credits`, {
        amount_usd: -1,
        expires_at: new Date(Date.now() + 60_000).toISOString(),
      });
      assert.equal(negative.status, 400);
    });
  });
}
