// Price versions through the admin API (issue 18): a LiteLLM price file is compared (nothing written), then
// imported as version 1: the catalog, /admin/models and the cost and price_version of the next request's
// ledger row follow it, on this gateway and on a replica sharing the database (told over Redis, or finding
// it by polling). A tokgate-format file becomes version 2; version 1 stays stored. A malformed file is a
// 400 naming the entry and the field, and changes nothing. On SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

/** An excerpt of LiteLLM's file, with gpt-4o at other prices than the built-in ($2.50 / $10). */
function litellmFile(): Record<string, Record<string, unknown>> {
  const file = JSON.parse(readFileSync(new URL('../fixtures/litellm-prices.json', import.meta.url), 'utf8'));
  Object.assign(file['gpt-4o'], {
    input_cost_per_token: 1e-6,
    output_cost_per_token: 2e-6,
    cache_read_input_token_cost: 5e-7,
  });
  return file;
}

const today = () => new Date().toISOString().slice(0, 10);

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`gave up waiting for ${what}`);
}

for (const database of DATABASES) {
  // SQLite: the replica polls (quickly, for the test). PostgreSQL: it never polls in the test's time, so
  // only the Redis message can tell it.
  const viaRedis = database.name === 'postgres';
  describe(`price versions on ${database.name} (replica told ${viaRedis ? 'over Redis' : 'by polling'})`, () => {
    let fake: FakeOpenAI;
    let db: TestDatabase;
    let a: TestGateway;
    let b: TestGateway;

    before(async () => {
      fake = await startFakeOpenAI();
      db = await database.create();
      // Two gateways on one database need a file, not a private in-memory SQLite.
      const url =
        database.name === 'sqlite'
          ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'tokgate-prices-')), 'tokgate.db')}`
          : db.url;
      const env = {
        OPENAI_API_KEY: 'up',
        OPENAI_BASE_URL: fake.url,
        DATABASE_URL: url,
        ...(viaRedis
          ? {
              REDIS_URL: 'redis://127.0.0.1:6379',
              TOKGATE_REDIS_PREFIX: `tg-prices-${randomBytes(4).toString('hex')}:`,
            }
          : {}),
      };
      const pricePollMs = viaRedis ? 3_600_000 : 200;
      a = await startTestGateway(env, { pricePollMs });
      b = await startTestGateway(env, { pricePollMs });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await fake.close();
      await db.drop();
    });

    const admin = async (gw: TestGateway, method: string, path: string, json?: unknown) => {
      const res = await gw.call(path, { method, key: ADMIN_KEY, ...(json === undefined ? {} : { json }) });
      return { status: res.status, body: await readJson(res) };
    };
    const model = async (gw: TestGateway, id: string) =>
      (await admin(gw, 'GET', '/admin/models')).body.data.find((m: { id: string }) => m.id === id);

    /** One chat request on `gw`; its ledger row as /admin/requests shows it, and the answer's usage. */
    async function chargedRequest(gw: TestGateway) {
      const { key } = await gw.createKey();
      const answer = await gw.client(key).chat.completions.create({
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
      });
      await gw.gateway.ledger.flush();
      const rows = (await admin(gw, 'GET', '/admin/requests?limit=1')).body.data;
      return {
        row: rows[0],
        usage: answer.usage as unknown as { prompt_tokens: number; completion_tokens: number; cost: number },
      };
    }

    test('a diff shows what would change and writes nothing', async () => {
      const diff = await admin(a, 'POST', '/admin/prices/diff', litellmFile());
      assert.equal(diff.status, 200);
      assert.equal(diff.body.format, 'litellm');
      assert.equal(diff.body.models, 15);
      const gpt4o = diff.body.changes.find((c: { model: string }) => c.model === 'openai/gpt-4o');
      assert.deepEqual(gpt4o.change, 'changed');
      assert.deepEqual(gpt4o.fields, [
        { field: 'input', old: 2.5, new: 1 },
        { field: 'output', old: 10, new: 2 },
        { field: 'cached_input', old: 1.25, new: 0.5 },
      ]);
      assert.equal(gpt4o.old_version, 'builtin@2025-11-01');
      assert.ok(diff.body.changes.some((c: { model: string; change: string }) => c.change === 'added'));
      assert.deepEqual((await admin(a, 'GET', '/admin/prices/versions')).body.data, []);
      assert.equal((await model(a, 'openai/gpt-4o')).price_version, 'builtin@2025-11-01');
    });

    test('a malformed file: a 400 naming the entry and the field, and nothing changed', async () => {
      const file = litellmFile();
      file['claude-sonnet-4-5']!.output_cost_per_token = '15 dollars';
      const res = await admin(a, 'POST', '/admin/prices', file);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.type, 'invalid_request_error');
      assert.match(res.body.error.message, /entry 'claude-sonnet-4-5': field 'output_cost_per_token'/);
      const empty = await admin(a, 'POST', '/admin/prices', { tokgate_prices: 1, prices: { x: {} } });
      assert.equal(empty.status, 400);
      assert.match(empty.body.error.message, /entry 'x': not a model id/);
      assert.deepEqual((await admin(a, 'GET', '/admin/prices/versions')).body.data, []);
      assert.equal((await model(a, 'anthropic/claude-sonnet-4-5')).price.output, 15);
    });

    test('an import is version 1: the catalog, the next ledger row and a replica follow it', async () => {
      const res = await admin(a, 'POST', '/admin/prices?source=litellm%20main', litellmFile());
      assert.equal(res.status, 201);
      const version = `import-1@${today()}`;
      assert.equal(res.body.id, 1);
      assert.equal(res.body.version, version);
      assert.equal(res.body.format, 'litellm');
      assert.equal(res.body.source, 'litellm main');
      assert.equal(res.body.models, 15);
      assert.ok(res.body.changed >= 1 && res.body.added >= 1);

      const listed = await model(a, 'openai/gpt-4o');
      assert.equal(listed.price.input, 1);
      assert.equal(listed.price.output, 2);
      assert.equal(listed.price_version, version);
      assert.equal(listed.price_source, 'litellm main');
      assert.equal(listed.price_date, today());
      // A model the file adds is listed with its facts.
      const added = await model(a, 'openai/gpt-4o-mini-2024-07-18');
      assert.equal(added.price_version, version);
      assert.equal(added.price.input, 0.15);
      assert.equal(added.context_window, 128000);

      const { row, usage } = await chargedRequest(a);
      const micros = usage.prompt_tokens * 1 + usage.completion_tokens * 2;
      assert.equal(usage.cost, micros / 1e6);
      assert.equal(row.price_version, version);
      assert.equal(row.cost_usd, micros / 1e6);

      await until(
        'the replica to apply version 1',
        async () => (await model(b, 'openai/gpt-4o')).price_version === version,
      );
      const onReplica = await chargedRequest(b);
      assert.equal(onReplica.row.price_version, version);
      assert.equal(
        onReplica.row.cost_usd,
        (onReplica.usage.prompt_tokens + onReplica.usage.completion_tokens * 2) / 1e6,
      );
    });

    test('a tokgate-format file is version 2; models it leaves out fall back; version 1 stays stored', async () => {
      const res = await admin(b, 'POST', '/admin/prices', {
        tokgate_prices: 1,
        source: 'https://openai.com/api/pricing',
        date: '2026-12-01',
        prices: { 'openai/gpt-4o': { input: 3, output: 12, cached_input: 1.5 } },
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.id, 2);
      assert.equal(res.body.format, 'tokgate');
      const version = `import-2@${today()}`;
      await until(
        'the other gateway to apply version 2',
        async () => (await model(a, 'openai/gpt-4o')).price_version === version,
      );
      const listed = await model(a, 'openai/gpt-4o');
      assert.equal(listed.price.input, 3);
      assert.equal(listed.price_source, 'https://openai.com/api/pricing');
      assert.equal(listed.price_date, '2026-12-01');
      assert.match((await model(a, 'anthropic/claude-sonnet-4-5')).price_version, /^builtin@/);
      assert.match((await model(a, 'google/gemini-2.5-flash')).price_version, /^builtin@/);
      assert.equal(await model(a, 'openai/gpt-4o-mini-2024-07-18'), undefined);

      const versions = await admin(a, 'GET', '/admin/prices/versions');
      assert.equal(versions.body.current, 2);
      assert.deepEqual(
        versions.body.data.map((v: { id: number; format: string }) => [v.id, v.format]),
        [
          [2, 'tokgate'],
          [1, 'litellm'],
        ],
      );
      // The prices version 1 charged are kept: its rows can be re-rated.
      const first = await admin(a, 'GET', '/admin/prices/versions/1');
      assert.equal(first.body.prices['openai/gpt-4o'].input, 1);
      assert.equal(first.body.prices['openai/gpt-4o'].source, 'litellm main');
      assert.equal((await admin(a, 'GET', '/admin/prices/versions/99')).status, 404);
      assert.equal((await chargedRequest(a)).row.price_version, version);
    });
  });
}
