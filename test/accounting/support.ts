// Fixtures for the money tests: accounts, keys and ledger rows in a real store, and a ledger wired to
// the wallet as the gateway wires it.

import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Ledger } from '../../src/accounting/ledger.js';
import type { Scope, Wallet } from '../../src/accounting/wallet/wallet.js';
import type { RequestRow, Store } from '../../src/store/store.js';
import { requestRow } from '../support/request-row.js';

const unique = () => randomBytes(6).toString('hex');

/** A new account; `credits` in micro-USD, null = unmetered. */
export async function account(store: Store, credits: number | null): Promise<string> {
  const id = `acct_${unique()}`;
  await store.insertAccount({ id, name: id, credits_micros: credits, created_at: Date.now() });
  return id;
}

/** A new key of `accountId`; `budget` in micro-USD, null = none. Returns the wallet's scope for it. */
export async function key(
  store: Store,
  accountId: string,
  budget: number | null,
  limits: { rpm?: number; tpm?: number } = {},
): Promise<Scope> {
  const id = `key_${unique()}`;
  await store.insertKey({
    id,
    account_id: accountId,
    name: id,
    key_hash: unique(),
    models: null,
    budget_micros: budget,
    rpm: limits.rpm ?? null,
    tpm: limits.tpm ?? null,
    expires_at: null,
    created_at: Date.now(),
    revoked_at: null,
  });
  return { accountId, keyId: id, keyBudgetMicros: budget };
}

export const ledgerRow = (scope: Scope, cost: number): RequestRow =>
  requestRow({ key_id: scope.keyId, account_id: scope.accountId, cost_micros: cost });

/** A ledger wired to the wallet as the gateway wires it (src/gateway.ts): `record` rows, then `flush`. */
export function ledgerFor(store: Store, wallet: Wallet): Ledger {
  return new Ledger(store, pino({ level: 'silent' }), {
    flushIntervalMs: 60_000,
    onFlushed: (rows) => wallet.flushed(rows),
    ...(wallet.beforeWrite ? { beforeWrite: (rows) => wallet.beforeWrite!(rows) } : {}),
    ...(wallet.writeFailed ? { onWriteFailed: (rows) => wallet.writeFailed!(rows) } : {}),
  });
}

/** Resolves with the value, or with the error a rejection carried (to assert on refusals in bulk). */
export const settled = <T>(promise: Promise<T>): Promise<T | unknown> =>
  promise.catch((error: unknown) => error);
