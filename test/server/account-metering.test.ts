// Metering is an explicit account setting (issue 20, the default-account trap): `prepaid` or `unmetered`,
// shown by the admin API; a top-up of an unmetered account is refused with a clear message until it is
// switched, and a switch to prepaid opens the balance at $0. On SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayOnDatabase } from '../support/database-gateway.js';
import { DATABASES } from '../support/databases.js';
import { ADMIN_KEY, readJson } from '../support/gateway.js';

for (const database of DATABASES) {
  describe(`account metering on ${database.name}`, () => {
    const setup = gatewayOnDatabase(database);

    const admin = async (method: string, path: string, json?: unknown) => {
      const res = await setup.gw.call(path, {
        method,
        key: ADMIN_KEY,
        ...(json === undefined ? {} : { json }),
      });
      return { status: res.status, body: await readJson(res) };
    };
    const chat = (key: string) =>
      setup.gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
      });

    test('accounts say how they are metered; creating one unmetered with credits is a 400', async () => {
      const plain = await admin('POST', '/admin/accounts', { name: 'a' });
      assert.equal(plain.body.metering, 'unmetered');
      assert.equal(plain.body.balance_usd, null);
      const paid = await admin('POST', '/admin/accounts', { name: 'b', credits_usd: 2 });
      assert.equal(paid.body.metering, 'prepaid');
      const empty = await admin('POST', '/admin/accounts', { name: 'c', metering: 'prepaid' });
      assert.equal(empty.status, 201);
      assert.equal(empty.body.metering, 'prepaid');
      assert.equal(empty.body.balance_usd, 0);
      const wrong = await admin('POST', '/admin/accounts', {
        name: 'd',
        metering: 'unmetered',
        credits_usd: 1,
      });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.param, 'credits_usd');
      const list = await admin('GET', '/admin/accounts');
      const byId = new Map(list.body.data.map((a: { id: string; metering: string }) => [a.id, a.metering]));
      assert.equal(byId.get('acct_default'), 'unmetered');
      assert.equal(byId.get(paid.body.id), 'prepaid');
    });

    test('a top-up of the unmetered default account is refused, and it stays unmetered', async () => {
      const before = (await admin('GET', '/admin/accounts/acct_default/credits')).body.data.length;
      const topup = await admin('POST', '/admin/accounts/acct_default/credits', { amount_usd: 10 });
      assert.equal(topup.status, 409);
      assert.equal(topup.body.error.code, 'account_unmetered');
      assert.match(topup.body.error.message, /unmetered/);
      assert.match(topup.body.error.message, /"metering": "prepaid"/);
      const after = await admin('GET', '/admin/accounts/acct_default');
      assert.equal(after.body.metering, 'unmetered');
      assert.equal(after.body.balance_usd, null);
      assert.equal((await admin('GET', '/admin/accounts/acct_default/credits')).body.data.length, before);
      // Its keys still spend without limit.
      const { key } = await setup.gw.createKey();
      assert.equal((await chat(key)).status, 200);
    });

    test('switched to prepaid, the balance opens at $0 whatever was spent before; a top-up then counts', async () => {
      const acct = (await admin('POST', '/admin/accounts', { name: 'team' })).body;
      const { key } = await setup.gw.createKey({ account_id: acct.id });
      assert.equal((await chat(key)).status, 200);
      await setup.gw.gateway.ledger.flush();
      const spent = (await admin('GET', `/admin/accounts/${acct.id}`)).body.spend_usd;
      assert.ok(spent > 0);

      const switched = await admin('PATCH', `/admin/accounts/${acct.id}`, { metering: 'prepaid' });
      assert.equal(switched.status, 200);
      assert.equal(switched.body.metering, 'prepaid');
      assert.equal(switched.body.balance_usd, 0);
      const refused = await chat(key);
      assert.equal(refused.status, 403, 'a $0 balance pays for nothing');
      assert.equal((await readJson(refused)).error.code, 'insufficient_credits');

      const topup = await admin('POST', `/admin/accounts/${acct.id}/credits`, { amount_usd: 1 });
      assert.equal(topup.status, 201);
      assert.equal(topup.body.balance_usd, 1);
      assert.equal((await chat(key)).status, 200);
      // The credit entries still add up to the credits: the switch's entry carries the unmetered spend.
      const credits = (await admin('GET', `/admin/accounts/${acct.id}/credits`)).body.data;
      const total = credits.reduce(
        (sum: number, c: { amount_usd: number }) => sum + Math.round(c.amount_usd * 1e6),
        0,
      );
      const shown = (await admin('GET', `/admin/accounts/${acct.id}`)).body;
      assert.equal(total, Math.round(shown.credits_usd * 1e6));
      assert.ok(credits.some((c: { note: string }) => /switched to prepaid/.test(c.note)));

      const back = await admin('PATCH', `/admin/accounts/${acct.id}`, { metering: 'unmetered' });
      assert.equal(back.body.metering, 'unmetered');
      assert.equal(back.body.balance_usd, null);
      const bad = await admin('PATCH', `/admin/accounts/${acct.id}`, { metering: 'postpaid' });
      assert.equal(bad.status, 400);
      const nothing = await admin('PATCH', `/admin/accounts/${acct.id}`, {});
      assert.equal(nothing.status, 400);
      const missing = await admin('PATCH', '/admin/accounts/acct_nope', { metering: 'prepaid' });
      assert.equal(missing.status, 404);
    });
  });
}
