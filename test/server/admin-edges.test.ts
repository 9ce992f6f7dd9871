// Admin and self-service edges, on SQLite and on PostgreSQL (whose text cannot hold U+0000 and whose
// integers overflow): every bad value is a 400 naming its parameter, never a 500; admin answers are never
// cached; the API never lets a browser guess a content type.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

for (const database of DATABASES) {
  describe(`admin edges on ${database.name}`, () => {
    let db: TestDatabase;
    let gw: TestGateway;
    before(async () => {
      db = await database.create();
      gw = await startTestGateway({ DATABASE_URL: db.url });
    });
    after(async () => {
      await gw.close();
      await db.drop();
    });

    const admin = (path: string, json?: unknown, method = json === undefined ? 'GET' : 'POST') =>
      gw.call(path, { method, key: ADMIN_KEY, ...(json === undefined ? {} : { json }) });

    async function assertRefused(res: Response, param: string) {
      assert.equal(res.status, 400, `${param}: ${res.status}`);
      const body = await readJson(res);
      assert.equal(body.error.param, param);
      assert.equal(body.error.type, 'invalid_request_error');
    }

    test('U+0000 in a stored or queried string is a 400 naming the parameter', async () => {
      await assertRefused(await admin('/admin/accounts', { name: 'a\u0000b' }), 'name');
      await assertRefused(
        await admin('/admin/keys', { name: 'k', models: ['openai/*', 'x\u0000'] }),
        'models[1]',
      );
      await assertRefused(await admin('/admin/requests?model=a%00b'), 'model');
      await assertRefused(await admin('/admin/usage?key_id=%00'), 'key_id');
      const { key } = await gw.createKey();
      await assertRefused(await gw.call('/v1/requests?model=%00', { key }), 'model');
      await assertRefused(await gw.call('/v1/usage?model=%00', { key }), 'model');
    });

    test('amounts beyond the bound and times beyond any date are 400s', async () => {
      await assertRefused(await admin('/admin/accounts', { name: 'rich', credits_usd: 9e15 }), 'credits_usd');
      await assertRefused(await admin('/admin/keys', { name: 'k', budget_usd: 9e15 }), 'budget_usd');
      const account = await readJson(await admin('/admin/accounts', { name: 'ok', credits_usd: 1 }));
      await assertRefused(
        await admin(`/admin/accounts/${account.id}/credits`, { amount_usd: 9e15 }),
        'amount_usd',
      );
      await assertRefused(await admin('/admin/usage?from=12345678901234567890'), 'from');
      await assertRefused(await admin('/admin/requests?to=99999999999999999999'), 'to');
      // In range, still fine.
      assert.equal((await admin('/admin/usage?from=0&to=4102444800')).status, 200);
    });

    test('admin answers are not cacheable; the API says nosniff', async () => {
      const created = await admin('/admin/keys', { name: 'secret' });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      assert.equal((await admin('/admin/accounts')).headers.get('cache-control'), 'no-store');
      assert.equal(
        (await gw.call('/v1/models', { key: ADMIN_KEY })).headers.get('x-content-type-options'),
        'nosniff',
      );
    });
  });
}
