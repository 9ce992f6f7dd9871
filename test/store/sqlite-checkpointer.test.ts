// SQLite's WAL checkpoints off the event loop (src/store/sqlite-checkpointer.ts), on real database files:
// the gateway's connection checkpoints only as a backstop, the worker's checkpoints let the WAL start over
// (asked for and on its own interval), a failed worker hands checkpoints back to the connection, and a
// closed store leaves no WAL behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import {
  BACKSTOP_PAGES,
  type CheckpointResult,
  SqliteCheckpointer,
} from '../../src/store/sqlite-checkpointer.js';
import { Store } from '../../src/store/store.js';
import { requestRow } from '../support/request-row.js';

const dir = mkdtempSync(join(tmpdir(), 'tokgate-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const freshPath = () => join(dir, `db-${++files}.sqlite`);
const walSize = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

let seq = 0;
/**
 * ~2,000 WAL frames' worth of ledger rows in 64-row batches, as the gateway writes them: its ids grow with
 * time (random ones would touch more pages of the id index in each round, as the table grows).
 */
async function writeRows(store: Store, batches = 100): Promise<void> {
  for (let b = 0; b < batches; b++)
    await store.insertRequests(
      Array.from({ length: 64 }, () => requestRow({ id: `req_${String(++seq).padStart(12, '0')}` })),
    );
}

describe('SQLite checkpoints off the event loop', () => {
  test("the store's connection checkpoints only as a backstop; the WAL starts over after each checkpoint", async () => {
    const path = freshPath();
    const store = await Store.open(`sqlite:${path}`);
    try {
      const atOpen = store.checkpointer;
      assert.equal(atOpen, undefined, 'started by the first ledger write, not by opening');
      await writeRows(store, 1);
      assert.equal(store.checkpointer?.running, true);
      // A connection's own setting: asked on the store's connection.
      const connection = (store as unknown as { db: Kysely<unknown> }).db;
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(
        connection,
      );
      assert.equal(rows[0]!.wal_autocheckpoint, BACKSTOP_PAGES);

      const sizes: number[] = [];
      for (let round = 0; round < 4; round++) {
        await writeRows(store);
        const result: CheckpointResult | undefined = await store.checkpointer!.checkpoint();
        assert.ok(result, 'the worker answered');
        assert.equal(result.busy, 0);
        assert.ok(result.log > 500, `a round writes hundreds of frames (${result.log})`);
        assert.equal(result.checkpointed, result.log, 'every frame copied into the database file');
        sizes.push(walSize(path));
      }
      // Without the worker's checkpoints the WAL would hold all four rounds (below the backstop's 10,000
      // pages): about four times the first round's size. Started over, it stays the size of one round.
      assert.ok(sizes[0]! > 0);
      assert.ok(Math.max(...sizes) <= sizes[0]! * 1.25, `WAL sizes by round: ${sizes.join(', ')}`);
      const { rows: counted } = await sql<{ n: number }>`select count(*) as n from requests`.execute(
        connection,
      );
      assert.equal(counted[0]!.n, (4 * 100 + 1) * 64, 'every row is in the database');
    } finally {
      await store.close();
    }
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close finished the WAL');
  });

  test('the worker checkpoints on its interval without being asked', async () => {
    const path = freshPath();
    const database = new SQLite(path);
    database.pragma('journal_mode = WAL');
    database.exec('create table t (id integer primary key, v text)');
    const insert = database.prepare('insert into t (v) values (?)');
    const checkpointer = new SqliteCheckpointer(database, path, 20);
    try {
      // Answered once the worker has started (loading it takes longer than a round).
      assert.ok(await checkpointer.checkpoint());
      const sizes: number[] = [];
      for (let round = 0; round < 4; round++) {
        database.transaction(() => {
          for (let i = 0; i < 2000; i++) insert.run('x'.repeat(200));
        })();
        sizes.push(walSize(path));
        await sleep(150);
      }
      assert.ok(sizes[0]! > 0);
      assert.ok(Math.max(...sizes) <= sizes[0]! * 1.25, `WAL sizes by round: ${sizes.join(', ')}`);
      assert.equal(checkpointer.running, true);
    } finally {
      await checkpointer.close();
      database.close();
    }
  });

  test('a worker that fails hands checkpoints back to the connection at SQLite’s own threshold', async () => {
    const database = new SQLite(freshPath());
    database.pragma('journal_mode = WAL');
    // The worker opens its own connection to a file that must exist: this one does not.
    const checkpointer = new SqliteCheckpointer(database, join(dir, 'missing', 'db.sqlite'));
    try {
      for (let i = 0; i < 200 && checkpointer.running; i++) await sleep(10);
      assert.equal(checkpointer.running, false);
      assert.ok(checkpointer.lastError);
      assert.equal(database.pragma('wal_autocheckpoint', { simple: true }), 1000);
      assert.equal(await checkpointer.checkpoint(), undefined);
    } finally {
      await checkpointer.close();
      database.close();
    }
  });

  test('an in-memory store has no WAL and no checkpointer', async () => {
    const store = await Store.open('sqlite::memory:');
    try {
      assert.equal(store.checkpointer, undefined);
    } finally {
      await store.close();
    }
  });
});
