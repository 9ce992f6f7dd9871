// The only place that speaks SQL. One query layer (Kysely) over SQLite (default) and PostgreSQL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { type Insertable, Kysely, PostgresDialect, type Selectable, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate } from './migrations.js';
import type { ApiKeysTable, RequestsTable, Schema } from './schema.js';

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

export interface RequestQuery {
  limit: number;
  keyId?: string;
}

// PostgreSQL returns bigint as a string by default; our bigints (ms times, micro-dollars) fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

function createDialect(url: string): {
  engine: 'sqlite' | 'postgres';
  dialect: SqliteDialect | PostgresDialect;
} {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return {
      engine: 'postgres',
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 10 }) }),
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
  return { engine: 'sqlite', dialect: new SqliteDialect({ database }) };
}

export class Store {
  private constructor(
    readonly engine: 'sqlite' | 'postgres',
    private readonly db: Kysely<Schema>,
  ) {}

  /** Opens the database and runs migrations; throws (and the gateway refuses to start) if either fails. */
  static async open(url: string): Promise<Store> {
    const { engine, dialect } = createDialect(url);
    const db = new Kysely<Schema>({ dialect });
    try {
      await migrate(db as unknown as Kysely<unknown>);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return new Store(engine, db);
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

  /** Appends ledger rows and adds their cost to key and account spend, in one transaction. */
  async insertRequests(rows: RequestRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('requests')
        .values(rows)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const byKey = new Map<string, number>();
      const byAccount = new Map<string, number>();
      for (const row of rows) {
        if (!row.cost_micros) continue;
        if (row.key_id) byKey.set(row.key_id, (byKey.get(row.key_id) ?? 0) + row.cost_micros);
        if (row.account_id)
          byAccount.set(row.account_id, (byAccount.get(row.account_id) ?? 0) + row.cost_micros);
      }
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
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  }
}
