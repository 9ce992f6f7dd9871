// Money admission: before an upstream call, the request's worst-case cost is reserved against the key's
// budget and the account's balance; when it ends the reservation is settled to the real cost, or released.
//
// This is the single-process wallet: balances live in memory, loaded from the database and refreshed
// every second (so top-ups made elsewhere, e.g. by the CLI, show up), and the check-and-reserve step is
// synchronous, so concurrent requests in this process can never reserve more than there is. Costs settled
// here but not yet written by the ledger are counted until the ledger reports them flushed.
import { forbidden, gatewayError } from '../core/errors.js';
import type { RedisHub } from '../store/redis.js';
import type { RequestRow, Store } from '../store/store.js';
import { microsToUsd } from './pricing.js';

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

export const insufficientCredits = (message: string) => forbidden(message, 'insufficient_credits');
export const budgetExceeded = (message: string) => forbidden(message, 'budget_exceeded');

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

  async reserve(scope: Scope, micros: number): Promise<Reservation> {
    const { account, key } = await this.balances(scope);
    // From here to the increments nothing awaits: no other request can slip in between check and reserve.
    const fromAccount = LocalWallet.left(account, account.credits);
    if (fromAccount !== null && micros > fromAccount) {
      throw insufficientCredits(
        fromAccount <= 0
          ? 'Insufficient credits: the account balance is used up. Top up to continue.'
          : `Insufficient credits: this request may cost up to $${microsToUsd(micros)}, and the account has $${microsToUsd(fromAccount)} left. Lower max_tokens or top up.`,
      );
    }
    const fromKey = key ? LocalWallet.left(key, scope.keyBudgetMicros) : null;
    if (fromKey !== null && micros > fromKey) {
      throw budgetExceeded(
        fromKey <= 0
          ? "This key's budget is used up."
          : `This request may cost up to $${microsToUsd(micros)}, and the key's budget has $${microsToUsd(fromKey)} left. Lower max_tokens or raise the budget.`,
      );
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

/** Money checks fail closed: when the shared wallet cannot be reached, metered requests are refused. */
export const walletUnavailable = (cause?: unknown) => gatewayError('wallet_unavailable', { cause });

// The fleet-wide wallet (REDIS_URL). Each account (and each key with a budget) has a Redis hash:
//   credits  credit granted, from the database ('none' = unmetered)     } seeded from the database, the
//   spend    spend of the ledger rows in the database                    } source of truth, at most a
//   seeded   when (Redis clock, ms); 0 = must be read again before use   } second old (see `seed`)
//   gen      bumped whenever `spend` moves, so a seed read before a move is not applied after it
//   f:<replica>  ledger writes that replica has in flight: no seed is applied meanwhile (the database may
//                already hold rows whose cost is still counted in that replica's p field)
//   r:<replica>  what that replica holds reserved here, micro-USD
//   p:<replica>  what that replica settled here that its ledger has not written to the database yet
// The balance is credits − spend − Σ r − Σ p. A replica's r and p fields mirror its own in-memory totals
// and are written as absolute values by every script it runs (and by a heartbeat each second), so a lost
// write heals itself. They count only while the replica's lease key lives (5 s, renewed each second):
// the reservations of a crashed replica are released when its lease expires.
//
// Documented bounds: (1) a crashed replica's unwritten spend (its spool) is not counted from its lease's
// expiry until the spool is replayed; (2) for up to a second after Redis loses its data, the other
// replicas' in-flight reservations are not counted. Reservations are otherwise exact: concurrent requests
// across the fleet never reserve more than the balance.
const LEASE_MS = 5_000;
const HEARTBEAT_MS = 1_000;
const SEED_MAX_AGE_MS = 1_000;
const IDLE_MS = 3_600_000;

// KEYS: [1] this replica's lease, [2..] balance hashes. ARGV: replica, lease ms, live-key prefix, idle ms,
// micros, dry run (1 = only report what is left), then per hash: limit ('' = the hash's credits), this
// replica's reserved total including `micros`, its pending total.
// Returns {-1, i} hash i needs seeding; {0, i, left, age} refused at hash i; {1, limited, left, age} ok.
const RESERVE = `
local replica, leaseMs, live, idleMs = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local micros, dry = tonumber(ARGV[5]), ARGV[6] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS - 1
local refused, refusedLeft, refusedAge = 0, 0, 0
local limited, minLeft, maxAge = 0, 0, 0
for i = 1, n do
  local key, base = KEYS[i + 1], 7 + (i - 1) * 3
  local flat = redis.call('HGETALL', key)
  local credits, spend, seeded, others = 'none', 0, 0, 0
  for j = 1, #flat, 2 do
    local field, value = flat[j], flat[j + 1]
    local kind = string.sub(field, 1, 2)
    if field == 'credits' then credits = value
    elseif field == 'spend' then spend = tonumber(value)
    elseif field == 'seeded' then seeded = tonumber(value)
    elseif kind == 'r:' or kind == 'p:' then
      local owner = string.sub(field, 3)
      if owner ~= replica then
        if redis.call('EXISTS', live .. owner) == 1 then others = others + tonumber(value)
        else redis.call('HDEL', key, field) end
      end
    end
  end
  if seeded == 0 then return {-1, i} end
  local age = now - seeded
  if age > maxAge then maxAge = age end
  local limit = ARGV[base]
  if limit == '' then limit = credits end
  if limit ~= 'none' then
    local left = tonumber(limit) - spend - others - tonumber(ARGV[base + 1]) - tonumber(ARGV[base + 2])
    if refused == 0 and left < 0 then refused, refusedLeft, refusedAge = i, left + micros, age end
    if limited == 0 or left < minLeft then minLeft = left end
    limited = 1
  end
end
if dry then return {1, limited, minLeft, maxAge} end
redis.call('SET', KEYS[1], '1', 'PX', leaseMs)
for i = 1, n do
  local key, base = KEYS[i + 1], 7 + (i - 1) * 3
  local r, p = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  if refused ~= 0 then r = r - micros end
  if r > 0 then redis.call('HSET', key, 'r:' .. replica, r) else redis.call('HDEL', key, 'r:' .. replica) end
  if p > 0 then redis.call('HSET', key, 'p:' .. replica, p) else redis.call('HDEL', key, 'p:' .. replica) end
  redis.call('PEXPIRE', key, idleMs)
end
if refused ~= 0 then return {0, refused, refusedLeft, refusedAge} end
return {1, limited, minLeft, maxAge}
`;

// KEYS: [1] lease, [2..] hashes. ARGV: replica, lease ms, idle ms, then per hash: reserved, pending.
const PUT = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
for i = 2, #KEYS do
  local r, p = tonumber(ARGV[4 + (i - 2) * 2]), tonumber(ARGV[5 + (i - 2) * 2])
  if r > 0 then redis.call('HSET', KEYS[i], 'r:' .. ARGV[1], r) else redis.call('HDEL', KEYS[i], 'r:' .. ARGV[1]) end
  if p > 0 then redis.call('HSET', KEYS[i], 'p:' .. ARGV[1], p) else redis.call('HDEL', KEYS[i], 'p:' .. ARGV[1]) end
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 0
`;

// The ledger is about to write rows settled here: mark the write in flight on each hash.
// KEYS: [1] lease, [2..] hashes. ARGV: replica, lease ms, idle ms.
const WRITING = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'f:' .. ARGV[1], 1)
  redis.call('HINCRBY', KEYS[i], 'gen', 1)
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 0
`;

// The ledger wrote rows settled here (cost > 0), or failed to (cost 0): their cost moves from this
// replica's pending to spend, atomically, and the in-flight mark is cleared.
// KEYS: [1] lease, [2] hash. ARGV: replica, lease ms, idle ms, pending after, cost.
const FLUSHED = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
local p = tonumber(ARGV[4])
if p > 0 then redis.call('HSET', KEYS[2], 'p:' .. ARGV[1], p) else redis.call('HDEL', KEYS[2], 'p:' .. ARGV[1]) end
local f = tonumber(redis.call('HGET', KEYS[2], 'f:' .. ARGV[1]) or '0') - 1
if f > 0 then redis.call('HSET', KEYS[2], 'f:' .. ARGV[1], f) else redis.call('HDEL', KEYS[2], 'f:' .. ARGV[1]) end
redis.call('HINCRBY', KEYS[2], 'spend', ARGV[5])
redis.call('HINCRBY', KEYS[2], 'gen', 1)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 0
`;

// Credits and spend read from the database, applied only if `spend` did not move since `gen` was read
// and no replica has a ledger write in flight. KEYS: [1] hash. ARGV: gen read before the database,
// credits, spend, idle ms, live-key prefix.
const SEED = `
local gen = redis.call('HGET', KEYS[1], 'gen') or '0'
if gen ~= ARGV[1] then return 0 end
local flat = redis.call('HGETALL', KEYS[1])
for j = 1, #flat, 2 do
  if string.sub(flat[j], 1, 2) == 'f:' then
    if redis.call('EXISTS', ARGV[5] .. string.sub(flat[j], 3)) == 1 then return 0 end
    redis.call('HDEL', KEYS[1], flat[j])
  end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'credits', ARGV[2], 'spend', ARGV[3], 'seeded', now, 'gen', gen)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

// Something changed in the database (a top-up, rows replayed): read it again before the next decision.
const STALE = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('HSET', KEYS[i], 'seeded', 0) end
end
return 0
`;

interface Held {
  /** This replica's reservations and settled-but-unwritten spend on one hash: the truth its fields mirror. */
  reserved: number;
  pending: number;
  seeding: Promise<void> | undefined;
}

interface Target {
  hash: string;
  kind: 'account' | 'key';
  /** '' = the account's credits, from the hash; else the key's budget. */
  limit: string;
  load: () => Promise<{ credits: number | null; spend: number }>;
}

interface RedisReservation extends Reservation {
  readonly hashes: readonly string[];
}

export class RedisWallet implements Wallet {
  private readonly held = new Map<string, Held>();
  /** Hashes whose totals changed this event-loop turn: written together once it ends (see `finish`). */
  private readonly dirty = new Set<string>();
  private readonly writes = new WeakMap<readonly RequestRow[], Map<string, number>>();
  /** Whether each account is prepaid (credits not null), from the database, at most a second old. */
  private readonly credits = new Map<string, { credits: number | null; at: number }>();
  private readonly loading = new Map<string, Promise<number | null>>();
  private readonly scripts;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly lease: string;
  private readonly live: string;

  constructor(
    private readonly store: Store,
    private readonly redis: RedisHub,
  ) {
    this.scripts = {
      reserve: redis.script(RESERVE),
      put: redis.script(PUT),
      writing: redis.script(WRITING),
      flushed: redis.script(FLUSHED),
      seed: redis.script(SEED),
      stale: redis.script(STALE),
    };
    this.live = redis.key('live', '');
    this.lease = this.live + redis.replicaId;
    redis.onInvalidate((event) => {
      if (event.kind === 'all') this.credits.clear();
      else if (event.kind === 'account') this.credits.delete(event.id);
    });
    this.heartbeat = setInterval(() => void this.reassert().catch(() => undefined), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private accountHash = (id: string) => this.redis.key('w', 'a', id);
  private keyHash = (id: string) => this.redis.key('w', 'k', id);

  private hold(hash: string): Held {
    let held = this.held.get(hash);
    if (!held) {
      held = { reserved: 0, pending: 0, seeding: undefined };
      this.held.set(hash, held);
    }
    return held;
  }

  private async accountCredits(id: string): Promise<number | null> {
    const known = this.credits.get(id);
    if (known && Date.now() - known.at < SEED_MAX_AGE_MS) return known.credits;
    let loading = this.loading.get(id);
    if (!loading) {
      loading = this.store
        .accountSpend(id)
        .then((state) => {
          if (!state) throw new Error(`no such account: ${id}`);
          this.credits.set(id, { credits: state.creditsMicros, at: Date.now() });
          return state.creditsMicros;
        })
        .finally(() => this.loading.delete(id));
      this.loading.set(id, loading);
    }
    // Known but a little old: answer now, refresh in the background.
    if (known) {
      loading.catch(() => undefined);
      return known.credits;
    }
    return loading;
  }

  private targets(scope: Scope): Target[] {
    const targets: Target[] = [
      {
        hash: this.accountHash(scope.accountId),
        kind: 'account',
        limit: '',
        load: async () => {
          const state = await this.store.accountSpend(scope.accountId);
          if (!state) throw new Error(`no such account: ${scope.accountId}`);
          this.credits.set(scope.accountId, { credits: state.creditsMicros, at: Date.now() });
          return { credits: state.creditsMicros, spend: state.spendMicros };
        },
      },
    ];
    const { keyId, keyBudgetMicros } = scope;
    if (keyId !== null && keyBudgetMicros !== null) {
      targets.push({
        hash: this.keyHash(keyId),
        kind: 'key',
        limit: String(keyBudgetMicros),
        load: async () => {
          const spend = await this.store.keySpend(keyId);
          if (spend === undefined) throw new Error(`no such key: ${keyId}`);
          return { credits: null, spend };
        },
      });
    }
    return targets;
  }

  /** Reads credits and spend from the database into the hash (one reader per hash in this process). */
  private seed(target: Target): Promise<void> {
    const held = this.hold(target.hash);
    held.seeding ??= (async () => {
      for (let attempt = 0; attempt < 8; attempt++) {
        const gen = (await this.redis.client.hget(target.hash, 'gen')) ?? '0';
        const state = await target.load();
        const applied = await this.redis.run(
          this.scripts.seed,
          [target.hash],
          [gen, state.credits ?? 'none', state.spend, IDLE_MS, this.live],
        );
        if (applied === 1) return;
        // A ledger write was in flight: let it land, then read again.
        await new Promise((r) => setTimeout(r, 5 * (attempt + 1)));
      }
    })().finally(() => {
      held.seeding = undefined;
    });
    return held.seeding;
  }

  /** Runs RESERVE; `micros` is added to this replica's reserved totals for the call (and kept if admitted). */
  private async decide(targets: Target[], micros: number, dry: boolean): Promise<number[]> {
    const helds = targets.map((t) => this.hold(t.hash));
    for (let attempt = 0; ; attempt++) {
      for (const held of helds) held.reserved += micros;
      let outcome: unknown;
      try {
        outcome = await this.redis.run(
          this.scripts.reserve,
          [this.lease, ...targets.map((t) => t.hash)],
          [
            this.redis.replicaId,
            LEASE_MS,
            this.live,
            IDLE_MS,
            micros,
            dry ? 1 : 0,
            ...targets.flatMap((t, i) => [t.limit, helds[i]!.reserved, helds[i]!.pending]),
          ],
        );
      } catch (error) {
        for (const held of helds) held.reserved -= micros;
        throw walletUnavailable(error);
      }
      const result = (Array.isArray(outcome) ? outcome : []).map(Number);
      const [status = -2, index = 1, , age = 0] = result;
      if (status !== 1 || dry) for (const held of helds) held.reserved -= micros;
      const target = targets[index - 1];
      if (status === 1) {
        if (age > SEED_MAX_AGE_MS) for (const t of targets) this.seed(t).catch(() => undefined);
        return result;
      }
      if (attempt >= 3 || !target || (status === 0 && age <= SEED_MAX_AGE_MS)) return result;
      // Not seeded yet, or refused on numbers more than a second old (a top-up made elsewhere): read the
      // database and decide again.
      try {
        await this.seed(target);
      } catch (error) {
        throw walletUnavailable(error);
      }
    }
  }

  async isMetered(scope: Scope): Promise<boolean> {
    if (scope.keyBudgetMicros !== null) return true;
    try {
      return (await this.accountCredits(scope.accountId)) !== null;
    } catch (error) {
      // An account this replica has not seen, while the database is unreachable.
      throw walletUnavailable(error);
    }
  }

  async available(scope: Scope): Promise<number | null> {
    const [status, limited, left] = await this.decide(this.targets(scope), 0, true);
    if (status !== 1) throw walletUnavailable();
    return limited === 1 ? left! : null;
  }

  async reserve(scope: Scope, micros: number): Promise<Reservation> {
    const targets = this.targets(scope);
    const [status, index, left = 0] = await this.decide(targets, micros, false);
    if (status === 1) {
      const reservation: RedisReservation = {
        scope,
        micros,
        done: false,
        hashes: targets.map((t) => t.hash),
      };
      return reservation;
    }
    if (status !== 0) throw walletUnavailable();
    if (targets[index! - 1]?.kind === 'key') {
      throw budgetExceeded(
        left <= 0
          ? "This key's budget is used up."
          : `This request may cost up to $${microsToUsd(micros)}, and the key's budget has $${microsToUsd(left)} left. Lower max_tokens or raise the budget.`,
      );
    }
    throw insufficientCredits(
      left <= 0
        ? 'Insufficient credits: the account balance is used up. Top up to continue.'
        : `Insufficient credits: this request may cost up to $${microsToUsd(micros)}, and the account has $${microsToUsd(left)} left. Lower max_tokens or top up.`,
    );
  }

  private finish(reservation: Reservation, spent: number): void {
    if (reservation.done) return;
    reservation.done = true;
    const hashes = (reservation as RedisReservation).hashes;
    const scheduled = this.dirty.size > 0;
    for (const hash of hashes) {
      const held = this.hold(hash);
      held.reserved = Math.max(0, held.reserved - reservation.micros);
      held.pending += spent;
      this.dirty.add(hash);
    }
    // Totals are absolute, so every settle of this turn is carried by one write at its end (before any
    // answer of this turn leaves: those wait for their ledger row, written after this).
    if (!scheduled) setImmediate(this.putDirty);
  }

  private readonly putDirty = () => {
    const hashes = [...this.dirty];
    this.dirty.clear();
    this.put(hashes).catch(() => undefined);
  };

  settle(reservation: Reservation, actualMicros: number): void {
    this.finish(reservation, actualMicros);
  }

  release(reservation: Reservation): void {
    this.finish(reservation, 0);
  }

  /** The cost of `rows` per hash this replica holds (rows it settled), computed once per ledger write. */
  private costs(rows: readonly RequestRow[]): Map<string, number> {
    let costs = this.writes.get(rows);
    if (costs) return costs;
    costs = new Map<string, number>();
    for (const row of rows) {
      const cost = row.cost_micros ?? 0;
      if (cost === 0) continue;
      const hashes = [
        row.account_id && this.accountHash(row.account_id),
        row.key_id && this.keyHash(row.key_id),
      ];
      for (const hash of hashes)
        if (hash && this.held.has(hash)) costs.set(hash, (costs.get(hash) ?? 0) + cost);
    }
    this.writes.set(rows, costs);
    return costs;
  }

  async beforeWrite(rows: readonly RequestRow[]): Promise<void> {
    const hashes = [...this.costs(rows).keys()];
    if (hashes.length === 0) return;
    await this.redis
      .run(this.scripts.writing, [this.lease, ...hashes], [this.redis.replicaId, LEASE_MS, IDLE_MS])
      .catch(() => undefined);
  }

  writeFailed(rows: readonly RequestRow[]): void {
    for (const hash of this.costs(rows).keys()) {
      const held = this.hold(hash);
      this.redis
        .run(
          this.scripts.flushed,
          [this.lease, hash],
          [this.redis.replicaId, LEASE_MS, IDLE_MS, held.pending, 0],
        )
        .catch(() => undefined);
    }
    // The next attempt marks the write again.
    this.writes.delete(rows);
  }

  flushed(rows: readonly RequestRow[]): void {
    for (const [hash, cost] of this.costs(rows)) {
      const held = this.hold(hash);
      held.pending = Math.max(0, held.pending - cost);
      this.redis
        .run(
          this.scripts.flushed,
          [this.lease, hash],
          [this.redis.replicaId, LEASE_MS, IDLE_MS, held.pending, cost],
        )
        // Lost: `spend` lags until the next seed (a second at most); our pending is re-put by the heartbeat.
        .catch(() => undefined);
    }
  }

  invalidate(accountId?: string, keyId?: string): void {
    const hashes: string[] = [];
    if (accountId) {
      this.credits.delete(accountId);
      hashes.push(this.accountHash(accountId));
      this.redis.publish({ kind: 'account', id: accountId });
    }
    if (keyId) hashes.push(this.keyHash(keyId));
    if (hashes.length > 0) this.redis.run(this.scripts.stale, hashes, []).catch(() => undefined);
  }

  /** Writes this replica's totals for `hashes` (all it holds when omitted) and renews its lease. */
  private async put(hashes: readonly string[]): Promise<void> {
    for (let i = 0; i < hashes.length; i += 100) {
      const chunk = hashes.slice(i, i + 100);
      const args = chunk.flatMap((hash) => {
        const held = this.hold(hash);
        return [held.reserved, held.pending];
      });
      await this.redis.run(
        this.scripts.put,
        [this.lease, ...chunk],
        [this.redis.replicaId, LEASE_MS, IDLE_MS, ...args],
      );
    }
  }

  private async reassert(): Promise<void> {
    if (!this.redis.ready) return;
    await this.redis.client.set(this.lease, '1', 'PX', LEASE_MS);
    const hashes = [...this.held.keys()];
    await this.put(hashes);
    // Idle entries were just written as zero: forget them.
    for (const hash of hashes) {
      const held = this.held.get(hash);
      if (held && held.reserved === 0 && held.pending === 0 && !held.seeding) this.held.delete(hash);
    }
  }

  /** On shutdown (after the ledger's last flush): clears this replica's fields and gives up its lease. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (!this.redis.ready) return;
    await this.put([...this.held.keys()]).catch(() => undefined);
    await this.redis.client.del(this.lease).catch(() => undefined);
  }
}
