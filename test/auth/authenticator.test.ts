// The authenticator's caches: a key record is read once, not per request; past the bound the least recently
// used record goes; a record that failed to load is not kept; revoking takes effect at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator } from '../../src/auth/authenticator.js';
import { generateKey, hashKey } from '../../src/auth/key-format.js';
import type { KeyRow, Store } from '../../src/store/store.js';

function fakeStore(names: string[]) {
  const keys = new Map(names.map((name) => [name, generateKey()]));
  const rows = new Map<string, KeyRow>();
  for (const [name, { id, key }] of keys) {
    rows.set(id, {
      id,
      account_id: 'acct_default',
      name,
      spend_micros: 0,
      key_hash: hashKey(key),
      models: null,
      budget_micros: null,
      rpm: null,
      tpm: null,
      expires_at: null,
      revoked_at: null,
      created_at: 0,
    });
  }
  const reads: string[] = [];
  let failing = false;
  const store = {
    getKey: async (id: string) => {
      reads.push(rows.get(id)?.name ?? id);
      if (failing) throw new Error('database down');
      return rows.get(id);
    },
  } as unknown as Store;
  const bearer = (name: string) => `Bearer ${keys.get(name)?.key}`;
  const row = (name: string) => rows.get(keys.get(name)?.id ?? '');
  return { store, reads, bearer, row, fail: (on: boolean) => (failing = on) };
}

test('key records are read once, and past the bound the least recently used goes', async () => {
  const { store, reads, bearer } = fakeStore(['a', 'b', 'c']);
  const auth = new Authenticator(store, hashKey('admin'), { keys: 2, tokens: 2 });
  for (const name of ['a', 'b', 'a', 'a', 'c', 'a', 'b']) {
    const principal = await auth.authenticate(bearer(name));
    assert.equal(principal.kind === 'key' && principal.key.name, name);
  }
  assert.deepEqual(reads, ['a', 'b', 'c', 'b']);
});

test('a record that failed to load is read again next time; revoking takes effect at once', async () => {
  const { store, reads, bearer, row, fail } = fakeStore(['a']);
  const auth = new Authenticator(store, hashKey('admin'));
  fail(true);
  await assert.rejects(auth.authenticate(bearer('a')), /database down/);
  fail(false);
  assert.equal((await auth.authenticate(bearer('a'))).kind, 'key');
  assert.equal(reads.length, 2);
  row('a')!.revoked_at = 1;
  assert.equal((await auth.authenticate(bearer('a'))).kind, 'key', 'cached until invalidated');
  auth.invalidate(row('a')!.id);
  await assert.rejects(auth.authenticate(bearer('a')), /revoked/);
});
