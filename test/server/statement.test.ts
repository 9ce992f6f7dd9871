// Account statements (issue 20): opening balance, every credit entry, spend per day and model, closing
// balance, reconciling to the micro-dollar with the ledger and the account's balance, in JSON and CSV. On
// SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayOnDatabase } from '../support/database-gateway.js';
import { DATABASES } from '../support/databases.js';
import { ADMIN_KEY, readJson } from '../support/gateway.js';

const micros = (usd: number) => Math.round(usd * 1e6);

for (const database of DATABASES) {
  describe(`statements on ${database.name}`, () => {
    const setup = gatewayOnDatabase(database);

    const admin = async (method: string, path: string, json?: unknown) => {
      const res = await setup.gw.call(path, {
        method,
        key: ADMIN_KEY,
        ...(json === undefined ? {} : { json }),
      });
      return {
        status: res.status,
        res,
        body: res.headers.get('content-type')?.includes('json') ? await readJson(res) : await res.text(),
      };
    };
    const spend = async (key: string, model: string) => {
      const res = await setup.gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: { model, messages: [{ role: 'user', content: 'hi there' }], max_tokens: 7 },
      });
      assert.equal(res.status, 200);
      return micros((await readJson(res)).usage.cost);
    };
    const tick = () => new Promise((r) => setTimeout(r, 5));

    test('a statement reconciles: opening + credits − spend = closing = the balance; windows chain', async () => {
      const t0 = new Date(Date.now() - 1).toISOString();
      const acct = (await admin('POST', '/admin/accounts', { name: 'stmt', credits_usd: 0.01 })).body;
      const { key } = await setup.gw.createKey({ account_id: acct.id });
      let told = 0;
      told += await spend(key, 'openai/gpt-4o-mini');
      told += await spend(key, 'openai/gpt-4o');
      await setup.gw.gateway.ledger.flush();
      await tick();
      const t1 = new Date().toISOString();
      await tick();
      await admin('POST', `/admin/accounts/${acct.id}/credits`, { amount_usd: 0.5, note: 'po, "42"' });
      told += await spend(key, 'openai/gpt-4o-mini');

      const whole = (await admin('GET', `/admin/accounts/${acct.id}/statement?from=${t0}`)).body;
      assert.equal(whole.object, 'statement');
      assert.equal(whole.opening_balance_usd, 0);
      assert.deepEqual(
        whole.credits.map((c: { amount_usd: number }) => c.amount_usd),
        [0.01, 0.5],
      );
      const spent = whole.spend.reduce((sum: number, s: { cost_usd: number }) => sum + micros(s.cost_usd), 0);
      assert.equal(spent, told, 'spend is what the answers said they cost');
      assert.equal(micros(whole.spend_total_usd), told);
      assert.deepEqual(
        whole.spend.map((s: { model: string; requests: number }) => [s.model, s.requests]).sort(),
        [
          ['openai/gpt-4o', 1],
          ['openai/gpt-4o-mini', 2],
        ],
      );
      for (const s of whole.spend) assert.match(s.day, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(
        micros(whole.closing_balance_usd),
        micros(whole.opening_balance_usd) + micros(whole.credits_total_usd) - micros(whole.spend_total_usd),
      );
      const account = (await admin('GET', `/admin/accounts/${acct.id}`)).body;
      assert.equal(micros(whole.closing_balance_usd), micros(account.balance_usd), 'closing is the balance');
      const usage = (await admin('GET', `/admin/usage?account_id=${acct.id}&from=${t0}`)).body;
      const ledger = usage.data.reduce((sum: number, u: { cost_usd: number }) => sum + micros(u.cost_usd), 0);
      assert.equal(ledger, told, 'and the ledger agrees');

      // Two windows: the first one's closing is the second one's opening.
      const first = (await admin('GET', `/admin/accounts/${acct.id}/statement?from=${t0}&to=${t1}`)).body;
      const second = (await admin('GET', `/admin/accounts/${acct.id}/statement?from=${t1}`)).body;
      assert.equal(micros(first.closing_balance_usd), micros(second.opening_balance_usd));
      assert.equal(micros(second.closing_balance_usd), micros(whole.closing_balance_usd));
      assert.equal(first.credits.length + second.credits.length, 2);

      // CSV: the amounts add up to the closing balance.
      const csv = await admin('GET', `/admin/accounts/${acct.id}/statement?from=${t0}&format=csv`);
      assert.equal(csv.status, 200);
      assert.match(csv.res.headers.get('content-type') ?? '', /^text\/csv/);
      const lines = (csv.body as string).trim().split('\r\n');
      assert.equal(lines[0], 'type,date,model,id,note,requests,amount_usd');
      assert.ok(
        lines.some((l) => l.includes('"po, ""42"""')),
        'a note with a comma and quotes is quoted',
      );
      const amount = (line: string) => Number(line.slice(line.lastIndexOf(',') + 1));
      const body = lines.slice(1, -1);
      const closing = lines.at(-1)!;
      assert.match(closing, /^closing_balance,/);
      assert.equal(
        body.reduce((sum, line) => sum + micros(amount(line)), 0),
        micros(amount(closing)),
      );
    });

    test('bad statement requests are clear errors', async () => {
      assert.equal((await admin('GET', '/admin/accounts/acct_nope/statement')).status, 404);
      const bad = await admin('GET', '/admin/accounts/acct_default/statement?format=xml');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.param, 'format');
      const reversed = await admin(
        'GET',
        '/admin/accounts/acct_default/statement?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      );
      assert.equal(reversed.status, 400);
    });
  });
}
