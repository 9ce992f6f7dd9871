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
import { readFileSync } from 'node:fs';
import { type Corrections, RATE_SCRIPTS, type RedisRateLimiter } from '../../limits/redis-rate-limiter.js';
import type { RedisHub } from '../../store/redis.js';
import type { RequestRow, Store } from '../../store/store.js';
import {
  type AdmittedWithMoney,
  budgetExceeded,
  insufficientCredits,
  type MoneyRefusal,
  type RateAsk,
  type Reservation,
  type Scope,
  type Wallet,
  walletUnavailable,
} from './wallet.js';

const LEASE_MS = 5_000;
const HEARTBEAT_MS = 1_000;
const SEED_MAX_AGE_MS = 1_000;
const IDLE_MS = 3_600_000;

// The Lua scripts (KEYS and ARGV are documented in each file), read once when this module loads: beside
// this file in src/, copied into dist/ by scripts/copy-assets.mjs.
const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
const SCRIPTS = {
  reserve: lua('reserve'),
  put: lua('put'),
  writing: lua('writing'),
  flushed: lua('flushed'),
  seed: lua('seed'),
  stale: lua('stale'),
};

/**
 * One script out of several: each part becomes a local function of the given name taking its own KEYS and
 * ARGV (its file unchanged), which `driver` calls. So a round trip can carry what two scripts decide.
 */
const joined = (parts: Record<string, string>, driver: string) =>
  `${Object.entries(parts)
    .map(([name, source]) => `local function ${name}(KEYS, ARGV)\n${source}\nend\n`)
    .join('')}${driver}`;

/** The rate limits and the money hold in one script; this replica's totals and the tpm corrections in one. */
const JOINED = {
  admitReserve: joined({ rate: RATE_SCRIPTS.admit, reserve: SCRIPTS.reserve }, lua('admit-reserve')),
  settle: joined({ put: SCRIPTS.put, adjust: RATE_SCRIPTS.adjust }, lua('settle')),
};

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
  /** What each scope had left when this replica last asked Redis (`recentlyAvailable`). */
  private readonly seen = new Map<string, { left: number | null; at: number }>();
  private readonly scripts;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly lease: string;
  private readonly live: string;
  /** With the fleet's rate limiter only (see Wallet). */
  readonly reserveAdmitting?: (scope: Scope, micros: number, rate: RateAsk) => Promise<AdmittedWithMoney>;

  constructor(
    private readonly store: Store,
    private readonly redis: RedisHub,
    /** The fleet's rate limiter: admitted with the money, its tpm corrections sent with the settles. */
    private readonly limiter?: RedisRateLimiter,
  ) {
    this.scripts = {
      admitReserve: redis.script(JOINED.admitReserve),
      settle: redis.script(JOINED.settle),
      reserve: redis.script(SCRIPTS.reserve),
      put: redis.script(SCRIPTS.put),
      writing: redis.script(SCRIPTS.writing),
      flushed: redis.script(SCRIPTS.flushed),
      seed: redis.script(SCRIPTS.seed),
      stale: redis.script(SCRIPTS.stale),
    };
    if (limiter)
      this.reserveAdmitting = (scope, micros, rate) => this.admitting(limiter, scope, micros, rate);
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

  /**
   * Runs RESERVE; `micros` is added to this replica's reserved totals for the call (and kept if admitted).
   * With `rate`, the key's rate limits are decided in the same script (ADMIT-RESERVE): their answer comes
   * back beside the money's once it is final (a refused window is thrown, nothing held).
   */
  private async decide(
    targets: Target[],
    micros: number,
    dry: boolean,
    rate?: RateAsk,
  ): Promise<{ money: number[]; rate: unknown }> {
    const helds = targets.map((t) => this.hold(t.hash));
    const limiter = rate && this.limiter;
    for (let attempt = 0; ; attempt++) {
      for (const held of helds) held.reserved += micros;
      const keys = [this.lease, ...targets.map((t) => t.hash)];
      const args: Array<string | number> = [
        this.redis.replicaId,
        LEASE_MS,
        this.live,
        IDLE_MS,
        micros,
        dry ? 1 : 0,
        ...targets.flatMap((t, i) => [t.limit, helds[i]!.reserved, helds[i]!.pending]),
      ];
      if (limiter) {
        keys.push(...limiter.windows(rate.keyId));
        args.push(...limiter.ask(rate.limits, rate.tokens), attempt >= 3 ? 1 : 0, SEED_MAX_AGE_MS);
      }
      let outcome: unknown;
      let rateOutcome: unknown;
      try {
        outcome = await this.redis.run(
          limiter ? this.scripts.admitReserve : this.scripts.reserve,
          keys,
          args,
        );
        if (limiter) [rateOutcome, outcome] = Array.isArray(outcome) ? outcome : [];
      } catch (error) {
        for (const held of helds) held.reserved -= micros;
        throw walletUnavailable(error);
      }
      const counted = Array.isArray(rateOutcome) && rateOutcome.length > 0;
      if (limiter && counted && Number((rateOutcome as unknown[])[0]) !== 0) {
        for (const held of helds) held.reserved -= micros;
        limiter.answer(rate.limits, rateOutcome); // throws the refused window's 429
      }
      const result = (Array.isArray(outcome) ? outcome : []).map(Number);
      const [status = -2, index = 1, , age = 0] = result;
      if (status !== 1 || dry) for (const held of helds) held.reserved -= micros;
      const target = targets[index - 1];
      const answer = { money: result, rate: counted ? rateOutcome : undefined };
      if (status === 1) {
        if (age > SEED_MAX_AGE_MS) for (const t of targets) this.seed(t).catch(() => undefined);
        return answer;
      }
      if (attempt >= 3 || !target || (status === 0 && age <= SEED_MAX_AGE_MS)) return answer;
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

  private static scopeKey = (scope: Scope) => `${scope.accountId} ${scope.keyId ?? ''}`;

  private remember(scope: Scope, left: number | null): void {
    if (this.seen.size > 10_000) this.seen.clear();
    this.seen.set(RedisWallet.scopeKey(scope), { left, at: Date.now() });
  }

  async available(scope: Scope): Promise<number | null> {
    const [status, limited, left] = (await this.decide(this.targets(scope), 0, true)).money;
    if (status !== 1) throw walletUnavailable();
    const available = limited === 1 ? left! : null;
    this.remember(scope, available);
    return available;
  }

  /** From the last answer Redis gave this replica for the scope when under a second old: no round trip. */
  async recentlyAvailable(scope: Scope): Promise<number | null> {
    const seen = this.seen.get(RedisWallet.scopeKey(scope));
    if (seen && Date.now() - seen.at < SEED_MAX_AGE_MS) return seen.left;
    return this.available(scope);
  }

  async reserve(scope: Scope, micros: number): Promise<Reservation> {
    const { reservation, refusal } = await this.reserveOrRefuse(scope, micros);
    if (refusal) throw refusal;
    return reservation!;
  }

  private async admitting(
    limiter: RedisRateLimiter,
    scope: Scope,
    micros: number,
    rate: RateAsk,
  ): Promise<AdmittedWithMoney> {
    const decided = await this.reserveOrRefuse(scope, micros, rate);
    // Only a final money answer comes back from `decide`, and the windows were counted with it.
    return { ...decided, rate: limiter.answer(rate.limits, decided.rate) };
  }

  /** Reserves (with the rate limits, given `rate`): the reservation, or the money refusal. */
  private async reserveOrRefuse(
    scope: Scope,
    micros: number,
    rate?: RateAsk,
  ): Promise<{ reservation?: Reservation; refusal?: MoneyRefusal; rate: unknown }> {
    const targets = this.targets(scope);
    const decided = await this.decide(targets, micros, false, rate);
    const [status, index, left = 0] = decided.money;
    if (status === 1) {
      this.remember(scope, index === 1 ? left : null);
      const reservation: RedisReservation = {
        scope,
        micros,
        done: false,
        hashes: targets.map((t) => t.hash),
      };
      return { reservation, rate: decided.rate };
    }
    if (status !== 0) throw walletUnavailable();
    this.remember(scope, left);
    const refusal =
      targets[index! - 1]?.kind === 'key' ? budgetExceeded(micros, left) : insufficientCredits(micros, left);
    return { refusal, rate: decided.rate };
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
    // The tpm corrections of this turn's settles ride along (the limiter would send them on its own).
    const corrections = this.limiter?.takeCorrections();
    this.put(hashes, corrections).catch(() => {
      if (corrections && corrections.keys.length > 0) this.limiter!.lost(corrections);
    });
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
    this.sendFlushed([...this.costs(rows).keys()].map((hash) => [hash, 0]));
    // The next attempt marks the write again.
    this.writes.delete(rows);
  }

  flushed(rows: readonly RequestRow[]): void {
    const costs = [...this.costs(rows)];
    for (const [hash, cost] of costs) {
      const held = this.hold(hash);
      held.pending = Math.max(0, held.pending - cost);
    }
    this.sendFlushed(costs);
  }

  /** FLUSHED for every hash of one ledger write, in one call: `costs` is what moves to spend (0: none). */
  private sendFlushed(costs: ReadonlyArray<readonly [string, number]>): void {
    for (let i = 0; i < costs.length; i += 100) {
      const chunk = costs.slice(i, i + 100);
      this.redis
        .run(
          this.scripts.flushed,
          [this.lease, ...chunk.map(([hash]) => hash)],
          [
            this.redis.replicaId,
            LEASE_MS,
            IDLE_MS,
            ...chunk.flatMap(([hash, cost]) => [this.hold(hash).pending, cost]),
          ],
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

  /**
   * Writes this replica's totals for `hashes` and renews its lease; `corrections` (the rate limiter's) go
   * in the same script as the first hundred hashes.
   */
  private async put(hashes: readonly string[], corrections?: Corrections): Promise<void> {
    let rates = corrections && corrections.keys.length > 0 ? corrections : undefined;
    for (let i = 0; i < hashes.length || rates; i += 100) {
      const chunk = hashes.slice(i, i + 100);
      const keys = [this.lease, ...chunk];
      const args: number[] = chunk.flatMap((hash) => {
        const held = this.hold(hash);
        return [held.reserved, held.pending];
      });
      const head = [this.redis.replicaId, LEASE_MS, IDLE_MS];
      if (rates) {
        await this.redis.run(
          this.scripts.settle,
          [...keys, ...rates.keys],
          [...head, ...args, ...rates.deltas, keys.length],
        );
        rates = undefined;
      } else await this.redis.run(this.scripts.put, keys, [...head, ...args]);
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
