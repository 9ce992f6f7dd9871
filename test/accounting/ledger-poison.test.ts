// One row cannot stop the ledger, on SQLite and PostgreSQL: rows are made storable before they are queued
// (a model id holding U+0000, a 10 MB one), a row the database still refuses is split out of its batch and
// dead-lettered while the rest are written (also when replayed from a dead process's spool, once), and a
// database that is down keeps every row queued: nothing good is dead-lettered, and health says stalled.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import pino from 'pino';
import { type DeadLetterPlace, Ledger } from '../../src/accounting/ledger.js';
import { DEAD_LETTERS, Spool } from '../../src/accounting/spool.js';
import { isRowRefused } from '../../src/store/errors.js';
import type { RequestRow } from '../../src/store/store.js';
import { Store } from '../../src/store/store.js';
import { startTcpProxy } from '../scale/support.js';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { ledgerStoreHelpers } from '../support/ledger-store.js';
import { requestRow } from '../support/request-row.js';

const log = pino({ level: 'silent' });
/** A model id the test database is told to refuse (a constraint or trigger), as a stand-in for any row
 * the database refuses after it was made storable. */
const REFUSED = 'poison/refused';

const row = (accountId: string, over: Partial<RequestRow> = {}) =>
  requestRow({ account_id: accountId, ...over });

const builder = (store: Store) => (store as unknown as { db: Kysely<unknown> }).db;

/** Makes the database refuse rows whose model is REFUSED, the way it refuses bad data. */
async function refuse(store: Store, on: boolean): Promise<void> {
  const db = builder(store);
  if (store.engine === 'postgres') {
    await sql`alter table request_log drop constraint if exists refuse_poison`.execute(db);
    if (on)
      await sql`alter table request_log add constraint refuse_poison check (model <> ${sql.lit(REFUSED)})`.execute(
        db,
      );
  } else {
    await sql`drop trigger if exists refuse_poison`.execute(db);
    if (on)
      await sql`create trigger refuse_poison before insert on requests
        when new.model = ${sql.lit(REFUSED)} begin select raise(abort, 'refused by the test'); end`.execute(
        db,
      );
  }
}

function outage(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

for (const database of DATABASES) {
  describe(`one row cannot stop the ledger on ${database.name}`, () => {
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

    const { account, spend, count } = ledgerStoreHelpers(() => store, 'poison');
    const deadLetter = async (id: string) => (await store.listDeadLetters(1000)).find((d) => d.id === id);

    test('the database itself refuses the raw poison, and the refusal is told from an outage', async () => {
      const acct = await account();
      if (store.engine === 'postgres') {
        // What the probe hit: PostgreSQL text cannot hold U+0000 (SQLSTATE 22P05 through the JSON batch).
        const raw = row(acct, { model: 'openai/gpt-4o\u0000' });
        await assert.rejects(store.insertRequests([raw]), (error) => isRowRefused(error));
      }
      await refuse(store, true);
      try {
        await assert.rejects(store.insertRequests([row(acct, { model: REFUSED })]), (error) =>
          isRowRefused(error),
        );
      } finally {
        await refuse(store, false);
      }
      assert.equal(isRowRefused(outage('ECONNREFUSED', 'connect ECONNREFUSED')), false);
      assert.equal(
        isRowRefused(outage('57P01', 'terminating connection due to administrator command')),
        false,
      );
      assert.equal(isRowRefused(outage('08006', 'connection failure')), false);
      assert.equal(isRowRefused(outage('SQLITE_BUSY', 'database is locked')), false);
      assert.equal(isRowRefused(outage('SQLITE_IOERR', 'disk I/O error')), false);
      assert.equal(isRowRefused(new Error('Connection terminated unexpectedly')), false);
    });

    test('a model id holding U+0000 and a 10 MB one are made storable: they and the 20 after them are written', async () => {
      const acct = await account();
      const dir = mkdtempSync(join(tmpdir(), 'tokgate-poison-'));
      const ledger = new Ledger(store, log, { spool: new Spool(dir), maxBatch: 500 });
      const nul = row(acct, { model: 'openai/gpt-4o\u0000evil', error_code: 'x\u0000y' });
      const huge = row(acct, { model: `openai/${'m'.repeat(10 * 1024 * 1024)}` });
      const lone = row(acct, { upstream_model: 'gpt\ud800' });
      const later = Array.from({ length: 20 }, () => row(acct));
      for (const r of [nul, huge, lone, ...later]) await ledger.record(r);
      await ledger.flush();
      assert.equal(ledger.status().error, undefined);
      assert.equal(await count([nul, huge, lone, ...later].map((r) => r.id)), 23);
      assert.equal((await store.getRequest(nul.id))!.model, 'openai/gpt-4o\ufffdevil');
      assert.equal((await store.getRequest(nul.id))!.error_code, 'x\ufffdy');
      const stored = (await store.getRequest(huge.id))!.model;
      assert.equal(stored.length, 256);
      assert.ok(stored.startsWith('openai/mmm') && stored.endsWith('…'));
      assert.equal((await store.getRequest(lone.id))!.upstream_model, 'gpt\ufffd');
      assert.equal(await spend(acct), 230);
      assert.equal(ledger.health().status, 'ok');
      assert.equal(ledger.health().dead_letters, 0);
      await ledger.close();
      assert.equal(existsSync(dir), false, 'every segment completed');
    });

    test('a row the database refuses is split out of its batch and dead-lettered; the rest, and the next 20, are written', async () => {
      const acct = await account();
      const dir = mkdtempSync(join(tmpdir(), 'tokgate-poison-'));
      const places: DeadLetterPlace[] = [];
      const flushed: RequestRow[] = [];
      const ledger = new Ledger(store, log, {
        spool: new Spool(dir),
        maxBatch: 500,
        onDeadLetter: (_row, place) => places.push(place),
        onFlushed: (rows) => flushed.push(...rows),
      });
      await refuse(store, true);
      try {
        const before = Array.from({ length: 10 }, () => row(acct));
        const poison = row(acct, { model: REFUSED, cost_micros: 7 });
        const rest = Array.from({ length: 10 }, () => row(acct));
        for (const r of [...before, poison, ...rest]) await ledger.record(r);
        await ledger.flush();
        assert.equal(await count([...before, ...rest].map((r) => r.id)), 20);
        assert.equal(await store.getRequest(poison.id), undefined);
        const letter = await deadLetter(poison.id);
        assert.ok(letter, 'the refused row is in ledger_dead_letters');
        assert.deepEqual(JSON.parse(letter.row_json), poison);
        assert.ok(letter.error.length > 0);
        assert.equal(letter.error_code, store.engine === 'postgres' ? '23514' : 'SQLITE_CONSTRAINT_TRIGGER');
        assert.deepEqual(places, ['database']);
        assert.equal(await spend(acct), 20 * 10 + 7, 'the dead letter is still paid for, once');
        assert.equal(flushed.length, 21, 'the wallet hears of every row once');

        // The ledger goes on: the next 20 are written.
        const next = Array.from({ length: 20 }, () => row(acct));
        for (const r of next) await ledger.record(r);
        await ledger.flush();
        assert.equal(await count(next.map((r) => r.id)), 20);
        const health = ledger.health();
        assert.equal(health.status, 'ok');
        assert.equal(health.dead_letters, 1);
        assert.equal(health.buffered, 0);
        assert.equal(health.spooled, 0, 'the dead-lettered row is not waiting in the spool');
        assert.ok(health.last_write_ms_ago !== null && health.last_write_ms_ago < 5_000);
      } finally {
        await refuse(store, false);
      }
      await ledger.close();
      assert.equal(existsSync(dir), false, 'its segment completed: nothing is replayed again');
    });

    test("a dead process's spool with a raw U+0000 row and a refused row: replayed, dead-lettered once, charged once", async () => {
      const acct = await account();
      const dir = mkdtempSync(join(tmpdir(), 'tokgate-poison-'));
      // As an older release spooled them: raw, not made storable.
      const rows = [
        row(acct),
        row(acct, { model: 'openai/gpt-4o\u0000' }),
        row(acct, { model: REFUSED, cost_micros: 5 }),
        ...Array.from({ length: 20 }, () => row(acct)),
      ];
      const spoolFile = async () => {
        const dead = new Spool(dir);
        await Promise.all(rows.map((r) => dead.append(r).durable));
        // ... and the process is gone, its segment left behind.
      };
      await spoolFile();
      const places: DeadLetterPlace[] = [];
      await refuse(store, true);
      try {
        const next = new Ledger(store, log, {
          spool: new Spool(dir),
          onDeadLetter: (_r, place) => places.push(place),
        });
        assert.equal(await next.recover(), 22);
        assert.deepEqual(readdirSync(dir), [], 'the segment is done');
        assert.equal(await count(rows.map((r) => r.id)), 22);
        assert.equal((await store.getRequest(rows[1]!.id))!.model, 'openai/gpt-4o\ufffd');
        assert.ok(await deadLetter(rows[2]!.id));
        assert.deepEqual(places, ['database']);
        assert.equal(await spend(acct), 22 * 10 + 5);

        // Killed before the file was deleted: the same spool again changes nothing and charges nothing.
        await spoolFile();
        assert.equal(await next.recover(), 0);
        assert.equal(await spend(acct), 22 * 10 + 5);
        assert.equal(
          (await store.listDeadLetters(1000)).filter((d) => d.id === rows[2]!.id).length,
          1,
          'one dead letter',
        );
        assert.deepEqual(readdirSync(dir), []);
      } finally {
        await refuse(store, false);
      }
    });

    test('the dead-letter table refusing too: the row goes to a file beside the spool, the others are written', async () => {
      const acct = await account();
      const dir = mkdtempSync(join(tmpdir(), 'tokgate-poison-'));
      const stubborn = Object.create(store) as Store;
      stubborn.insertDeadLetter = () => Promise.reject(outage('22021', 'invalid byte sequence'));
      const places: DeadLetterPlace[] = [];
      const ledger = new Ledger(stubborn, log, {
        spool: new Spool(dir),
        onDeadLetter: (_r, place) => places.push(place),
      });
      await refuse(store, true);
      try {
        const rows = [row(acct), row(acct, { model: REFUSED }), row(acct)];
        for (const r of rows) await ledger.record(r);
        await ledger.flush();
        assert.equal(await count([rows[0]!.id, rows[2]!.id]), 2);
        assert.deepEqual(places, ['file']);
        const file = readFileSync(join(dir, DEAD_LETTERS), 'utf8').trim().split('\n');
        assert.equal(file.length, 1);
        assert.equal((JSON.parse(file[0]!) as { id: string }).id, rows[1]!.id);
        assert.equal(ledger.status().spooled, 0);
        // Without a spool there is only the log; the ledger still goes on.
        const bare = new Ledger(stubborn, log, { onDeadLetter: (_r, place) => places.push(place) });
        const more = [row(acct, { model: REFUSED }), row(acct)];
        for (const r of more) await bare.record(r);
        await bare.flush();
        assert.deepEqual(places, ['file', 'log']);
        assert.equal(await count([more[1]!.id]), 1);
      } finally {
        await refuse(store, false);
      }
      await ledger.close();
      assert.deepEqual(readdirSync(dir), [DEAD_LETTERS], 'segments done; the dead letters stay');
    });

    test('the database down mid-split: what is left stays queued, nothing good is dead-lettered', async () => {
      const acct = await account();
      let calls = 0;
      const flaky = Object.create(store) as Store;
      // A refusal first (the split starts), then the database goes away.
      flaky.insertRequests = (rows) => {
        calls += 1;
        if (calls === 1) return Promise.reject(outage('23514', 'check constraint'));
        if (calls <= 4) return Promise.reject(outage('ECONNREFUSED', 'connect ECONNREFUSED'));
        return store.insertRequests(rows);
      };
      const places: DeadLetterPlace[] = [];
      const ledger = new Ledger(flaky, log, { onDeadLetter: (_r, place) => places.push(place) });
      const rows = Array.from({ length: 8 }, () => row(acct));
      for (const r of rows) await ledger.record(r);
      await ledger.flush();
      assert.equal(ledger.status().buffered, 8);
      assert.match(ledger.status().error ?? '', /ECONNREFUSED/);
      assert.deepEqual(places, []);
      await ledger.flush(); // still down (call 3)
      await ledger.flush(); // still down (call 4)
      await ledger.flush();
      assert.equal(ledger.status().buffered, 0);
      assert.equal(await count(rows.map((r) => r.id)), 8);
      assert.deepEqual(places, [], 'no good row was set aside');
      await ledger.close();
    });

    test('the database unreachable: rows stay queued, none dead-lettered, health says stalled until they are written', async () => {
      const acct = await account();
      const dir = mkdtempSync(join(tmpdir(), 'tokgate-poison-'));
      let down: (() => Promise<void>) | undefined;
      let up: (() => Promise<void>) | undefined;
      let target = store;
      let closeTarget = async () => undefined;
      if (store.engine === 'postgres') {
        // A real outage: the connections are cut and new ones refused.
        const proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
        const url = new URL(db.url);
        url.port = String(proxy.port);
        target = await Store.open(url.toString());
        down = () => proxy.cut();
        up = () => proxy.restore();
        closeTarget = async () => {
          await target.close();
          await proxy.close();
        };
      } else {
        // SQLite is in-process: a locked or failing disk is what "down" means; its errors are not refusals.
        const state = { down: false };
        const failing = Object.create(store) as Store;
        failing.insertRequests = (rows) =>
          state.down
            ? Promise.reject(outage('SQLITE_BUSY', 'database is locked'))
            : store.insertRequests(rows);
        target = failing;
        down = async () => {
          state.down = true;
        };
        up = async () => {
          state.down = false;
        };
      }
      const places: DeadLetterPlace[] = [];
      const ledger = new Ledger(target, log, {
        spool: new Spool(dir),
        stallMs: 300,
        onDeadLetter: (_r, place) => places.push(place),
      });
      try {
        await ledger.record(row(acct));
        await ledger.flush();
        assert.equal(ledger.health().status, 'ok');
        await down();
        const rows = Array.from({ length: 20 }, () => row(acct));
        for (const r of rows) await ledger.record(r);
        await ledger.flush();
        assert.equal(ledger.status().buffered, 20, 'kept queued');
        assert.ok(ledger.status().error);
        assert.equal(ledger.health().status, 'ok', 'not stalled yet');
        await new Promise((r) => setTimeout(r, 400));
        await ledger.flush();
        const stalled = ledger.health();
        assert.equal(stalled.status, 'stalled');
        assert.ok(stalled.last_write_ms_ago! >= 300);
        assert.equal(stalled.spooled, 20);
        assert.deepEqual(places, [], 'an outage dead-letters nothing');
        await up();
        for (let i = 0; i < 50 && ledger.status().buffered > 0; i++) {
          await ledger.flush();
          if (ledger.status().buffered > 0) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(await count(rows.map((r) => r.id)), 20);
        assert.equal(ledger.health().status, 'ok');
        assert.deepEqual(places, []);
        assert.equal(
          (await store.listDeadLetters(1000)).filter((d) => rows.some((r) => r.id === d.id)).length,
          0,
        );
      } finally {
        await ledger.close();
        await closeTarget();
      }
    });
  });
}
