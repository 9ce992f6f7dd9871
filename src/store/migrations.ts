// Versioned migrations, run at start; the gateway refuses to serve when one fails. Written once for both
// engines where possible (only portable column types: text, bigint, integer); a migration that needs an
// engine's own features branches on `engine`.
//
// The rule for every migration (several replicas share one database and are upgraded one by one):
// EXPAND, THEN CONTRACT. A migration may only add (tables, nullable or defaulted columns, indexes,
// triggers that keep old and new shapes in step); the replicas still running the previous release must
// go on working against the new schema. Dropping or renaming what the previous release uses happens in a
// later release's migration, once no replica older than the expand step can be running.
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { ensureLedgerPartitions, LEDGER_COLUMNS } from './partitions.js';
import { DEFAULT_ACCOUNT_ID } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

const coreMigrations: Record<string, Migration> = {
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
        values (${DEFAULT_ACCOUNT_ID}, 'default', null, 0, ${Date.now()})`.execute(db);
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

/**
 * PostgreSQL only (SQLite keeps its single `requests` table): the ledger built for volume.
 *
 * Expand: a new table `request_log`, partitioned by month of `created_at` (declarative range
 * partitioning; partitions are created ahead by the gateway, see partitions.ts), with its primary key on
 * (id, created_at) as partitioning requires; an hourly rollup `usage_hourly` for the usage endpoints;
 * the old rows copied over. Replicas of the previous release still insert into `requests`: a trigger
 * forwards each of their rows to `request_log` and the rollup, so during a rolling upgrade every replica's
 * rows land in the new ledger (spend columns are updated by the writers themselves, as before).
 *
 * Contract (a later release, once no replica older than this one runs): drop the trigger
 * `requests_forward`, its function, and the table `requests`.
 */
/**
 * (Re)creates the trigger function that forwards a legacy `requests` row (`(new).*`, in `columns` order) to
 * the partitioned ledger and its hourly rollup: 0003 creates it, later migrations that add a ledger column
 * replace it so the column is forwarded too.
 */
async function forwardRequestsFunction(db: Kysely<unknown>, columns: readonly string[]): Promise<void> {
  await sql`create or replace function tokgate_forward_request() returns trigger language plpgsql as $$
    begin
      insert into request_log (${sql.raw(columns.join(', '))}) select (new).*  on conflict do nothing;
      if found then
        insert into usage_hourly values (new.created_at - new.created_at % 3600000,
          coalesce(new.account_id, ''), coalesce(new.key_id, ''), new.model, 1,
          case when new.status = 'error' then 1 else 0 end, coalesce(new.prompt_tokens, 0),
          coalesce(new.completion_tokens, 0), coalesce(new.cost_micros, 0), new.latency_ms)
        on conflict (hour, account_id, key_id, model) do update set
          requests = usage_hourly.requests + excluded.requests,
          errors = usage_hourly.errors + excluded.errors,
          prompt_tokens = usage_hourly.prompt_tokens + excluded.prompt_tokens,
          completion_tokens = usage_hourly.completion_tokens + excluded.completion_tokens,
          cost_micros = usage_hourly.cost_micros + excluded.cost_micros,
          latency_ms = usage_hourly.latency_ms + excluded.latency_ms;
      end if;
      return null;
    end $$`.execute(db);
}

/** The ledger's columns when 0003 ran (later migrations add theirs, and replace the trigger). */
const LEDGER_COLUMNS_0003 = LEDGER_COLUMNS.slice(0, LEDGER_COLUMNS.indexOf('price_version') + 1);

const partitionedLedger: Migration = {
  async up(db: Kysely<unknown>) {
    const columns = LEDGER_COLUMNS_0003.join(', ');
    await sql`create table request_log (like requests including defaults, primary key (id, created_at))
      partition by range (created_at)`.execute(db);
    await sql`create index request_log_created_at on request_log (created_at)`.execute(db);
    await sql`create index request_log_key_created_at on request_log (key_id, created_at)`.execute(db);
    await sql`create index request_log_account_created_at on request_log (account_id, created_at)`.execute(
      db,
    );
    // Rows outside every monthly partition (a clock far off) land here rather than fail the batch.
    await sql`create table request_log_default partition of request_log default`.execute(db);
    const oldest = await sql<{
      oldest: number | null;
    }>`select min(created_at) as oldest from requests`.execute(db);
    await ensureLedgerPartitions(db, Number(oldest.rows[0]?.oldest ?? Date.now()), Date.now());
    await sql`insert into request_log (${sql.raw(columns)}) select ${sql.raw(columns)} from requests
      on conflict do nothing`.execute(db);

    await sql`create table usage_hourly (
      hour bigint not null,
      account_id text not null,
      key_id text not null,
      model text not null,
      requests bigint not null,
      errors bigint not null,
      prompt_tokens bigint not null,
      completion_tokens bigint not null,
      cost_micros bigint not null,
      latency_ms bigint not null,
      primary key (hour, account_id, key_id, model)
    )`.execute(db);
    await sql`create index usage_hourly_key on usage_hourly (key_id, hour)`.execute(db);
    await sql`create index usage_hourly_account on usage_hourly (account_id, hour)`.execute(db);
    await sql`insert into usage_hourly
      select created_at - created_at % 3600000, coalesce(account_id, ''), coalesce(key_id, ''), model,
        count(*), count(*) filter (where status = 'error'), coalesce(sum(prompt_tokens), 0),
        coalesce(sum(completion_tokens), 0), coalesce(sum(cost_micros), 0), sum(latency_ms)
      from request_log group by 1, 2, 3, 4`.execute(db);

    await forwardRequestsFunction(db, LEDGER_COLUMNS_0003);
    await sql`create trigger requests_forward after insert on requests
      for each row execute function tokgate_forward_request()`.execute(db);
  },
};

/** Expand only: a table for ledger rows the database refused (see Ledger), on both engines. */
const ledgerDeadLetters: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('ledger_dead_letters')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('row_json', 'text', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .execute();
    await db.schema
      .createIndex('ledger_dead_letters_created_at')
      .on('ledger_dead_letters')
      .column('created_at')
      .execute();
  },
};

/**
 * Expand only: the front door of each request (`door`, nullable: rows of earlier releases have none). On
 * PostgreSQL the column goes on both ledgers, and the forwarding trigger is replaced to carry it (the legacy
 * table's `(new).*` now ends with it, as LEDGER_COLUMNS does).
 */
function requestDoor(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('requests').addColumn('door', 'text').execute();
      if (engine !== 'postgres') return;
      await db.schema.alterTable('request_log').addColumn('door', 'text').execute();
      await forwardRequestsFunction(db, LEDGER_COLUMNS.slice(0, LEDGER_COLUMNS.indexOf('door') + 1));
    },
  };
}

/**
 * Expand only: what a request billed in a unit other than tokens (`units`, `unit`: characters of speech,
 * seconds of audio transcribed; nullable). On PostgreSQL on both ledgers, and the forwarding trigger
 * replaced to carry them, as 0005 did for `door`.
 */
function requestUnits(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('requests').addColumn('units', 'double precision').execute();
      await db.schema.alterTable('requests').addColumn('unit', 'text').execute();
      if (engine !== 'postgres') return;
      await db.schema.alterTable('request_log').addColumn('units', 'double precision').execute();
      await db.schema.alterTable('request_log').addColumn('unit', 'text').execute();
      await forwardRequestsFunction(db, LEDGER_COLUMNS.slice(0, LEDGER_COLUMNS.indexOf('unit') + 1));
    },
  };
}

/** Expand only: stored Responses API answers (conversation state), on both engines. */
const storedResponses: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('stored_responses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('input_json', 'text', (c) => c.notNull())
      .addColumn('response_json', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('stored_responses_created_at')
      .on('stored_responses')
      .column('created_at')
      .execute();
  },
};

/**
 * Expand only: credits lifecycle. A top-up's Idempotency-Key (unique per account, so a retried top-up is
 * applied once, also under concurrent retries), and redemption codes (stored as hashes, single use).
 */
const creditsLifecycle: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('credit_entries').addColumn('idempotency_key', 'text').execute();
    await db.schema
      .createIndex('credit_entries_idempotency')
      .on('credit_entries')
      .columns(['account_id', 'idempotency_key'])
      .unique()
      .execute();
    await db.schema
      .createTable('redemption_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('amount_micros', 'bigint', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('redeemed_at', 'bigint')
      .addColumn('account_id', 'text')
      .addColumn('credit_id', 'text')
      .execute();
  },
};

/**
 * Expand only: a low-balance threshold per account (and when it last fired, so it fires once per
 * crossing), and the webhook deliveries it makes, each recorded with its attempts.
 */
const lowBalance: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('accounts').addColumn('low_balance_micros', 'bigint').execute();
    await db.schema.alterTable('accounts').addColumn('low_balance_notified_at', 'bigint').execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('attempts_json', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('delivered_at', 'bigint')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_due')
      .on('webhook_deliveries')
      .column('next_attempt_at')
      .execute();
  },
};

/**
 * Expand only: credit grants that expire. `expires_at` on the entry, the account's spend when it was
 * granted (what it spent after is taken from the grant first), and when it expired (its unspent rest is
 * withdrawn by a negative entry then).
 */
const expiringGrants: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('credit_entries').addColumn('expires_at', 'bigint').execute();
    await db.schema.alterTable('credit_entries').addColumn('spend_at_grant', 'bigint').execute();
    await db.schema.alterTable('credit_entries').addColumn('expired_at', 'bigint').execute();
    await db.schema
      .createIndex('credit_entries_expiry')
      .on('credit_entries')
      .columns(['expires_at', 'expired_at'])
      .execute();
  },
};

/**
 * Expand only: price plans (`price_plans`), the plan an account is on (`accounts.plan_id`, null = list
 * prices), and the upstream cost at list price on every ledger row (`upstream_cost_micros`: on PostgreSQL on
 * both ledgers, and the forwarding trigger replaced to carry it, as 0007 did for `units`).
 */
function pricePlans(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('price_plans')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('multiplier', 'double precision', (c) => c.notNull().defaultTo(1))
        .addColumn('multipliers', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('prices', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('accounts').addColumn('plan_id', 'text').execute();
      await db.schema.alterTable('requests').addColumn('upstream_cost_micros', 'bigint').execute();
      if (engine !== 'postgres') return;
      await db.schema.alterTable('request_log').addColumn('upstream_cost_micros', 'bigint').execute();
      await forwardRequestsFunction(db, LEDGER_COLUMNS);
    },
  };
}

/**
 * Expand only: price versions. Each `tokgate prices import` (or `POST /admin/prices`) adds one, numbered;
 * the newest is the one gateways apply. Old versions stay, so ledger rows (`price_version`
 * `import-<id>@<date>`) can be re-rated with the prices they were charged at.
 */
const priceVersions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('price_versions')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('source', 'text')
      .addColumn('models', 'integer', (c) => c.notNull())
      .addColumn('prices_json', 'text', (c) => c.notNull())
      .execute();
  },
};

function migrationsFor(engine: Engine): Record<string, Migration> {
  return {
    ...coreMigrations,
    // The same name on both engines keeps the migration history linear; on SQLite it changes nothing.
    '0003_partitioned_ledger': engine === 'postgres' ? partitionedLedger : { up: async () => undefined },
    '0004_ledger_dead_letters': ledgerDeadLetters,
    '0005_request_door': requestDoor(engine),
    '0006_stored_responses': storedResponses,
    '0007_request_units': requestUnits(engine),
    '0008_credits_lifecycle': creditsLifecycle,
    '0009_low_balance': lowBalance,
    '0010_expiring_grants': expiringGrants,
    '0011_price_plans': pricePlans(engine),
    '0012_price_versions': priceVersions,
  };
}

export async function migrate(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const migrations = migrationsFor(engine);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed: ${String(error)}`, { cause: error });
  }
}
