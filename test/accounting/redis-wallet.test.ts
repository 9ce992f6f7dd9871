// The fleet-wide wallet against the real Redis at 127.0.0.1:6379 (a key prefix of this run's own, deleted
// afterwards): the wallet contract, then what only a fleet has: several replicas on one balance, another
// replica's settled and reserved money, a crashed replica's lease, and money checks failing closed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { RedisWallet } from '../../src/accounting/wallet/redis-wallet.js';
import { GatewayError } from '../../src/core/errors.js';
import { RedisHub } from '../../src/store/redis.js';
import { Store } from '../../src/store/store.js';
import { account, key, ledgerFor, ledgerRow, settled } from './support.js';
import { walletContract } from './wallet-contract.js';

const REDIS_URL = process.env.TOKGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const log = pino({ level: 'silent' });
const prefix = `tokgate:test:${randomBytes(6).toString('hex')}:`;

/** One replica: its own connection (and so its own replica id) on the shared Redis and store. */
async function replica(store: Store, url = REDIS_URL) {
  const hub = await RedisHub.connect(url, prefix, log);
  const wallet = new RedisWallet(store, hub);
  return {
    hub,
    wallet,
    async close() {
      await wallet.close();
      await hub.close();
    },
  };
}

/** Settles are written at the end of the event-loop turn: let that write go out. */
const turn = () => new Promise((r) => setImmediate(r));

after(async () => {
  const hub = await RedisHub.connect(REDIS_URL, prefix, log);
  const keys = await hub.client.keys(`${prefix}*`);
  if (keys.length > 0) await hub.client.del(...keys);
  await hub.close();
});

walletContract('redis wallet', (store) => replica(store));

describe('redis wallet: a fleet on one balance', () => {
  let store: Store;
  let a: Awaited<ReturnType<typeof replica>>;
  let b: Awaited<ReturnType<typeof replica>>;
  before(async () => {
    store = await Store.open('sqlite::memory:');
    a = await replica(store);
    b = await replica(store);
  });
  after(async () => {
    await a.close();
    await b.close();
    await store.close();
  });

  test('reserves in parallel on two replicas never exceed the balance', async () => {
    const scope = await key(store, await account(store, 1_000), null);
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) => settled((i % 2 ? a : b).wallet.reserve(scope, 30))),
    );
    const admitted = outcomes.filter((o) => !(o instanceof Error)).length;
    const refusals = outcomes.filter((o) => o instanceof GatewayError && o.code === 'insufficient_credits');
    assert.equal(admitted, 33);
    assert.equal(refusals.length, 27);
    // A refused call leaves its replica's field counting the calls it had in flight beside it (never less
    // than it holds) until that replica writes its totals again: at the latest its heartbeat, a second on.
    assert.ok((await a.wallet.available(scope))! <= 10);
    assert.ok((await b.wallet.available(scope))! <= 10);
    const deadline = Date.now() + 3_000;
    while ((await a.wallet.available(scope)) !== 10 || (await b.wallet.available(scope)) !== 10) {
      assert.ok(Date.now() < deadline, 'the fields never came back to what the replicas hold');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test("another replica's reservations and settled spend count, before and after its ledger writes them", async () => {
    const scope = await key(store, await account(store, 1_000), 800);
    const reservation = await a.wallet.reserve(scope, 500);
    assert.equal(await b.wallet.available(scope), 300);
    a.wallet.settle(reservation, 120);
    await turn();
    assert.equal(await b.wallet.available(scope), 680);
    const ledger = ledgerFor(store, a.wallet);
    await ledger.record(ledgerRow(scope, 120));
    await ledger.flush();
    assert.equal(await b.wallet.available(scope), 680);
    b.wallet.invalidate(scope.accountId, scope.keyId ?? undefined);
    assert.equal(await b.wallet.available(scope), 680, 'read again from the database: still counted once');
    assert.equal(await a.wallet.available({ ...scope, keyBudgetMicros: null }), 880);
  });

  test('a top-up told to one replica is seen by the others at once', async () => {
    const scope = await key(store, await account(store, 100), null);
    assert.equal(await b.wallet.available(scope), 100);
    await store.addCredit({
      id: `cred_${scope.accountId}`,
      account_id: scope.accountId,
      amount_micros: 400,
      note: null,
      created_at: Date.now(),
    });
    a.wallet.invalidate(scope.accountId);
    assert.equal(await b.wallet.available(scope), 500);
  });

  test("a replica that stops releases what it held: at once on shutdown, at its lease's expiry on a crash", async (t) => {
    const scope = await key(store, await account(store, 1_000), null);
    const c = await replica(store);
    t.after(() => c.close());
    await c.wallet.reserve(scope, 600);
    assert.equal(await a.wallet.available(scope), 400);
    await c.close();
    assert.equal(await a.wallet.available(scope), 1_000, 'shutdown gives up the lease');

    const d = await replica(store);
    t.after(() => d.close());
    await d.wallet.reserve(scope, 700);
    assert.equal(await a.wallet.available(scope), 300);
    // A crash: the connection is gone and the lease is not renewed. Its expiry (5 s) is brought forward.
    await d.hub.close();
    assert.equal(await a.wallet.available(scope), 300, 'held while the lease lives');
    await a.hub.client.del(`${prefix}live:${d.hub.replicaId}`);
    assert.equal(await a.wallet.available(scope), 1_000);
  });
});

test('redis wallet: when Redis is unreachable, money checks fail closed (503 wallet_unavailable)', async () => {
  const store = await Store.open('sqlite::memory:');
  const down = await replica(store, 'redis://127.0.0.1:1');
  try {
    const prepaid = await key(store, await account(store, 1_000), null);
    const budgeted = await key(store, await account(store, null), 500);
    const unmetered = await key(store, await account(store, null), null);
    assert.equal(await down.wallet.isMetered(prepaid), true, 'read from the database');
    assert.equal(await down.wallet.isMetered(budgeted), true);
    assert.equal(await down.wallet.isMetered(unmetered), false);
    for (const refusal of [
      await settled(down.wallet.reserve(prepaid, 10)),
      await settled(down.wallet.reserve(budgeted, 10)),
      await settled(down.wallet.available(prepaid)),
    ]) {
      assert.ok(refusal instanceof GatewayError, String(refusal));
      assert.equal(refusal.status, 503);
      assert.equal(refusal.code, 'wallet_unavailable');
      assert.equal(refusal.retryable, true);
    }
  } finally {
    await down.close();
    await store.close();
  }
});
