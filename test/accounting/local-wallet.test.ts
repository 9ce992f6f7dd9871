// The single-process wallet: the wallet contract over a real SQLite store, and its one-second refresh.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalWallet } from '../../src/accounting/wallet/local-wallet.js';
import { Store } from '../../src/store/store.js';
import { account, key } from './support.js';
import { walletContract } from './wallet-contract.js';

walletContract('local wallet', async (store) => ({
  wallet: new LocalWallet(store),
  close: async () => undefined,
}));

test('local wallet: a top-up made elsewhere (the CLI) shows within a second, without being told', async () => {
  const store = await Store.open('sqlite::memory:');
  try {
    const wallet = new LocalWallet(store);
    const scope = await key(store, await account(store, 100), null);
    assert.equal(await wallet.available(scope), 100);
    await store.addCredit({
      id: 'cred_cli',
      account_id: scope.accountId,
      amount_micros: 400,
      note: null,
      created_at: Date.now(),
    });
    assert.equal(await wallet.available(scope), 100, 'numbers under a second old are used as they are');
    const deadline = Date.now() + 3_000;
    while ((await wallet.available(scope)) !== 500) {
      assert.ok(Date.now() < deadline, 'the top-up never showed');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await store.close();
  }
});
