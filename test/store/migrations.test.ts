// Expand-then-contract, checked on PostgreSQL: after the latest migration, a replica of an earlier release
// (one that inserts into the legacy `requests` table, without the columns added since) still lands its rows
// in the partitioned ledger; and the current release writes the new columns.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { Store } from '../../src/store/store.js';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.js';
import { requestRow } from '../support/request-row.js';

let db: TestDatabase;
let store: Store;

before(async () => {
  db = await createPostgresDatabase();
  store = await Store.open(db.url);
});

after(async () => {
  await store.close();
  await db.drop();
});

test("a previous release's insert into the legacy table reaches the ledger (door unknown)", async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const now = Date.now();
    // The columns as of the release before `door` existed.
    await client.query(
      `insert into requests (id, created_at, key_id, account_id, model, provider, upstream_model, status,
        http_status, stream, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, usage_source,
        cost_micros, latency_ms, ttft_ms, error_code, attempts, price_version)
       values ('req_old_release', $1, null, 'acct_default', 'openai/gpt-4o', 'openai', 'gpt-4o', 'ok', 200, 0,
        4, null, 11, null, 'provider', 10, 3, null, null, null, null)`,
      [now],
    );
    const { rows } = await client.query('select model, door, units, unit from request_log where id = $1', [
      'req_old_release',
    ]);
    assert.deepEqual(rows, [{ model: 'openai/gpt-4o', door: null, units: null, unit: null }]);
  } finally {
    await client.end();
  }
});

test('the current release records the front door', async () => {
  const row = requestRow({ door: 'messages' });
  await store.insertRequests([row]);
  const stored = await store.getRequest(row.id);
  assert.equal(stored?.door, 'messages');
});

test('the current release records units other than tokens (audio seconds, fractional)', async () => {
  const row = requestRow({ door: 'audio', units: 2.5, unit: 'seconds' });
  await store.insertRequests([row]);
  const stored = await store.getRequest(row.id);
  assert.equal(stored?.units, 2.5);
  assert.equal(stored?.unit, 'seconds');
});
