import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { Spool } from '../../src/accounting/spool.js';
import type { RequestRow } from '../../src/store/store.js';

const row = (id: string) => ({ id, created_at: 1 }) as unknown as RequestRow;

function spoolDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'tokgate-spool-')), 'spool');
}

/** Turns of the event loop until `done` holds (background file work is a few callbacks away). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(done(), 'the background file work finished');
}

describe('Spool', () => {
  test('rows of one turn land in one file; once written to the database the file is deleted', async () => {
    const dir = spoolDir();
    const spool = new Spool(dir, 10_000, 2);
    const a = spool.append(row('a'));
    const b = spool.append(row('b'));
    assert.equal(a.segment, b.segment);
    await Promise.all([a.durable, b.durable]);
    const [file] = readdirSync(dir);
    assert.deepEqual(
      Spool.read(join(dir, file!)).map((r) => r.id),
      ['a', 'b'],
    );
    spool.written(a.segment, 2);
    await until(() => readdirSync(dir).length === 0);
    // The next row starts a new file.
    const c = spool.append(row('c'));
    assert.notEqual(c.segment, a.segment);
    await c.durable;
    assert.equal(readdirSync(dir).length, 1);
    // Fully written but under the rotation size: the file stays, until close.
    spool.written(c.segment, 1);
    await turn();
    assert.equal(readdirSync(dir).length, 1);
    spool.close();
    assert.equal(existsSync(dir), false, 'nothing left: the directory is gone at close');
  });

  test('a file that cannot be opened fails its rows, and the next row tries a new file', async () => {
    const dir = spoolDir();
    const spool = new Spool(dir);
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a directory');
    const failed = spool.append(row('a'));
    await assert.rejects(failed.durable, /ENOTDIR/);
    rmSync(dir);
    mkdirSync(dir);
    const next = spool.append(row('b'));
    assert.notEqual(next.segment, failed.segment);
    await next.durable;
    assert.deepEqual(
      readdirSync(dir).flatMap((name) => Spool.read(join(dir, name)).map((r) => r.id)),
      ['b'],
    );
    spool.written(failed.segment, 1);
    spool.written(next.segment, 1);
    assert.equal(spool.pending, 0);
  });

  test('close right after a rotation deletes every finished file at once', async () => {
    const dir = spoolDir();
    const spool = new Spool(dir, 10_000, 1);
    const a = spool.append(row('a'));
    await a.durable;
    spool.written(a.segment, 1); // rotation: the delete runs in the background
    spool.close();
    assert.equal(existsSync(dir), false);
    await turn();
  });

  test('rows still waiting for the database stay on disk at close, for the next start', async () => {
    const dir = spoolDir();
    const spool = new Spool(dir, 10_000, 1);
    const a = spool.append(row('a'));
    spool.append(row('b'));
    await a.durable;
    spool.written(a.segment, 1);
    spool.close();
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.deepEqual(
      Spool.read(join(dir, files[0]!)).map((r) => r.id),
      ['a', 'b'],
    );
  });
});
