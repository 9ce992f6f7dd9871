// Versioned migrations, run at start; the gateway refuses to serve when one fails. Written once for both
// engines: only portable column types (text, bigint, integer).
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

const migrations: Record<string, Migration> = {
  '0001_core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('credits_micros', 'bigint')
        .addColumn('spend_micros', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('models', 'text')
        .addColumn('budget_micros', 'bigint')
        .addColumn('rpm', 'integer')
        .addColumn('tpm', 'integer')
        .addColumn('expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('spend_micros', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('account_id', 'text')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('provider', 'text')
        .addColumn('upstream_model', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('http_status', 'integer', (c) => c.notNull())
        .addColumn('stream', 'integer', (c) => c.notNull())
        .addColumn('prompt_tokens', 'integer')
        .addColumn('cached_tokens', 'integer')
        .addColumn('completion_tokens', 'integer')
        .addColumn('reasoning_tokens', 'integer')
        .addColumn('usage_source', 'text')
        .addColumn('cost_micros', 'bigint')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('ttft_ms', 'integer')
        .addColumn('error_code', 'text')
        .execute();
      await db.schema.createIndex('requests_created_at').on('requests').column('created_at').execute();
      await db.schema
        .createIndex('requests_key_created_at')
        .on('requests')
        .columns(['key_id', 'created_at'])
        .execute();
      await sql`insert into accounts (id, name, credits_micros, spend_micros, created_at)
        values ('acct_default', 'default', null, 0, ${Date.now()})`.execute(db);
    },
  },
  '0002_accounts_ledger': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('credit_entries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('amount_micros', 'bigint', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('credit_entries_account')
        .on('credit_entries')
        .columns(['account_id', 'created_at'])
        .execute();
      await db.schema.alterTable('requests').addColumn('attempts', 'text').execute();
      await db.schema.alterTable('requests').addColumn('price_version', 'text').execute();
      await db.schema
        .createIndex('requests_account_created_at')
        .on('requests')
        .columns(['account_id', 'created_at'])
        .execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrate(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed: ${String(error)}`, { cause: error });
  }
}
