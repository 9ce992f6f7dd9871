// The ledger's write-ahead spool and exactly-once writes, on SQLite and PostgreSQL: rows wait on disk while
// the database is down (also beyond the memory bound), drain once it is back, and a dead process's spool is
// replayed without counting anything twice.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import pino from 'pino';
import { Ledger } from '../../src/accounting/ledger.js';
import { Spool } from '../../src/accounting/spool.js';
import type { RequestRow } from '../../src/store/store.js';
import { Store } from '../../src/store/store.js';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { ledgerStoreHelpers } from '../support/ledger-store.js';
import { requestRow } from '../support/request-row.js';

const log = pino({ level: 'silent' });

const row = (accountId: string, cost = 10) => requestRow({ account_id: accountId, cost_micros: cost });

/** The store, with writes that fail while `down` is set (the database unreachable). */
function flaky(store: Store) {
  const state = { down: false };
  const wrapped = Object.create(store) as Store;
  wrapped.insertRequests = (rows) =>
    state.down ? Promise.reject(new Error('connect ECONNREFUSED')) : store.insertRequests(rows);
  return { store: wrapped, state };
}

for (const database of DATABASES) {
  describe(`ledger spool on ${database.name}`, () => {
    let db: TestDatabase;
    let store: Store;
    before(async () => {
      db = await database.create();
      store = await Store.open(db.url);
    });
    after(async () => {
      await store.close();
      await db.drop();
    });

    const { account, spend, count } = ledgerStoreHelpers(() => store, 'spool');

    test('rows are written exactly once by id: a replay changes nothing, and is not charged twice', async () => {
      const acct = await account();
      const rows = [row(acct), row(acct)];
      assert.equal(await store.insertRequests(rows), 2);
      assert.equal(await store.insertRequests(rows), 0);
      assert.equal(await spend(acct), 20);
      // A different request that reuses an id (a client's x-request-id) is still paid for.
      assert.equal(
        await store.insertRequests([{ ...rows[0]!, created_at: rows[0]!.created_at + 5 }]),
        database.name === 'postgres' ? 1 : 0,
      );
      assert.equal(await spend(acct), 30);
    });

    test('a write while a query-builder transaction holds the connection waits for it, then counts once', async () => {
      const acct = await account();
      const rows = [row(acct), row(acct)];
      // The builder is private to the store; an admin operation's transaction is what this stands for.
      const builder = (store as unknown as { db: Kysely<unknown> }).db;
      let written: Promise<number> | undefined;
      await builder.transaction().execute(async (tx) => {
        await sql`select 1`.execute(tx);
        written = store.insertRequests(rows);
        await sql`select 1`.execute(tx);
      });
      assert.equal(await written, 2);
      assert.equal(await count(rows.map((r) => r.id)), 2);
      assert.equal(await spend(acct), 20);
      assert.equal(await store.insertRequests(rows), 0, 'and a replay is still skipped');
      assert.equal(await spend(acct), 20);
    });

    test('the database down: rows wait in the spool (past the memory bound) and drain once it is back', async () => {
      const acct = await account();
      const dir = mkdtempSync(join(tmpdir(), 'tokgate-spool-'));
      const { store: sometimes, state } = flaky(store);
      const flushed: RequestRow[] = [];
      const ledger = new Ledger(sometimes, log, {
        spool: new Spool(dir, 50),
        maxBuffered: 40,
        maxBatch: 25,
        onFlushed: (rows) => flushed.push(...rows),
      });
      state.down = true;
      const rows = Array.from({ length: 120 }, () => row(acct));
      for (const r of rows) await ledger.record(r);
      await ledger.flush();
      const down = ledger.status();
      assert.ok(down.error?.includes('ECONNREFUSED'));
      assert.ok(down.buffered <= 40, `memory holds at most the bound, not ${down.buffered}`);
      assert.equal(down.spooled, 120);
      assert.equal(await count(rows.map((r) => r.id)), 0);

      state.down = false;
      await ledger.flush();
      assert.deepEqual(ledger.status(), { buffered: 0, spooled: 0, error: undefined });
      assert.equal(await count(rows.map((r) => r.id)), 120);
      assert.equal(await spend(acct), 1200);
      assert.equal(flushed.length, 120, 'the wallet hears of every row once');
      await ledger.close();
      assert.equal(existsSync(dir), false, 'written segments are deleted, and the empty directory');
    });

    test('a process that died with rows unwritten: the next one replays its spool, once', async () => {
      const acct = await account();
      const dir = mkdtempSync(join(tmpdir(), 'tokgate-spool-'));
      const { store: never, state } = flaky(store);
      state.down = true;
      const dead = new Ledger(never, log, { spool: new Spool(dir) });
      const rows = Array.from({ length: 30 }, () => row(acct));
      await Promise.all(rows.map((r) => dead.record(r)));
      // A write that reached the database just before the crash: the replay must not charge it again.
      await store.insertRequests(rows.slice(0, 5));
      // ... and the process is gone (its ledger is dropped without a flush).

      const replayed: RequestRow[] = [];
      const next = new Ledger(store, log, { spool: new Spool(dir), onReplayed: (r) => replayed.push(...r) });
      assert.equal(await next.recover(), 25);
      assert.equal(replayed.length, 30);
      assert.equal(await next.recover(), 0, 'nothing left to replay');
      assert.equal(await count(rows.map((r) => r.id)), 30);
      assert.equal(await spend(acct), 300);
      assert.deepEqual(readdirSync(dir), []);
    });
  });
}
