// SQLite's checkpoints on their own thread (src/store/wal-checkpoints.ts): the gateway's connection never
// checkpoints, another connection does, SQLite's own checkpoints come back if that thread fails, and a
// closed store leaves no WAL behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Store } from '../../src/store/store.js';
import { WalCheckpoints } from '../../src/store/wal-checkpoints.js';
import { requestRow } from '../support/request-row.js';

const dir = mkdtempSync(join(tmpdir(), 'tokgate-wal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function walDatabase(name: string) {
  const path = join(dir, name);
  const database = new SQLite(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.exec('create table pages (id integer primary key, body text not null)');
  return { path, database };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SQLite checkpoints on their own thread', () => {
  it("are not the writer's: another connection copies the WAL into the database file", async () => {
    const { path, database } = walDatabase('moved.db');
    const checkpoints = WalCheckpoints.start(database, path);
    assert.equal(database.pragma('wal_autocheckpoint', { simple: true }), 0);
    assert.equal(checkpoints.onThread, true);
    const before = statSync(path).size;
    // 4 MB through the WAL: past SQLite's own 1,000-page threshold, which this connection no longer has.
    const insert = database.prepare('insert into pages (body) values (?)');
    database.transaction(() => {
      for (let i = 0; i < 1000; i++) insert.run('x'.repeat(4000));
    })();
    assert.ok(statSync(`${path}-wal`).size > 4_000_000, 'the rows are in the WAL');
    await until(() => statSync(path).size > before + 4_000_000, 'the database file to take the pages');
    await checkpoints.stop();
    database.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close removed the WAL');
  });

  it("come back to SQLite's own when the thread fails, and say so", async () => {
    const { database } = walDatabase('fallback.db');
    const warnings: unknown[] = [];
    // The thread cannot open a database that is not there.
    const checkpoints = WalCheckpoints.start(database, join(dir, 'missing.db'), {
      warn: (...args: unknown[]) => void warnings.push(args),
    });
    await until(() => database.pragma('wal_autocheckpoint', { simple: true }) === 1000, 'the fallback');
    assert.equal(checkpoints.onThread, false);
    assert.equal(warnings.length >= 1, true);
    await checkpoints.stop();
    database.close();
  });

  it('leave no WAL once a store on a file has closed, with its ledger written', async () => {
    const path = join(dir, 'store.db');
    const store = await Store.open(`sqlite:${path}`);
    assert.equal(await store.insertRequests([requestRow({ id: 'req_wal_1' })]), 1);
    assert.ok(existsSync(`${path}-wal`));
    await store.close();
    assert.equal(existsSync(`${path}-wal`), false);
    const again = await Store.open(`sqlite:${path}`);
    assert.equal((await again.listRequests({ limit: 10 })).length, 1);
    await again.close();
  });
});
