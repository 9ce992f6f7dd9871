// The only place that speaks SQL. One query layer (Kysely) over SQLite (default) and PostgreSQL.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { type Insertable, Kysely, PostgresDialect, type Selectable, SqliteDialect, sql } from 'kysely';
import { migrate } from './migrations.js';
import { ensureLedgerPartitions, LEDGER_COLUMNS } from './partitions.js';
import type {
  AccountsTable,
  ApiKeysTable,
  CreditEntriesTable,
  RequestsTable,
  Schema,
  UsageHourlyTable,
} from './schema.js';

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
export type RequestRow = Selectable<RequestsTable>;

export type AccountRow = Selectable<AccountsTable>;
export type CreditEntryRow = Selectable<CreditEntriesTable>;

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

type SqliteDatabase = InstanceType<typeof SQLite>;

async function createDialect(url: string): Promise<{
  engine: 'sqlite' | 'postgres';
  dialect: SqliteDialect | PostgresDialect;
  sqlite?: SqliteDatabase;
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
    return { engine: 'postgres', dialect: new PostgresDialect({ pool }) };
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
  return { engine: 'sqlite', dialect: new SqliteDialect({ database }), sqlite: database };
}

const REQUEST_COLUMNS = LEDGER_COLUMNS satisfies ReadonlyArray<keyof RequestRow>;

/** Adds up cost per key and per account, for the spend columns. */
function spendBy(rows: readonly RequestRow[]) {
  const byKey = new Map<string, number>();
  const byAccount = new Map<string, number>();
  for (const row of rows) {
    if (!row.cost_micros) continue;
    if (row.key_id) byKey.set(row.key_id, (byKey.get(row.key_id) ?? 0) + row.cost_micros);
    if (row.account_id) byAccount.set(row.account_id, (byAccount.get(row.account_id) ?? 0) + row.cost_micros);
  }
  return { byKey, byAccount };
}

/**
 * The ledger's batch write on SQLite, as prepared statements in one transaction straight on the driver:
 * a flush of hundreds of rows takes about a millisecond instead of several through the query builder.
 */
function sqliteLedgerWriter(database: SqliteDatabase) {
  const insert = database.prepare(
    `insert into requests (${REQUEST_COLUMNS.join(', ')}) values (${REQUEST_COLUMNS.map((c) => `@${c}`).join(', ')})
     on conflict(id) do nothing`,
  );
  const keySpend = database.prepare('update api_keys set spend_micros = spend_micros + ? where id = ?');
  const accountSpend = database.prepare('update accounts set spend_micros = spend_micros + ? where id = ?');
  const existing = database.prepare('select created_at from requests where id = ?').pluck();
  const write = database.transaction((rows: readonly RequestRow[]) => {
    const inserted: RequestRow[] = [];
    const charged: RequestRow[] = [];
    for (const row of rows) {
      if (insert.run(row).changes > 0) {
        inserted.push(row);
        charged.push(row);
      } else if (existing.get(row.id) !== row.created_at) charged.push(row);
    }
    const { byKey, byAccount } = spendBy(charged);
    for (const [id, cost] of byKey) keySpend.run(cost, id);
    for (const [id, cost] of byAccount) accountSpend.run(cost, id);
    return inserted.length;
  });
  // Only when no query-builder transaction is open on the shared connection: nesting would tie the ledger
  // rows to someone else's commit or rollback.
  return (rows: readonly RequestRow[]): number | undefined => {
    if (database.inTransaction) return undefined;
    return write(rows);
  };
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

/** Ledger rows summed into the hourly rollup's rows, in primary-key order (a fixed lock order). */
function hourlyRollup(rows: readonly RequestRow[]) {
  const byGroup = new Map<string, Selectable<UsageHourlyTable>>();
  for (const row of rows) {
    const hour = row.created_at - (row.created_at % HOUR_MS);
    const group = {
      hour,
      account_id: row.account_id ?? '',
      key_id: row.key_id ?? '',
      model: row.model,
    };
    const id = JSON.stringify(group);
    let sums = byGroup.get(id);
    if (!sums) {
      sums = {
        ...group,
        requests: 0,
        errors: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_micros: 0,
        latency_ms: 0,
      };
      byGroup.set(id, sums);
    }
    sums.requests += 1;
    if (row.status === 'error') sums.errors += 1;
    sums.prompt_tokens += row.prompt_tokens ?? 0;
    sums.completion_tokens += row.completion_tokens ?? 0;
    sums.cost_micros += row.cost_micros ?? 0;
    sums.latency_ms += row.latency_ms;
  }
  const order = (r: Selectable<UsageHourlyTable>) => [r.hour, r.account_id, r.key_id, r.model] as const;
  return [...byGroup.values()].sort((a, b) => {
    const x = order(a);
    const y = order(b);
    for (let i = 0; i < x.length; i++) if (x[i]! !== y[i]!) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
}

const byId = <T>(map: Map<string, T>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export class Store {
  private readonly fastLedgerWrite: ((rows: readonly RequestRow[]) => number | undefined) | undefined;
  /**
   * Where the ledger lives: `requests` on SQLite, the partitioned `request_log` on PostgreSQL. Both have
   * the same columns; the type names one of them so every query below is typed once.
   */
  private readonly ledger: 'requests';

  private constructor(
    readonly engine: 'sqlite' | 'postgres',
    private readonly db: Kysely<Schema>,
    sqlite: SqliteDatabase | undefined,
  ) {
    this.fastLedgerWrite = sqlite ? sqliteLedgerWriter(sqlite) : undefined;
    this.ledger = (engine === 'postgres' ? 'request_log' : 'requests') as 'requests';
  }

  /** Opens the database and runs migrations; throws (and the gateway refuses to start) if either fails. */
  static async open(url: string): Promise<Store> {
    const { engine, dialect, sqlite } = await createDialect(url);
    const db = new Kysely<Schema>({ dialect });
    try {
      await migrate(db as unknown as Kysely<unknown>, engine);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    const store = new Store(engine, db, sqlite);
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

  async close(): Promise<void> {
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

  async renameAccount(id: string, name: string): Promise<AccountRow | undefined> {
    await this.db.updateTable('accounts').set({ name }).where('id', '=', id).execute();
    return this.getAccount(id);
  }

  /**
   * Adds credit as a ledger entry and to the account's balance, in one transaction. An unmetered account
   * becomes prepaid with its first top-up.
   */
  async addCredit(entry: CreditEntryRow): Promise<AccountRow | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const result = await tx
        .updateTable('accounts')
        .set({ credits_micros: sql`coalesce(credits_micros, 0) + ${entry.amount_micros}` })
        .where('id', '=', entry.account_id)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      await tx.insertInto('credit_entries').values(entry).execute();
      return tx.selectFrom('accounts').selectAll().where('id', '=', entry.account_id).executeTakeFirst();
    });
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
   * The rows whose cost is due: the new ones, and on SQLite (where the ledger's key is the id alone) also a
   * row whose id is taken by a different request (a client reusing `x-request-id`): its answer was served
   * and is paid for, even though the ledger keeps the first row of that id. A replayed row (same id, same
   * time) is never charged twice.
   */
  private async charged(
    tx: Kysely<Schema>,
    rows: readonly RequestRow[],
    inserted: RequestRow[],
  ): Promise<RequestRow[]> {
    if (this.engine === 'postgres' || inserted.length === rows.length) return inserted;
    const fresh = new Set(inserted);
    const others = rows.filter((row) => !fresh.has(row));
    const existing = await tx
      .selectFrom('requests')
      .select(['id', 'created_at'])
      .where(
        'id',
        'in',
        others.map((row) => row.id),
      )
      .execute();
    const at = new Map(existing.map((row) => [row.id, row.created_at]));
    return [...inserted, ...others.filter((row) => at.get(row.id) !== row.created_at)];
  }

  /**
   * Appends ledger rows and adds their cost to key and account spend (and, on PostgreSQL, to the hourly
   * rollup), in one transaction. Exactly once by request id: a row already in the ledger (a spool replayed
   * after a crash) is skipped and its cost not counted again. Returns how many rows were new.
   */
  async insertRequests(rows: RequestRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const fast = this.fastLedgerWrite?.(rows);
    if (fast !== undefined) return fast;
    return this.db.transaction().execute(async (tx) => {
      const written = await tx
        .insertInto(this.ledger)
        .values(rows)
        .onConflict((oc) =>
          (this.engine === 'postgres' ? oc.columns(['id', 'created_at']) : oc.column('id')).doNothing(),
        )
        .returning(['id', 'created_at'])
        .execute();
      const fresh = new Set(written.map((row) => `${row.id}@${row.created_at}`));
      const inserted = rows.filter((row) => fresh.has(`${row.id}@${row.created_at}`));
      const { byKey, byAccount } = spendBy(await this.charged(tx, rows, inserted));
      // Rows are locked in id order, so concurrent flushes from several replicas cannot deadlock.
      for (const [id, cost] of byId(byKey)) {
        await tx
          .updateTable('api_keys')
          .set({ spend_micros: sql`spend_micros + ${cost}` })
          .where('id', '=', id)
          .execute();
      }
      for (const [id, cost] of byId(byAccount)) {
        await tx
          .updateTable('accounts')
          .set({ spend_micros: sql`spend_micros + ${cost}` })
          .where('id', '=', id)
          .execute();
      }
      const rollup = this.engine === 'postgres' ? hourlyRollup(inserted) : [];
      if (rollup.length > 0) {
        await tx
          .insertInto('usage_hourly')
          .values(rollup)
          .onConflict((oc) =>
            oc.columns(['hour', 'account_id', 'key_id', 'model']).doUpdateSet({
              requests: sql`usage_hourly.requests + excluded.requests`,
              errors: sql`usage_hourly.errors + excluded.errors`,
              prompt_tokens: sql`usage_hourly.prompt_tokens + excluded.prompt_tokens`,
              completion_tokens: sql`usage_hourly.completion_tokens + excluded.completion_tokens`,
              cost_micros: sql`usage_hourly.cost_micros + excluded.cost_micros`,
              latency_ms: sql`usage_hourly.latency_ms + excluded.latency_ms`,
            }),
          )
          .execute();
      }
      return inserted.length;
    });
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
}
