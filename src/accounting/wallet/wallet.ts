// Money admission: before an upstream call, the request's worst-case cost is reserved against the key's
// budget and the account's balance; when it ends the reservation is settled to the real cost, or released.
// Two implementations: LocalWallet (one process, balances in memory) and RedisWallet (the fleet, REDIS_URL).
import { GatewayError, gatewayError } from '../../core/errors.js';
import type { RateLimits, RateState } from '../../limits/rate-limiter.js';
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

/** A key's rate-limit admission, asked of a wallet that decides it with the money (`reserveAdmitting`). */
export interface RateAsk {
  keyId: string;
  limits: RateLimits;
  /** Tokens counted against tpm. */
  tokens: number;
}

/** Rate limits passed (and counted) and the money decided: held, or refused. */
export interface AdmittedWithMoney {
  rate: RateState;
  reservation?: Reservation;
  refusal?: MoneyRefusal;
}

export interface Wallet {
  /** Whether requests of this scope are metered (prepaid account or key budget): admission needed. */
  isMetered(scope: Scope): Promise<boolean>;
  /** What the scope may still spend, micro-USD (the tighter of balance and budget); null = unlimited. */
  available(scope: Scope): Promise<number | null>;
  /**
   * `available`, as this process last saw it (at most a second old; read when it has not seen it): only to
   * decide how carefully to size a hold, never to admit.
   */
  recentlyAvailable(scope: Scope): Promise<number | null>;
  /** Reserves `micros` or throws 403; atomic with respect to every other reservation. */
  reserve(scope: Scope, micros: number): Promise<Reservation>;
  /**
   * `reserve` and the key's rate limits decided together (a shared wallet: one round trip). Throws the 429
   * of a refused window (nothing held), or when the wallet cannot be reached (nothing counted). A money
   * refusal is returned: the request has counted against rpm and tpm (as `RateLimiter.admit` counts it).
   */
  reserveAdmitting?(scope: Scope, micros: number, rate: RateAsk): Promise<AdmittedWithMoney>;
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

/**
 * A request the balance (or the key's budget) cannot hold: `micros` is the hold asked, `left` what the
 * balance has once every request in flight holds its own (≤ 0 when used up). Admission may tell it again
 * with what would fit (`withMessage`).
 */
export class MoneyRefusal extends GatewayError {
  constructor(
    readonly refusal: 'insufficient_credits' | 'budget_exceeded',
    readonly micros: number,
    readonly left: number,
    message: string,
  ) {
    super(refusal, { message });
  }

  /** Who is short of money, as the client is told. */
  get payer(): string {
    return this.kind === 'budget_exceeded' ? "the key's budget" : 'the account';
  }

  /** The refusal told with `advice` (what would fit, what to do) after the amounts. */
  withAdvice(advice: string): MoneyRefusal {
    return new MoneyRefusal(
      this.refusal,
      this.micros,
      this.left,
      `${moneyRefusalHead(this.kind, this.micros, this.left)} ${advice}`,
    );
  }
}

const usd = (micros: number) => `$${microsToUsd(Math.max(0, micros))}`;

function moneyRefusalHead(kind: string, micros: number, left: number): string {
  const head = kind === 'budget_exceeded' ? "This key's budget is too low:" : 'Insufficient credits:';
  const who = kind === 'budget_exceeded' ? "the key's budget" : 'the account';
  if (left <= 0)
    return `${head} this request would hold ${usd(micros)}, and ${who} has nothing left (its balance is used up, or held by requests in flight).`;
  return `${head} this request would hold ${usd(micros)}, and ${who} has ${usd(left)} left (its balance less what requests in flight hold).`;
}

/** The account cannot pay for `micros`: `left` is what it has (≤ 0 when used up). */
export const insufficientCredits = (micros: number, left: number) =>
  new MoneyRefusal(
    'insufficient_credits',
    micros,
    left,
    `${moneyRefusalHead('insufficient_credits', micros, left)} ${left <= 0 ? 'Top up to continue.' : 'Lower max_tokens or top up.'}`,
  );

/** The key's budget cannot pay for `micros`: `left` is what it has (≤ 0 when used up). */
export const budgetExceeded = (micros: number, left: number) =>
  new MoneyRefusal(
    'budget_exceeded',
    micros,
    left,
    `${moneyRefusalHead('budget_exceeded', micros, left)} ${left <= 0 ? 'Raise the budget to continue.' : 'Lower max_tokens or raise the budget.'}`,
  );

/** Money checks fail closed: when the shared wallet cannot be reached, metered requests are refused. */
export const walletUnavailable = (cause?: unknown) => gatewayError('wallet_unavailable', { cause });
