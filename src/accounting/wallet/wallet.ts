// Money admission: before an upstream call, the request's worst-case cost is reserved against the key's
// budget and the account's balance; when it ends the reservation is settled to the real cost, or released.
// Two implementations: LocalWallet (one process, balances in memory) and RedisWallet (the fleet, REDIS_URL).
import { forbidden, gatewayError } from '../../core/errors.js';
import type { RequestRow } from '../../store/store.js';
import { microsToUsd } from '../pricing.js';

export interface Scope {
  accountId: string;
  keyId: string | null;
  /** The key's own budget, micro-USD; null = none. */
  keyBudgetMicros: number | null;
}

export interface Reservation {
  readonly scope: Scope;
  readonly micros: number;
  done: boolean;
}

export interface Wallet {
  /** Whether requests of this scope are metered (prepaid account or key budget): admission needed. */
  isMetered(scope: Scope): Promise<boolean>;
  /** What the scope may still spend, micro-USD (the tighter of balance and budget); null = unlimited. */
  available(scope: Scope): Promise<number | null>;
  /** Reserves `micros` or throws 403; atomic with respect to every other reservation. */
  reserve(scope: Scope, micros: number): Promise<Reservation>;
  settle(reservation: Reservation, actualMicros: number): void;
  release(reservation: Reservation): void;
  /** The ledger wrote these rows: their cost now shows in the database's spend. */
  flushed(rows: readonly RequestRow[]): void;
  /** The ledger is about to write these rows (a shared wallet marks the write as in flight). */
  beforeWrite?(rows: readonly RequestRow[]): Promise<void>;
  /** Writing these rows failed; they stay queued and will be written later. */
  writeFailed?(rows: readonly RequestRow[]): void;
  /** Forget cached balances (after a top-up or a budget change in this process). */
  invalidate(accountId?: string, keyId?: string): void;
}

/** The account cannot pay for `micros`: `left` is what it has (≤ 0 when used up). */
export const insufficientCredits = (micros: number, left: number) =>
  forbidden(
    left <= 0
      ? 'Insufficient credits: the account balance is used up. Top up to continue.'
      : `Insufficient credits: this request may cost up to $${microsToUsd(micros)}, and the account has $${microsToUsd(left)} left. Lower max_tokens or top up.`,
    'insufficient_credits',
  );

/** The key's budget cannot pay for `micros`: `left` is what it has (≤ 0 when used up). */
export const budgetExceeded = (micros: number, left: number) =>
  forbidden(
    left <= 0
      ? "This key's budget is used up."
      : `This request may cost up to $${microsToUsd(micros)}, and the key's budget has $${microsToUsd(left)} left. Lower max_tokens or raise the budget.`,
    'budget_exceeded',
  );

/** Money checks fail closed: when the shared wallet cannot be reached, metered requests are refused. */
export const walletUnavailable = (cause?: unknown) => gatewayError('wallet_unavailable', { cause });
