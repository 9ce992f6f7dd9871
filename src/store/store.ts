// The only place that speaks SQL, with ledger-writes.ts (the ledger batch, straight on each driver). One query
// layer (Kysely) over SQLite (default) and PostgreSQL.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { type Insertable, Kysely, PostgresDialect, type Selectable, SqliteDialect, sql } from 'kysely';
import { postgresLedgerWriter, sqliteLedgerWriter } from './ledger-writes.js';
import { migrate } from './migrations.js';
import { ensureLedgerPartitions } from './partitions.js';
import type {
  AccountsTable,
  ApiKeysTable,
  CreditEntriesTable,
  DeadLetterRow,
  PricePlanRow,
  PriceVersionRow,
  RedemptionCodeRow,
  RequestRow,
  Schema,
  StoredResponseRow,
  WebhookDeliveryRow,
} from './schema.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { type StoredResponseWriter, sqliteStoredResponseWriter } from './stored-response-writes.js';

export { failureCode, isRowRefused } from './errors.js';
export type {
  DeadLetterRow,
  PricePlanRow,
  PriceVersionRow,
  RedemptionCodeRow,
  RequestRow,
  StoredResponseRow,
  WebhookDeliveryRow,
} from './schema.js';

/** A unique index refused the row (SQLite or PostgreSQL). */
export const isUniqueViolation = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

/** A top-up as applied: `replayed` when its Idempotency-Key had been applied before (nothing added now). */
export interface CreditApplied {
  account: AccountRow;
  entry: CreditEntryRow;
  replayed: boolean;
}

/** See `Store.statement`. */
export interface AccountStatement {
  openingMicros: number;
  credits: CreditEntryRow[];
  /** `upstreamMicros`: what the same requests cost upstream at list price (rows before 0011 have none). */
  spend: Array<{ day: string; model: string; requests: number; costMicros: number; upstreamMicros: number }>;
}

/** Why a redemption code was not redeemed. */
export type RedeemRefusal = 'unknown' | 'used' | 'expired' | 'unmetered' | 'no_account';

class Rollback extends Error {
  constructor(readonly reason: RedeemRefusal) {
    super(reason);
  }
}

export type KeyRow = Selectable<ApiKeysTable>;
export type NewKeyRow = Insertable<ApiKeysTable>;
export interface KeyPatch {
  name?: string;
  models?: string | null;
  budget_micros?: number | null;
  rpm?: number | null;
  tpm?: number | null;
  expires_at?: number | null;
}

export type AccountRow = Selectable<AccountsTable>;
export type CreditEntryRow = Omit<
  Selectable<CreditEntriesTable>,
  'idempotency_key' | 'expires_at' | 'spend_at_grant' | 'expired_at'
> & {
  idempotency_key?: string | null | undefined;
  expires_at?: number | null | undefined;
  spend_at_grant?: number | null | undefined;
  expired_at?: number | null | undefined;
};

export interface RequestQuery {
  limit: number;
  keyId?: string;
  accountId?: string;
  model?: string;
  status?: string;
  /** Inclusive lower and exclusive upper bound, ms since the epoch. */
  from?: number;
  to?: number;
}

export type UsageGroupBy = 'model' | 'key' | 'day';

export interface UsageQuery {
  from: number;
  to: number;
  groupBy: UsageGroupBy;
  keyId?: string;
  accountId?: string;
  model?: string;
}

export interface UsageRow {
  group: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
  avg_latency_ms: number;
}

/** Spend as the database holds it (flushed ledger rows only). */
export interface SpendState {
  creditsMicros: number | null;
  spendMicros: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

async function createDialect(url: string): Promise<{
  engine: 'sqlite' | 'postgres';
  dialect: SqliteDialect | PostgresDialect;
  /** Made once the migrations have run: they prepare statements on the tables. */
  writers: () => DirectWriters;
  /** SQLite on a file: starts checkpointing its WAL off the event loop (sqlite-checkpointer.ts). */
  startCheckpointer?: () => SqliteCheckpointer;
}> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // Imported only when used: a SQLite gateway does not load the PostgreSQL driver.
    const { default: pg } = await import('pg');
    // PostgreSQL returns bigint as a string by default; our bigints (ms times, micro-dollars) fit in a double.
    pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle connection that the server drops (restart, failover) emits 'error' on the pool; unhandled,
    // that would end the process. The pool replaces the connection; the next query reports any outage.
    pool.on('error', () => undefined);
    return {
      engine: 'postgres',
      dialect: new PostgresDialect({ pool }),
      writers: () => ({ ledger: postgresLedgerWriter(pool) }),
    };
  }
  if (!url.startsWith('sqlite:'))
    throw new Error(`DATABASE_URL must start with sqlite: or postgres://, got ${url}`);
  const path = url.slice('sqlite:'.length);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return {
    engine: 'sqlite',
    dialect: new SqliteDialect({ database }),
    ...(database.memory ? {} : { startCheckpointer: () => new SqliteCheckpointer(database, path) }),
    writers: () => ({
      ledger: sqliteLedgerWriter(database),
      storedResponses: sqliteStoredResponseWriter(database),
    }),
  };
}

/** A batch write of ledger rows on the driver itself (ledger-writes.ts); undefined: use the query builder. */
type LedgerWriter = (rows: readonly RequestRow[]) => number | undefined | Promise<number>;

/** The writes that skip the query builder: the ledger's on both engines, stored answers' on SQLite. */
interface DirectWriters {
  ledger: LedgerWriter;
  storedResponses?: StoredResponseWriter;
}

/** Usage sums for one group, before averages are taken (rollup and raw rows add up). */
interface UsageSums {
  grp: string | number;
  requests: number | string;
  errors: number | string;
  prompt_tokens: number | string;
  completion_tokens: number | string;
  cost_micros: number | string;
  latency_ms: number | string;
}

export class Store {
  /**
   * Where the ledger lives: `requests` on SQLite, the partitioned `request_log` on PostgreSQL. Both have
   * the same columns; the type names one of them so every query below is typed once.
   */
  private readonly ledger: 'requests';
  private checkpoints: SqliteCheckpointer | undefined;

  private constructor(
    readonly engine: 'sqlite' | 'postgres',
    private readonly db: Kysely<Schema>,
    private readonly writeLedger: LedgerWriter,
    private readonly writeStoredResponses: StoredResponseWriter | undefined,
    /**
     * SQLite on a file: starts its WAL's checkpoints off the event loop, at the first ledger write (a CLI
     * command's few writes need no thread of their own).
     */
    private readonly startCheckpointer: (() => SqliteCheckpointer) | undefined,
  ) {
    this.ledger = (engine === 'postgres' ? 'request_log' : 'requests') as 'requests';
  }

  /** Opens the database and runs migrations; throws (and the gateway refuses to start) if either fails. */
  static async open(url: string): Promise<Store> {
    const { engine, dialect, writers, startCheckpointer } = await createDialect(url);
    const db = new Kysely<Schema>({ dialect });
    try {
      await migrate(db as unknown as Kysely<unknown>, engine);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    const { ledger, storedResponses } = writers();
    const store = new Store(engine, db, ledger, storedResponses, startCheckpointer);
    await store.ensurePartitions();
    return store;
  }

  /**
   * PostgreSQL: creates the ledger's monthly partitions for this month and the next ones (see
   * partitions.ts). Returns the ones that could not be created; SQLite has none.
   */
  async ensurePartitions(now = Date.now()): Promise<Array<{ name: string; error: string }>> {
    if (this.engine !== 'postgres') return [];
    return ensureLedgerPartitions(this.db as unknown as Kysely<unknown>, now, now);
  }

  /**
   * A random id for this database, made once: a ledger spool names it, so rows spooled for one database
   * are never replayed into another.
   */
  async instanceId(): Promise<string> {
    await this.initSetting('instance_id', randomBytes(8).toString('hex'));
    return (await this.getSetting('instance_id'))!;
  }

  /** SQLite on a file, once the ledger has written: the worker that checkpoints its WAL. */
  get checkpointer(): SqliteCheckpointer | undefined {
    return this.checkpoints;
  }

  async close(): Promise<void> {
    // The worker's connection first: the last one to close finishes the WAL into the file.
    await this.checkpoints?.close();
    await this.db.destroy();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async getSetting(name: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.value;
  }

  /** Sets a setting only if it is not set yet; returns whether this call set it. */
  async initSetting(name: string, value: string): Promise<boolean> {
    const result = await this.db
      .insertInto('settings')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Sets a setting, replacing its value. */
  async putSetting(name: string, value: string): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
      .execute();
  }

  async insertKey(row: NewKeyRow): Promise<KeyRow> {
    await this.db.insertInto('api_keys').values(row).execute();
    return (await this.getKey(row.id))!;
  }

  async getKey(id: string): Promise<KeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listKeys(): Promise<KeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').orderBy('id').execute();
  }

  async updateKey(id: string, patch: KeyPatch): Promise<KeyRow | undefined> {
    if (Object.keys(patch).length > 0)
      await this.db.updateTable('api_keys').set(patch).where('id', '=', id).execute();
    return this.getKey(id);
  }

  /** Revokes a key; returns false when there is no such key. Revoking twice keeps the first time. */
  async revokeKey(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: sql`coalesce(revoked_at, ${at})` })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async accountExists(id: string): Promise<boolean> {
    const row = await this.db.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  async insertAccount(row: { id: string; name: string; credits_micros: number | null; created_at: number }) {
    await this.db.insertInto('accounts').values(row).execute();
    return (await this.getAccount(row.id))!;
  }

  async getAccount(id: string): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listAccounts(): Promise<AccountRow[]> {
    return this.db.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  /** Puts an account on a price plan (null: list prices). Undefined when there is no such account. */
  async setAccountPlan(id: string, planId: string | null): Promise<AccountRow | undefined> {
    await this.db.updateTable('accounts').set({ plan_id: planId }).where('id', '=', id).execute();
    return this.getAccount(id);
  }

  /** Every account on a plan, with its plan: what each replica caches (accounting/plans.ts). */
  async listPlanAssignments(): Promise<Array<{ id: string; plan_id: string }>> {
    const rows = await this.db
      .selectFrom('accounts')
      .select(['id', 'plan_id'])
      .where('plan_id', 'is not', null)
      .execute();
    return rows as Array<{ id: string; plan_id: string }>;
  }

  async insertPlan(row: PricePlanRow): Promise<PricePlanRow> {
    await this.db.insertInto('price_plans').values(row).execute();
    return row;
  }

  async getPlan(id: string): Promise<PricePlanRow | undefined> {
    return this.db.selectFrom('price_plans').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listPlans(): Promise<PricePlanRow[]> {
    return this.db.selectFrom('price_plans').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  async updatePlan(
    id: string,
    patch: Partial<Omit<PricePlanRow, 'id' | 'created_at'>>,
  ): Promise<PricePlanRow | undefined> {
    await this.db.updateTable('price_plans').set(patch).where('id', '=', id).execute();
    return this.getPlan(id);
  }

  /**
   * Deletes a plan no account is on: 'in_use' (with how many) when some are, false when there is none. The
   * check and the delete are one transaction, so an account cannot be put on the plan in between.
   */
  async deletePlan(id: string): Promise<boolean | { inUse: number }> {
    return this.db.transaction().execute(async (tx) => {
      const used = await tx
        .selectFrom('accounts')
        .select(sql<number>`count(*)`.as('n'))
        .where('plan_id', '=', id)
        .executeTakeFirstOrThrow();
      if (Number(used.n) > 0) return { inUse: Number(used.n) };
      const result = await tx.deleteFrom('price_plans').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async renameAccount(id: string, name: string): Promise<AccountRow | undefined> {
    await this.db.updateTable('accounts').set({ name }).where('id', '=', id).execute();
    return this.getAccount(id);
  }

  /**
   * Adds credit as a ledger entry and to a prepaid account's balance, in one transaction. Undefined when
   * there is no such account; 'unmetered' when it is unmetered (credit would not limit it: it must be
   * switched to prepaid first, `setMetering`).
   */
  async addCredit(entry: CreditEntryRow): Promise<AccountRow | 'unmetered' | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const result = await tx
        .updateTable('accounts')
        .set({ credits_micros: sql`credits_micros + ${entry.amount_micros}` })
        .where('id', '=', entry.account_id)
        .where('credits_micros', 'is not', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        const found = await tx.selectFrom('accounts').select('id').where('id', '=', entry.account_id);
        return (await found.executeTakeFirst()) ? 'unmetered' : undefined;
      }
      let row = entry;
      if (entry.expires_at != null) {
        const { spend_micros } = await tx
          .selectFrom('accounts')
          .select('spend_micros')
          .where('id', '=', entry.account_id)
          .executeTakeFirstOrThrow();
        row = { ...entry, spend_at_grant: spend_micros };
      }
      await tx.insertInto('credit_entries').values(row).execute();
      return tx.selectFrom('accounts').selectAll().where('id', '=', entry.account_id).executeTakeFirst();
    });
  }

  /**
   * Switches an account's metering. To prepaid, its balance opens at $0: a credit entry (`opening`, its
   * amount filled in here) carries what it spent while unmetered, so credits stay the sum of the entries.
   * To unmetered, its credits are set aside (null). Unchanged when it already is so; undefined when there
   * is no such account.
   */
  async setMetering(
    id: string,
    metering: 'prepaid' | 'unmetered',
    opening: CreditEntryRow,
  ): Promise<AccountRow | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      if ((row.credits_micros !== null) === (metering === 'prepaid')) return row;
      if (metering === 'unmetered') {
        await tx.updateTable('accounts').set({ credits_micros: null }).where('id', '=', id).execute();
      } else {
        const { total } = await tx
          .selectFrom('credit_entries')
          .select(sql<string | number>`coalesce(sum(amount_micros), 0)`.as('total'))
          .where('account_id', '=', id)
          .executeTakeFirstOrThrow();
        const carried = Number(row.spend_micros) - Number(total);
        await tx
          .insertInto('credit_entries')
          .values({ ...opening, amount_micros: carried })
          .execute();
        await tx
          .updateTable('accounts')
          .set({ credits_micros: Number(total) + carried })
          .where('id', '=', id)
          .execute();
      }
      return tx.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    });
  }

  /**
   * `addCredit` applied at most once per Idempotency-Key and account: a retry (even one racing the first
   * attempt) gets the entry the first one made, with `replayed` set, and adds nothing.
   */
  async addCreditOnce(entry: CreditEntryRow): Promise<CreditApplied | 'unmetered' | undefined> {
    const key = entry.idempotency_key;
    const earlier = async (): Promise<CreditApplied | undefined> => {
      if (!key) return undefined;
      const found = await this.db
        .selectFrom('credit_entries')
        .selectAll()
        .where('account_id', '=', entry.account_id)
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      const account = found && (await this.getAccount(entry.account_id));
      return found && account ? { account, entry: found, replayed: true } : undefined;
    };
    const before = await earlier();
    if (before) return before;
    try {
      const account = await this.addCredit(entry);
      if (account === undefined || account === 'unmetered') return account;
      return { account, entry, replayed: false };
    } catch (error) {
      // A concurrent retry with the same key committed first: this attempt was rolled back whole.
      const won = isUniqueViolation(error) ? await earlier() : undefined;
      if (!won) throw error;
      return won;
    }
  }

  /**
   * Expires the grants whose time has come: each is claimed once (a conditional update), and its unspent
   * rest, min(amount − spend since it was granted, balance) and never below 0, is withdrawn by a negative
   * credit entry (`withdrawal` names it). Spend after a grant counts against it first; of overlapping
   * grants each counts it, so less is withdrawn, never more. Returns the accounts that changed.
   */
  async expireGrants(now: number, withdrawal: (grant: CreditEntryRow) => CreditEntryRow): Promise<string[]> {
    const due = await this.db
      .selectFrom('credit_entries')
      .selectAll()
      .where('expires_at', '<=', now)
      .where('expired_at', 'is', null)
      .limit(500)
      .execute();
    const changed = new Set<string>();
    for (const grant of due) {
      await this.db.transaction().execute(async (tx) => {
        const claimed = await tx
          .updateTable('credit_entries')
          .set({ expired_at: now })
          .where('id', '=', grant.id)
          .where('expired_at', 'is', null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 0) return;
        const account = await tx
          .selectFrom('accounts')
          .select(['credits_micros', 'spend_micros'])
          .where('id', '=', grant.account_id)
          .executeTakeFirst();
        if (!account || account.credits_micros === null) return;
        const unspent = grant.amount_micros - (account.spend_micros - (grant.spend_at_grant ?? 0));
        const rest = Math.max(0, Math.min(unspent, account.credits_micros - account.spend_micros));
        if (rest === 0) return;
        const entry = { ...withdrawal(grant), amount_micros: -rest };
        await tx.insertInto('credit_entries').values(entry).execute();
        await tx
          .updateTable('accounts')
          .set({ credits_micros: sql`credits_micros - ${rest}` })
          .where('id', '=', grant.account_id)
          .execute();
        changed.add(grant.account_id);
      });
    }
    return [...changed];
  }

  /** Sets (or clears, null) an account's low-balance threshold; it may fire again at once. */
  async setLowBalance(id: string, micros: number | null): Promise<AccountRow | undefined> {
    await this.db
      .updateTable('accounts')
      .set({ low_balance_micros: micros, low_balance_notified_at: null })
      .where('id', '=', id)
      .execute();
    return this.getAccount(id);
  }

  /**
   * The low-balance sweep: every prepaid account whose balance is below its threshold and that has not
   * been told yet is marked told and gets a delivery (`payload` builds its body); each account is claimed
   * by one conditional update, so of several replicas sweeping at once only one records it. Accounts back
   * at or above their threshold are unmarked, to fire again on the next crossing. Returns the new ones.
   */
  async sweepLowBalances(
    now: number,
    delivery: (account: AccountRow) => { id: string; event: string; payload: string },
  ): Promise<WebhookDeliveryRow[]> {
    await this.db
      .updateTable('accounts')
      .set({ low_balance_notified_at: null })
      .where('low_balance_notified_at', 'is not', null)
      .where((eb) =>
        eb.or([
          eb('low_balance_micros', 'is', null),
          eb('credits_micros', 'is', null),
          eb(sql`credits_micros - spend_micros`, '>=', sql`low_balance_micros`),
        ]),
      )
      .execute();
    const low = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('low_balance_micros', 'is not', null)
      .where('low_balance_notified_at', 'is', null)
      .where('credits_micros', 'is not', null)
      .where(sql`credits_micros - spend_micros`, '<', sql`low_balance_micros`)
      .execute();
    const made: WebhookDeliveryRow[] = [];
    for (const account of low) {
      const row = await this.db.transaction().execute(async (tx) => {
        const claimed = await tx
          .updateTable('accounts')
          .set({ low_balance_notified_at: now })
          .where('id', '=', account.id)
          .where('low_balance_notified_at', 'is', null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 0) return undefined;
        const { id, event, payload } = delivery(account);
        const values = { id, account_id: account.id, event, payload, created_at: now, next_attempt_at: now };
        await tx.insertInto('webhook_deliveries').values(values).execute();
        return tx.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      });
      if (row) made.push(row);
    }
    return made;
  }

  /**
   * Deliveries due by `now`, each claimed for `leaseMs` (its next attempt moved forward by a conditional
   * update, so one replica sends it; if that replica dies, the lease runs out and another does).
   */
  async claimDueDeliveries(now: number, leaseMs: number, limit = 50): Promise<WebhookDeliveryRow[]> {
    const due = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    const claimed: WebhookDeliveryRow[] = [];
    for (const row of due) {
      const result = await this.db
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: now + leaseMs })
        .where('id', '=', row.id)
        .where('next_attempt_at', '=', row.next_attempt_at)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) claimed.push(row);
    }
    return claimed;
  }

  /** Records one attempt of a delivery; `next` is when to try again (null: delivered or given up). */
  async recordAttempt(
    row: WebhookDeliveryRow,
    attempt: { at: number; status?: number; error?: string },
    delivered: boolean,
    next: number | null,
  ): Promise<void> {
    const attempts = [...(JSON.parse(row.attempts_json) as unknown[]), attempt];
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        attempts: attempts.length,
        attempts_json: JSON.stringify(attempts),
        next_attempt_at: next,
        last_status: attempt.status ?? null,
        last_error: attempt.error ?? null,
        ...(delivered ? { delivered_at: attempt.at } : {}),
      })
      .where('id', '=', row.id)
      .execute();
  }

  async listDeliveries(accountId?: string, limit = 200): Promise<WebhookDeliveryRow[]> {
    let q = this.db.selectFrom('webhook_deliveries').selectAll();
    if (accountId) q = q.where('account_id', '=', accountId);
    return q.orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
  }

  async insertRedemptionCodes(rows: RedemptionCodeRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200)
      await this.db
        .insertInto('redemption_codes')
        .values(rows.slice(i, i + 200))
        .execute();
  }

  async listRedemptionCodes(limit = 1000): Promise<RedemptionCodeRow[]> {
    return this.db
      .selectFrom('redemption_codes')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * Redeems a code for a prepaid account, in one transaction: the code is marked used only if nobody used
   * it before (so of concurrent redemptions exactly one wins), and its amount is added as a credit entry
   * (`entry`'s amount is the code's). Returns the applied credit, or why not.
   */
  async redeemCode(
    codeHash: string,
    accountId: string,
    entry: Omit<CreditEntryRow, 'amount_micros'>,
    now: number,
  ): Promise<CreditApplied | RedeemRefusal> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        const code = await tx
          .selectFrom('redemption_codes')
          .selectAll()
          .where('code_hash', '=', codeHash)
          .executeTakeFirst();
        if (!code) throw new Rollback('unknown');
        if (code.expires_at !== null && code.expires_at <= now) throw new Rollback('expired');
        const claimed = await tx
          .updateTable('redemption_codes')
          .set({ redeemed_at: now, account_id: accountId, credit_id: entry.id })
          .where('id', '=', code.id)
          .where('redeemed_at', 'is', null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 0) throw new Rollback('used');
        const credited = await tx
          .updateTable('accounts')
          .set({ credits_micros: sql`credits_micros + ${code.amount_micros}` })
          .where('id', '=', accountId)
          .where('credits_micros', 'is not', null)
          .executeTakeFirst();
        if (Number(credited.numUpdatedRows) === 0) {
          const found = await tx.selectFrom('accounts').select('id').where('id', '=', accountId);
          throw new Rollback((await found.executeTakeFirst()) ? 'unmetered' : 'no_account');
        }
        const row = { ...entry, amount_micros: code.amount_micros };
        await tx.insertInto('credit_entries').values(row).execute();
        const account = await tx
          .selectFrom('accounts')
          .selectAll()
          .where('id', '=', accountId)
          .executeTakeFirstOrThrow();
        return { account, entry: row, replayed: false };
      });
    } catch (error) {
      if (error instanceof Rollback) return error.reason;
      throw error;
    }
  }

  async listCredits(accountId: string, limit = 500): Promise<CreditEntryRow[]> {
    return this.db
      .selectFrom('credit_entries')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  async accountSpend(id: string): Promise<SpendState | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['credits_micros', 'spend_micros'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && { creditsMicros: row.credits_micros, spendMicros: row.spend_micros };
  }

  async keySpend(id: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select('spend_micros')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.spend_micros;
  }

  async getRequest(id: string): Promise<RequestRow | undefined> {
    return this.db.selectFrom(this.ledger).selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Usage totals grouped by model, key or day; always bounded by a time window and read through an index.
   * On PostgreSQL the whole hours of the window come from the hourly rollup and only its ragged edges from
   * the ledger itself, so a month of usage reads a few hundred rollup rows, not millions of requests.
   */
  async usage(query: UsageQuery): Promise<UsageRow[]> {
    const sums = this.engine === 'postgres' ? await this.rolledUsage(query) : await this.rawUsage(query);
    return sums.map((row) => {
      const requests = Number(row.requests);
      return {
        group:
          query.groupBy === 'day'
            ? new Date(Number(row.grp) * DAY_MS).toISOString().slice(0, 10)
            : String(row.grp),
        requests,
        errors: Number(row.errors),
        prompt_tokens: Number(row.prompt_tokens),
        completion_tokens: Number(row.completion_tokens),
        cost_micros: Number(row.cost_micros),
        avg_latency_ms: requests > 0 ? Math.round(Number(row.latency_ms) / requests) : 0,
      };
    });
  }

  /**
   * An account's statement over [from, to): what its credit entries and ledger rows before `from` add up to,
   * every credit entry in the window, and its spend per UTC day and model in the window (micro-USD).
   */
  async statement(accountId: string, from: number, to: number): Promise<AccountStatement> {
    const [creditsBefore, spendBefore, credits, spend] = await Promise.all([
      this.db
        .selectFrom('credit_entries')
        .select(sql<number>`coalesce(sum(amount_micros), 0)`.as('total'))
        .where('account_id', '=', accountId)
        .where('created_at', '<', from)
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom(this.ledger)
        .select(sql<number>`coalesce(sum(cost_micros), 0)`.as('total'))
        .where('account_id', '=', accountId)
        .where('created_at', '<', from)
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('credit_entries')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .orderBy('created_at')
        .orderBy('id')
        .execute(),
      this.db
        .selectFrom(this.ledger)
        .select([
          sql<number>`created_at / ${sql.lit(DAY_MS)}`.as('day'),
          'model',
          sql<number>`count(*)`.as('requests'),
          sql<number>`coalesce(sum(cost_micros), 0)`.as('cost'),
          sql<number>`coalesce(sum(upstream_cost_micros), 0)`.as('upstream'),
        ])
        .where('account_id', '=', accountId)
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .groupBy([sql`created_at / ${sql.lit(DAY_MS)}`, 'model'])
        .orderBy(sql`created_at / ${sql.lit(DAY_MS)}`)
        .orderBy('model')
        .execute(),
    ]);
    return {
      openingMicros: Number(creditsBefore.total) - Number(spendBefore.total),
      credits,
      spend: spend.map((row) => ({
        day: new Date(Math.floor(Number(row.day)) * DAY_MS).toISOString().slice(0, 10),
        model: row.model,
        requests: Number(row.requests),
        costMicros: Number(row.cost),
        upstreamMicros: Number(row.upstream),
      })),
    };
  }

  /** Sums straight from the ledger rows in [from, to). */
  private async rawUsage(query: UsageQuery, from = query.from, to = query.to): Promise<UsageSums[]> {
    const group =
      query.groupBy === 'model'
        ? sql<string>`model`
        : query.groupBy === 'key'
          ? sql<string>`coalesce(key_id, 'admin')`
          : sql<string>`created_at / ${sql.lit(DAY_MS)}`;
    let q = this.db
      .selectFrom(this.ledger)
      .select([
        group.as('grp'),
        sql<number>`count(*)`.as('requests'),
        sql<number>`sum(case when status = 'error' then 1 else 0 end)`.as('errors'),
        sql<number>`coalesce(sum(prompt_tokens), 0)`.as('prompt_tokens'),
        sql<number>`coalesce(sum(completion_tokens), 0)`.as('completion_tokens'),
        sql<number>`coalesce(sum(cost_micros), 0)`.as('cost_micros'),
        sql<number>`coalesce(sum(latency_ms), 0)`.as('latency_ms'),
      ])
      .where('created_at', '>=', from)
      .where('created_at', '<', to);
    if (query.keyId) q = q.where('key_id', '=', query.keyId);
    if (query.accountId) q = q.where('account_id', '=', query.accountId);
    if (query.model) q = q.where('model', '=', query.model);
    return q.groupBy(sql`grp`).orderBy(sql`grp`).execute();
  }

  /** PostgreSQL: whole hours from `usage_hourly`, the partial hours at either end from the ledger. */
  private async rolledUsage(query: UsageQuery): Promise<UsageSums[]> {
    const first = Math.ceil(query.from / HOUR_MS) * HOUR_MS;
    const last = Math.floor(query.to / HOUR_MS) * HOUR_MS;
    if (first >= last) return this.rawUsage(query);
    const group =
      query.groupBy === 'model'
        ? sql<string>`model`
        : query.groupBy === 'key'
          ? sql<string>`case when key_id = '' then 'admin' else key_id end`
          : sql<string>`hour / ${sql.lit(DAY_MS)}`;
    let q = this.db
      .selectFrom('usage_hourly')
      .select([
        group.as('grp'),
        sql<number>`sum(requests)`.as('requests'),
        sql<number>`sum(errors)`.as('errors'),
        sql<number>`sum(prompt_tokens)`.as('prompt_tokens'),
        sql<number>`sum(completion_tokens)`.as('completion_tokens'),
        sql<number>`sum(cost_micros)`.as('cost_micros'),
        sql<number>`sum(latency_ms)`.as('latency_ms'),
      ])
      .where('hour', '>=', first)
      .where('hour', '<', last);
    if (query.keyId) q = q.where('key_id', '=', query.keyId);
    if (query.accountId) q = q.where('account_id', '=', query.accountId);
    if (query.model) q = q.where('model', '=', query.model);
    const parts = await Promise.all([
      q.groupBy(sql`grp`).execute(),
      query.from < first ? this.rawUsage(query, query.from, first) : [],
      last < query.to ? this.rawUsage(query, last, query.to) : [],
    ]);
    const merged = new Map<string, UsageSums>();
    for (const row of parts.flat()) {
      const id = String(row.grp);
      const into = merged.get(id);
      if (!into) {
        merged.set(id, { ...row });
        continue;
      }
      for (const field of [
        'requests',
        'errors',
        'prompt_tokens',
        'completion_tokens',
        'cost_micros',
        'latency_ms',
      ] as const)
        into[field] = Number(into[field]) + Number(row[field]);
    }
    const rows = [...merged.values()];
    return query.groupBy === 'day'
      ? rows.sort((a, b) => Number(a.grp) - Number(b.grp))
      : rows.sort((a, b) => (String(a.grp) < String(b.grp) ? -1 : String(a.grp) > String(b.grp) ? 1 : 0));
  }

  /**
   * Appends ledger rows and adds their cost to key and account spend (and, on PostgreSQL, to the hourly
   * rollup), in one transaction. Exactly once by request id: a row already in the ledger (a spool replayed
   * after a crash) is skipped and its cost not counted again. On SQLite, where the ledger's key is the id
   * alone, a row whose id is taken by a different request (a client reusing `x-request-id`) is not kept but
   * is still paid for. Returns how many rows were new.
   */
  async insertRequests(rows: RequestRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    if (this.startCheckpointer && !this.checkpoints) this.checkpoints = this.startCheckpointer();
    const written = this.writeLedger(rows);
    if (written !== undefined) return written;
    // SQLite while a query-builder transaction holds the connection: wait for the connection (the builder
    // hands it out one user at a time), then write the same way.
    return this.db.connection().execute(async () => {
      const queued = this.writeLedger(rows);
      if (queued === undefined) throw new Error('the SQLite connection is still in a transaction');
      return queued;
    });
  }

  /**
   * Sets aside a ledger row the database refused, and adds its cost to key and account spend (it was
   * answered, so it is paid for), in one transaction. Once by request id: setting the same row aside again
   * (a replayed spool) changes nothing. Returns whether it was new.
   */
  async insertDeadLetter(
    row: RequestRow,
    error: string,
    errorCode: string | null,
    at: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const result = await tx
        .insertInto('ledger_dead_letters')
        .values({ id: row.id, created_at: at, row_json: JSON.stringify(row), error, error_code: errorCode })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      const cost = row.cost_micros ?? 0;
      if (cost !== 0 && row.key_id)
        await tx
          .updateTable('api_keys')
          .set({ spend_micros: sql`spend_micros + ${cost}` })
          .where('id', '=', row.key_id)
          .execute();
      if (cost !== 0 && row.account_id)
        await tx
          .updateTable('accounts')
          .set({ spend_micros: sql`spend_micros + ${cost}` })
          .where('id', '=', row.account_id)
          .execute();
      return true;
    });
  }

  async listDeadLetters(limit = 100): Promise<DeadLetterRow[]> {
    return this.db
      .selectFrom('ledger_dead_letters')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  async listRequests(query: RequestQuery): Promise<RequestRow[]> {
    let q = this.db.selectFrom(this.ledger).selectAll();
    if (query.keyId) q = q.where('key_id', '=', query.keyId);
    if (query.accountId) q = q.where('account_id', '=', query.accountId);
    if (query.model) q = q.where('model', '=', query.model);
    if (query.status) q = q.where('status', '=', query.status as RequestRow['status']);
    if (query.from !== undefined) q = q.where('created_at', '>=', query.from);
    if (query.to !== undefined) q = q.where('created_at', '<', query.to);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  }

  /** Keeps Responses API answers (a batch, in one statement); an id kept already stays as it was. */
  async insertStoredResponses(rows: readonly StoredResponseRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.writeStoredResponses?.(rows)) return;
    await this.db
      .insertInto('stored_responses')
      .values([...rows])
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** A stored response of this account, if kept and created at or after `notBefore` (ms). */
  async getStoredResponse(
    id: string,
    accountId: string,
    notBefore: number,
  ): Promise<StoredResponseRow | undefined> {
    return this.db
      .selectFrom('stored_responses')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .where('created_at', '>=', notBefore)
      .executeTakeFirst();
  }

  /** Deletes a stored response of this account; whether there was one. */
  async deleteStoredResponse(id: string, accountId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('stored_responses')
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes stored responses created before `before` (ms); how many. */
  async pruneStoredResponses(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('stored_responses')
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Adds a price version, numbered one past the newest. Two importers at once: the loser's number is taken
   * (the primary key refuses it) and it tries the next.
   */
  async insertPriceVersion(row: Omit<PriceVersionRow, 'id'>): Promise<PriceVersionRow> {
    for (let attempt = 0; ; attempt++) {
      const newest = await this.latestPriceVersionId();
      const version = { ...row, id: (newest ?? 0) + 1 };
      try {
        await this.db.insertInto('price_versions').values(version).execute();
        return version;
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 5) throw error;
      }
    }
  }

  /** The newest price version's number (what gateways poll: one index lookup), if any. */
  async latestPriceVersionId(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('price_versions')
      .select('id')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  async getPriceVersion(id: number): Promise<PriceVersionRow | undefined> {
    return this.db.selectFrom('price_versions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Price versions, newest first, without their prices. */
  async listPriceVersions(limit = 100): Promise<Array<Omit<PriceVersionRow, 'prices_json'>>> {
    return this.db
      .selectFrom('price_versions')
      .select(['id', 'created_at', 'format', 'source', 'models'])
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }
}
