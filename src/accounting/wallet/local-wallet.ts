// The single-process wallet: balances live in memory, loaded from the database and refreshed every second
// (so top-ups made elsewhere, e.g. by the CLI, show up), and the check-and-reserve step is synchronous, so
// concurrent requests in this process can never reserve more than there is. Costs settled here but not yet
// written by the ledger are counted until the ledger reports them flushed.
import type { RequestRow, Store } from '../../store/store.js';
import { budgetExceeded, insufficientCredits, type Reservation, type Scope, type Wallet } from './wallet.js';

interface Balance {
  /** From the database: credit granted (null = unmetered account) and spend of flushed rows. */
  credits: number | null;
  dbSpend: number;
  /** Settled here, not yet flushed by the ledger. */
  localSpend: number;
  reserved: number;
  loadedAt: number;
  loading: Promise<void> | undefined;
  /** Bumped on every flush, so a refresh that read the database before it does not count it twice. */
  generation: number;
}

const REFRESH_MS = 1_000;

export class LocalWallet implements Wallet {
  private readonly accounts = new Map<string, Balance>();
  private readonly keys = new Map<string, Balance>();

  constructor(private readonly store: Store) {}

  private async load(
    map: Map<string, Balance>,
    id: string,
    read: () => Promise<{ credits: number | null; spend: number } | undefined>,
  ) {
    let balance = map.get(id);
    const now = Date.now();
    if (!balance) {
      balance = {
        credits: null,
        dbSpend: 0,
        localSpend: 0,
        reserved: 0,
        loadedAt: 0,
        loading: undefined,
        generation: 0,
      };
      map.set(id, balance);
    }
    if (now - balance.loadedAt < REFRESH_MS) return balance;
    const refresh = (target: Balance) => {
      if (target.loading) return target.loading;
      const generation = target.generation;
      target.loading = read()
        .then((state) => {
          if (!state) throw new Error(`no such account or key: ${id}`);
          // A flush or a change landed while we read: these numbers may predate it; read again next time.
          if (target.generation !== generation) return;
          target.credits = state.credits;
          target.dbSpend = state.spend;
          target.loadedAt = Date.now();
        })
        .finally(() => {
          target.loading = undefined;
        });
      return target.loading;
    };
    // First load: wait until real numbers are in. Later refreshes run in the background: the numbers in
    // hand are at most a second old, and every spend made in this process is already counted locally.
    if (balance.loadedAt === 0) {
      while (balance.loadedAt === 0) await refresh(balance);
    } else {
      refresh(balance).catch(() => undefined);
    }
    return balance;
  }

  private account(id: string) {
    return this.load(this.accounts, id, async () => {
      const state = await this.store.accountSpend(id);
      return state && { credits: state.creditsMicros, spend: state.spendMicros };
    });
  }

  private key(id: string) {
    return this.load(this.keys, id, async () => {
      const spend = await this.store.keySpend(id);
      return spend === undefined ? undefined : { credits: null, spend };
    });
  }

  async isMetered(scope: Scope): Promise<boolean> {
    if (scope.keyBudgetMicros !== null) return true;
    return (await this.account(scope.accountId)).credits !== null;
  }

  private static left(balance: Balance, limit: number | null): number | null {
    if (limit === null) return null;
    return limit - balance.dbSpend - balance.localSpend - balance.reserved;
  }

  private async balances(scope: Scope) {
    const account = await this.account(scope.accountId);
    const key =
      scope.keyId !== null && scope.keyBudgetMicros !== null ? await this.key(scope.keyId) : undefined;
    return { account, key };
  }

  async available(scope: Scope): Promise<number | null> {
    const { account, key } = await this.balances(scope);
    const fromAccount = LocalWallet.left(account, account.credits);
    const fromKey = key ? LocalWallet.left(key, scope.keyBudgetMicros) : null;
    if (fromAccount === null) return fromKey;
    if (fromKey === null) return fromAccount;
    return Math.min(fromAccount, fromKey);
  }

  /** In memory here, so always as exact as `available`. */
  recentlyAvailable(scope: Scope): Promise<number | null> {
    return this.available(scope);
  }

  async reserve(scope: Scope, micros: number): Promise<Reservation> {
    const { account, key } = await this.balances(scope);
    // From here to the increments nothing awaits: no other request can slip in between check and reserve.
    const fromAccount = LocalWallet.left(account, account.credits);
    if (fromAccount !== null && micros > fromAccount) {
      throw insufficientCredits(micros, fromAccount);
    }
    const fromKey = key ? LocalWallet.left(key, scope.keyBudgetMicros) : null;
    if (fromKey !== null && micros > fromKey) {
      throw budgetExceeded(micros, fromKey);
    }
    account.reserved += micros;
    if (key) key.reserved += micros;
    return { scope, micros, done: false };
  }

  private finish(reservation: Reservation, spent: number): void {
    if (reservation.done) return;
    reservation.done = true;
    const { scope, micros } = reservation;
    const account = this.accounts.get(scope.accountId);
    if (account) {
      account.reserved -= micros;
      account.localSpend += spent;
    }
    const key = scope.keyId === null ? undefined : this.keys.get(scope.keyId);
    if (key && scope.keyBudgetMicros !== null) {
      key.reserved -= micros;
      key.localSpend += spent;
    }
  }

  settle(reservation: Reservation, actualMicros: number): void {
    this.finish(reservation, actualMicros);
  }

  release(reservation: Reservation): void {
    this.finish(reservation, 0);
  }

  flushed(rows: readonly RequestRow[]): void {
    for (const row of rows) {
      const cost = row.cost_micros ?? 0;
      if (cost === 0) continue;
      const account = row.account_id ? this.accounts.get(row.account_id) : undefined;
      if (account) LocalWallet.move(account, cost);
      const key = row.key_id ? this.keys.get(row.key_id) : undefined;
      if (key) LocalWallet.move(key, cost);
    }
  }

  private static move(balance: Balance, cost: number): void {
    balance.generation += 1;
    balance.dbSpend += cost;
    balance.localSpend = Math.max(0, balance.localSpend - cost);
  }

  invalidate(accountId?: string, keyId?: string): void {
    for (const balance of [accountId && this.accounts.get(accountId), keyId && this.keys.get(keyId)]) {
      if (!balance) continue;
      balance.generation += 1;
      balance.loadedAt = 0;
    }
  }
}
