// The only place that speaks SQL. One query layer (Kysely) over SQLite (default) and PostgreSQL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { type Insertable, Kysely, PostgresDialect, type Selectable, SqliteDialect, sql } from 'kysely';
import { migrate } from './migrations.js';
import type { AccountsTable, ApiKeysTable, CreditEntriesTable, RequestsTable, Schema } from './schema.js';

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

const REQUEST_COLUMNS = [
  'id',
  'created_at',
  'key_id',
  'account_id',
  'model',
  'provider',
  'upstream_model',
  'status',
  'http_status',
  'stream',
  'prompt_tokens',
  'cached_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'usage_source',
  'cost_micros',
  'latency_ms',
  'ttft_ms',
  'error_code',
  'attempts',
  'price_version',
] as const satisfies ReadonlyArray<keyof RequestRow>;

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
  const write = database.transaction((rows: readonly RequestRow[]) => {
    for (const row of rows) insert.run(row);
    const { byKey, byAccount } = spendBy(rows);
    for (const [id, cost] of byKey) keySpend.run(cost, id);
    for (const [id, cost] of byAccount) accountSpend.run(cost, id);
  });
  // Only when no query-builder transaction is open on the shared connection: nesting would tie the ledger
  // rows to someone else's commit or rollback.
  return (rows: readonly RequestRow[]) => {
    if (database.inTransaction) return false;
    write(rows);
    return true;
  };
}

export class Store {
  private readonly fastLedgerWrite: ((rows: readonly RequestRow[]) => boolean) | undefined;

  private constructor(
    readonly engine: 'sqlite' | 'postgres',
    private readonly db: Kysely<Schema>,
    sqlite: SqliteDatabase | undefined,
  ) {
    this.fastLedgerWrite = sqlite ? sqliteLedgerWriter(sqlite) : undefined;
  }

  /** Opens the database and runs migrations; throws (and the gateway refuses to start) if either fails. */
  static async open(url: string): Promise<Store> {
    const { engine, dialect, sqlite } = await createDialect(url);
    const db = new Kysely<Schema>({ dialect });
    try {
      await migrate(db as unknown as Kysely<unknown>);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return new Store(engine, db, sqlite);
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
    return this.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Usage totals grouped by model, key or day; always bounded by a time window (indexed). */
  async usage(query: UsageQuery): Promise<UsageRow[]> {
    const group =
      query.groupBy === 'model'
        ? sql<string>`model`
        : query.groupBy === 'key'
          ? sql<string>`coalesce(key_id, 'admin')`
          : sql<string>`created_at / ${sql.lit(DAY_MS)}`;
    let q = this.db
      .selectFrom('requests')
      .select([
        group.as('grp'),
        sql<number>`count(*)`.as('requests'),
        sql<number>`sum(case when status = 'error' then 1 else 0 end)`.as('errors'),
        sql<number>`coalesce(sum(prompt_tokens), 0)`.as('prompt_tokens'),
        sql<number>`coalesce(sum(completion_tokens), 0)`.as('completion_tokens'),
        sql<number>`coalesce(sum(cost_micros), 0)`.as('cost_micros'),
        sql<number>`coalesce(avg(latency_ms), 0)`.as('avg_latency_ms'),
      ])
      .where('created_at', '>=', query.from)
      .where('created_at', '<', query.to);
    if (query.keyId) q = q.where('key_id', '=', query.keyId);
    if (query.accountId) q = q.where('account_id', '=', query.accountId);
    if (query.model) q = q.where('model', '=', query.model);
    const rows = await q.groupBy(sql`grp`).orderBy(sql`grp`).execute();
    // PostgreSQL returns sums of bigints and averages as numeric strings: normalise to numbers.
    return rows.map((row) => ({
      group:
        query.groupBy === 'day'
          ? new Date(Number(row.grp) * DAY_MS).toISOString().slice(0, 10)
          : String(row.grp),
      requests: Number(row.requests),
      errors: Number(row.errors),
      prompt_tokens: Number(row.prompt_tokens),
      completion_tokens: Number(row.completion_tokens),
      cost_micros: Number(row.cost_micros),
      avg_latency_ms: Math.round(Number(row.avg_latency_ms)),
    }));
  }

  /** Appends ledger rows and adds their cost to key and account spend, in one transaction. */
  async insertRequests(rows: RequestRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.fastLedgerWrite?.(rows)) return;
    const { byKey, byAccount } = spendBy(rows);
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('requests')
        .values(rows)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      for (const [id, cost] of byKey) {
        await tx
          .updateTable('api_keys')
          .set({ spend_micros: sql`spend_micros + ${cost}` })
          .where('id', '=', id)
          .execute();
      }
      for (const [id, cost] of byAccount) {
        await tx
          .updateTable('accounts')
          .set({ spend_micros: sql`spend_micros + ${cost}` })
          .where('id', '=', id)
          .execute();
      }
    });
  }

  async listRequests(query: RequestQuery): Promise<RequestRow[]> {
    let q = this.db.selectFrom('requests').selectAll();
    if (query.keyId) q = q.where('key_id', '=', query.keyId);
    if (query.accountId) q = q.where('account_id', '=', query.accountId);
    if (query.model) q = q.where('model', '=', query.model);
    if (query.status) q = q.where('status', '=', query.status as RequestRow['status']);
    if (query.from !== undefined) q = q.where('created_at', '>=', query.from);
    if (query.to !== undefined) q = q.where('created_at', '<', query.to);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  }
}
