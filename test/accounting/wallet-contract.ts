// What every wallet promises (src/accounting/wallet/wallet.ts), run against the local one and the Redis one
// over a real store: who is metered, what is left, refusals and their codes, settle and release, the
// ledger's write not counting a cost twice, top-ups, and parallel reserves never exceeding the balance.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Wallet } from '../../src/accounting/wallet/wallet.js';
import { GatewayError } from '../../src/core/errors.js';
import { Store } from '../../src/store/store.js';
import { account, key, ledgerFor, ledgerRow, settled } from './support.js';

export interface WalletFixture {
  wallet: Wallet;
  close(): Promise<void>;
}

/** Asserts that `promise` rejects with a 403 refusal of `code` whose message says `left` micro-USD are left. */
export async function refused(promise: Promise<unknown>, code: string, left?: number): Promise<GatewayError> {
  const error = await settled(promise);
  assert.ok(error instanceof GatewayError, `expected a refusal, got ${String(error)}`);
  assert.equal(error.status, 403);
  assert.equal(error.code, code);
  if (left !== undefined) {
    if (left <= 0) assert.match(error.message, /used up/);
    else assert.ok(error.message.includes(`$${left / 1e6} left`), error.message);
  }
  return error;
}

export function walletContract(name: string, create: (store: Store) => Promise<WalletFixture>): void {
  describe(`${name}: the wallet contract`, () => {
    let store: Store;
    let fixture: WalletFixture;
    let wallet: Wallet;
    const prepaid = async (credits: number | null, budget: number | null = null) =>
      key(store, await account(store, credits), budget);

    before(async () => {
      store = await Store.open('sqlite::memory:');
      fixture = await create(store);
      wallet = fixture.wallet;
    });
    after(async () => {
      await fixture.close();
      await store.close();
    });

    test('metered means a prepaid account or a key budget', async () => {
      assert.equal(await wallet.isMetered(await prepaid(null)), false);
      assert.equal(await wallet.isMetered(await prepaid(1_000)), true);
      assert.equal(await wallet.isMetered(await prepaid(null, 500)), true);
      assert.equal(await wallet.isMetered(await prepaid(0)), true, 'a used-up account is still metered');
    });

    test('available is the tighter of balance and budget, after what the database has spent', async () => {
      assert.equal(await wallet.available(await prepaid(null)), null);
      assert.equal(await wallet.available(await prepaid(1_000)), 1_000);
      assert.equal(await wallet.available(await prepaid(1_000, 300)), 300);
      assert.equal(await wallet.available(await prepaid(200, 300)), 200);
      assert.equal(await wallet.available(await prepaid(null, 300)), 300);
      const spent = await prepaid(1_000, 300);
      await store.insertRequests([ledgerRow(spent, 120)]);
      assert.equal(await wallet.available(spent), 180);
      assert.equal(await wallet.available({ ...spent, keyBudgetMicros: null }), 880, 'without a budget');
    });

    test('an unmetered scope reserves any amount', async () => {
      const scope = await prepaid(null);
      const reservation = await wallet.reserve(scope, 1_000_000_000_000);
      assert.equal(reservation.micros, 1_000_000_000_000);
      wallet.release(reservation);
    });

    test('reserves up to the balance, refuses beyond it with insufficient_credits, and a refusal holds nothing', async () => {
      const scope = await prepaid(1_000);
      const first = await wallet.reserve(scope, 600);
      assert.equal(first.micros, 600);
      assert.equal(first.done, false);
      assert.equal(await wallet.available(scope), 400);
      await refused(wallet.reserve(scope, 401), 'insufficient_credits', 400);
      assert.equal(await wallet.available(scope), 400);
      const rest = await wallet.reserve(scope, 400);
      assert.equal(await wallet.available(scope), 0);
      await refused(wallet.reserve(scope, 1), 'insufficient_credits', 0);
      wallet.release(first);
      wallet.release(rest);
      assert.equal(await wallet.available(scope), 1_000);
    });

    test('the key budget and the account credits are both checked', async () => {
      // The budget is the tighter one: budget_exceeded, though the account could pay.
      const tightBudget = await prepaid(10_000, 300);
      await refused(wallet.reserve(tightBudget, 301), 'budget_exceeded', 300);
      const held = await wallet.reserve(tightBudget, 300);
      await refused(wallet.reserve(tightBudget, 1), 'budget_exceeded', 0);
      wallet.release(held);
      // The account is the tighter one: insufficient_credits, though the budget could pay.
      const tightAccount = await prepaid(300, 10_000);
      await refused(wallet.reserve(tightAccount, 301), 'insufficient_credits', 300);
      // A budget on an unmetered account.
      const budgetOnly = await prepaid(null, 50);
      await refused(wallet.reserve(budgetOnly, 51), 'budget_exceeded', 50);
      // Two keys of one account share its credits; each has its own budget.
      const shared = await account(store, 500);
      const a = await key(store, shared, 400);
      const b = await key(store, shared, 400);
      const fromA = await wallet.reserve(a, 400);
      assert.equal(await wallet.available(b), 100);
      await refused(wallet.reserve(b, 101), 'insufficient_credits', 100);
      wallet.release(fromA);
      assert.equal(await wallet.available(b), 400);
    });

    test('settle keeps the real cost and frees the rest; release frees it all; each happens once', async () => {
      const scope = await prepaid(1_000, 800);
      const settledOne = await wallet.reserve(scope, 500);
      wallet.settle(settledOne, 120);
      assert.equal(settledOne.done, true);
      assert.equal(await wallet.available(scope), 680);
      wallet.settle(settledOne, 120);
      wallet.release(settledOne);
      assert.equal(await wallet.available(scope), 680, 'a finished reservation is not finished again');
      const released = await wallet.reserve(scope, 300);
      assert.equal(await wallet.available(scope), 380);
      wallet.release(released);
      wallet.settle(released, 50);
      assert.equal(await wallet.available(scope), 680);
      assert.equal(await wallet.available({ ...scope, keyBudgetMicros: null }), 880, 'account: 1000 − 120');
    });

    test('a settled cost is counted once: before its ledger row is written, after, and when read again', async () => {
      const scope = await prepaid(1_000, 800);
      const ledger = ledgerFor(store, wallet);
      const reservation = await wallet.reserve(scope, 500);
      wallet.settle(reservation, 120);
      await ledger.record(ledgerRow(scope, 120));
      assert.equal(await wallet.available(scope), 680);
      await ledger.flush();
      assert.equal((await store.accountSpend(scope.accountId))?.spendMicros, 120);
      assert.equal(await wallet.available(scope), 680);
      wallet.invalidate(scope.accountId, scope.keyId ?? undefined);
      assert.equal(await wallet.available(scope), 680);
      assert.equal(await wallet.available({ ...scope, keyBudgetMicros: null }), 880);
    });

    test('a top-up shows once the wallet is told, and a refused request then passes', async () => {
      const scope = await prepaid(100);
      await refused(wallet.reserve(scope, 150), 'insufficient_credits', 100);
      await store.addCredit({
        id: `cred_${scope.accountId}`,
        account_id: scope.accountId,
        amount_micros: 100,
        note: null,
        created_at: Date.now(),
      });
      wallet.invalidate(scope.accountId);
      assert.equal(await wallet.available(scope), 200);
      wallet.release(await wallet.reserve(scope, 150));
    });

    test('an unknown account is an error, not an unlimited balance', async () => {
      const error = await settled(
        wallet.reserve({ accountId: 'acct_missing', keyId: null, keyBudgetMicros: null }, 1),
      );
      assert.ok(error instanceof Error);
    });

    test('many reserves in parallel never exceed the balance (also while it is first loaded)', async () => {
      const scope = await prepaid(1_000);
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, () => settled(wallet.reserve(scope, 30))),
      );
      const admitted = outcomes.filter((o) => !(o instanceof Error));
      const refusals = outcomes.filter((o) => o instanceof GatewayError && o.code === 'insufficient_credits');
      assert.equal(admitted.length, 33);
      assert.equal(refusals.length, 17);
      assert.equal(await wallet.available(scope), 10);

      // Through a key budget, with settles of earlier requests landing meanwhile.
      const budgeted = await prepaid(100_000, 300);
      const early = await Promise.all([wallet.reserve(budgeted, 30), wallet.reserve(budgeted, 30)]);
      const racing = Array.from({ length: 40 }, () => settled(wallet.reserve(budgeted, 30)));
      for (const reservation of early) wallet.settle(reservation, 30);
      const more = await Promise.all(racing);
      assert.equal(more.filter((o) => !(o instanceof Error)).length, 8, '300 − 2 × 30 settled = 8 × 30');
      assert.equal(await wallet.available(budgeted), 0);
    });
  });
}
