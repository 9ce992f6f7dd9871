// The probe, through real gateway requests on SQLite and PostgreSQL: a model id holding U+0000 and a 10 MB
// one are answered and written (storable), a row the database refuses is dead-lettered and counted while
// the next 20 requests are written, and /ready says the ledger is stalled while nothing can be written and
// is 200 again once writes resume.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { Spool } from '../../src/accounting/spool.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

/** A priced model the test database is told to refuse rows of (a constraint or trigger). */
const REFUSED = 'openai/gpt-4o-mini';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const database of DATABASES) {
  describe(`a poison ledger row through the gateway on ${database.name}`, () => {
    let fake: FakeOpenAI;
    let db: TestDatabase;
    let gw: TestGateway;
    let key: string;
    let spoolDir: string;
    const builder = () => (gw.gateway.store as unknown as { db: Kysely<unknown> }).db;

    before(async () => {
      fake = await startFakeOpenAI();
      db = await database.create();
      spoolDir = mkdtempSync(join(tmpdir(), 'tokgate-poison-gw-'));
      gw = await startTestGateway({
        DATABASE_URL: db.url,
        OPENAI_API_KEY: 'sk-upstream',
        OPENAI_BASE_URL: fake.url,
        TOKGATE_SPOOL_DIR: spoolDir,
        TOKGATE_LEDGER_STALL_SECONDS: '1',
      });
      ({ key } = await gw.createKey({ name: 'poison' }));
    });
    after(async () => {
      await gw.close();
      await fake.close();
      await db.drop();
    });

    const chat = (model: string) =>
      gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: { model, messages: [{ role: 'user', content: 'hi' }] },
      });

    /** Sends 20 ordinary requests; returns their request ids. */
    async function twenty(): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await chat('openai/gpt-4o');
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        ids.push(res.headers.get('x-request-id')!);
      }
      return ids;
    }
    async function written(ids: readonly string[]): Promise<number> {
      let n = 0;
      for (const id of ids) if (await gw.gateway.store.getRequest(id)) n += 1;
      return n;
    }
    const segments = () =>
      readdirSync(spoolDir, { recursive: true }).filter((f) => String(f).endsWith('.jsonl'));

    test('model ids holding U+0000 or 10 MB long are refused at the door, and the 20 after them are written', async () => {
      // The model id grammar stops them before anything is stored (test/accounting/ledger-poison.test.ts
      // covers such rows reaching the ledger by any other way).
      const nul = await chat('openai/gpt-4o\u0000evil');
      assert.equal(nul.status, 400);
      await nul.arrayBuffer();
      const huge = await chat(`openai/${'m'.repeat(10 * 1024 * 1024)}`);
      assert.equal(huge.status, 400);
      await huge.arrayBuffer();
      const ids = await twenty();
      await gw.gateway.ledger.flush();
      assert.equal(await written(ids), 20, 'the next 20 requests are written');
      const logged = gw.logs.reduce((n, line) => n + line.length, 0);
      assert.ok(logged < 1_000_000, `the 10 MB id is not in the log (${logged} characters logged)`);
      const ready = await gw.call('/ready');
      assert.equal(ready.status, 200);
      assert.equal((await readJson(ready)).ledger.status, 'ok');
    });

    test('a row the database refuses is dead-lettered and counted; the next 20 requests are written', async () => {
      const spendBefore = (await gw.gateway.store.keySpend(gw.gateway.store ? await keyId() : ''))!;
      if (gw.gateway.store.engine === 'postgres')
        await sql`alter table request_log add constraint refuse_poison check (model <> ${sql.lit(REFUSED)})`.execute(
          builder(),
        );
      else
        await sql`create trigger refuse_poison before insert on requests
          when new.model = ${sql.lit(REFUSED)} begin select raise(abort, 'refused by the test'); end`.execute(
          builder(),
        );
      const poison = await chat(REFUSED);
      assert.equal(poison.status, 200, 'answered');
      await poison.arrayBuffer();
      const poisonId = poison.headers.get('x-request-id')!;
      const ids = await twenty();
      await gw.gateway.ledger.flush();
      assert.equal(await written(ids), 20, 'the next 20 requests are written');
      assert.equal(await gw.gateway.store.getRequest(poisonId), undefined);
      const letters = await gw.gateway.store.listDeadLetters();
      const letter = letters.find((d) => d.id === poisonId);
      assert.ok(letter, 'the dead-letter row exists');
      const refused = JSON.parse(letter.row_json) as { model: string; cost_micros: number };
      assert.equal(refused.model, REFUSED);
      assert.ok(refused.cost_micros > 0, 'a priced answer');
      const metrics = await (await gw.call('/metrics')).text();
      assert.match(metrics, /tokgate_ledger_dead_letters_total\{to="database"\} 1\b/);
      const ready = await gw.call('/ready');
      assert.equal(ready.status, 200);
      const body = await readJson(ready);
      assert.equal(body.ledger.status, 'ok');
      assert.equal(body.ledger.dead_letters, 1);
      assert.equal(body.ledger.spooled, 0);
      // Nothing to replay: a segment still on disk (it is deleted once it holds enough rows) holds only rows
      // the database has, the refused one as its dead letter.
      for (const file of segments()) {
        for (const row of Spool.read(join(spoolDir, String(file)))) {
          const stored = (await gw.gateway.store.getRequest(row.id)) ?? letters.find((d) => d.id === row.id);
          assert.ok(stored, `${row.id} of ${String(file)} is in the database`);
        }
      }
      // The refused row is paid for like the others (the fake's answers cost the same).
      const spendAfter = (await gw.gateway.store.keySpend(await keyId()))!;
      const perRequest = (await gw.gateway.store.getRequest(ids[0]!))!.cost_micros ?? 0;
      assert.equal(spendAfter - spendBefore, 20 * perRequest + refused.cost_micros);
    });

    test('/ready says the ledger is stalled while nothing can be written, and is 200 once writes resume', async () => {
      // Hold the ledger table: the database answers (/ready's ping works) but no ledger row can be written.
      let release: () => Promise<void>;
      if (gw.gateway.store.engine === 'postgres') {
        const holder = new pg.Client({ connectionString: db.url });
        await holder.connect();
        await holder.query('begin');
        await holder.query('lock table request_log in access exclusive mode');
        release = async () => {
          await holder.query('rollback');
          await holder.end();
        };
      } else {
        await sql`alter table requests rename to requests_held`.execute(builder());
        release = async () => {
          await sql`alter table requests_held rename to requests`.execute(builder());
        };
      }
      let ids: string[] = [];
      try {
        ids = await twenty();
        await until('/ready to report the stall', async () => (await gw.call('/ready')).status === 503);
        const body = await readJson(await gw.call('/ready'));
        assert.equal(body.database, 'ok');
        assert.equal(body.ledger.status, 'stalled');
        assert.ok(body.ledger.last_write_ms_ago >= 1000);
        assert.ok(body.ledger.buffered + body.ledger.spooled >= 1);
      } finally {
        await release();
      }
      await until('/ready to be 200 again', async () => (await gw.call('/ready')).status === 200);
      await gw.gateway.ledger.flush();
      assert.equal(await written(ids), 20);
      const body = await readJson(await gw.call('/ready'));
      assert.equal(body.ledger.status, 'ok');
      assert.equal(body.ledger.dead_letters, 1, 'an outage dead-letters nothing');
    });

    async function keyId(): Promise<string> {
      const keys = await readJson(await gw.call('/admin/keys', { key: ADMIN_KEY }));
      return (keys.data as Array<{ id: string; name: string }>).find((k) => k.name === 'poison')!.id;
    }
  });
}
