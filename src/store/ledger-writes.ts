// The ledger's batch writes, straight on each driver: the one write that runs for every request, so it
// skips the query builder (Kysely compiling the PostgreSQL batch insert was ~7 % of the gateway's profile
// under load). Both write each row exactly once by id and add the new rows' cost to key
// and account spend in the same transaction (see Store.insertRequests).
import type SQLite from 'better-sqlite3';
import type { Pool } from 'pg';
import { LEDGER_COLUMNS } from './partitions.js';
import type { RequestRow } from './schema.js';

type SqliteDatabase = InstanceType<typeof SQLite>;

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

/** Entries sorted by id: rows are locked in id order, so concurrent writers cannot deadlock. */
const byId = <T>(map: Map<string, T>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** A row's values in LEDGER_COLUMNS order (positional binding is cheaper than named). */
function rowValues(row: RequestRow): unknown[] {
  const values = new Array<unknown>(LEDGER_COLUMNS.length);
  for (let i = 0; i < LEDGER_COLUMNS.length; i++) values[i] = row[LEDGER_COLUMNS[i]!] ?? null;
  return values;
}

/**
 * SQLite: prepared statements in one transaction. A row whose id is already taken by a different request
 * (a client reusing an id) is not inserted but still charged; a replayed row (same id and time) is not.
 * Returns undefined when a query-builder transaction is open on the shared connection: nesting would tie
 * the ledger rows to someone else's commit or rollback (the caller then goes through the query builder).
 */
export function sqliteLedgerWriter(database: SqliteDatabase) {
  const insert = database.prepare(
    `insert into requests (${LEDGER_COLUMNS.join(', ')}) values (${LEDGER_COLUMNS.map(() => '?').join(', ')})
     on conflict(id) do nothing`,
  );
  const keySpend = database.prepare('update api_keys set spend_micros = spend_micros + ? where id = ?');
  const accountSpend = database.prepare('update accounts set spend_micros = spend_micros + ? where id = ?');
  const existing = database.prepare('select created_at from requests where id = ?').pluck();
  const write = database.transaction((rows: readonly RequestRow[]) => {
    let inserted = 0;
    const charged: RequestRow[] = [];
    for (const row of rows) {
      if (insert.run(rowValues(row)).changes > 0) {
        inserted += 1;
        charged.push(row);
      } else if (existing.get(row.id) !== row.created_at) charged.push(row);
    }
    const { byKey, byAccount } = spendBy(charged);
    for (const [id, cost] of byKey) keySpend.run(cost, id);
    for (const [id, cost] of byAccount) accountSpend.run(cost, id);
    return inserted;
  });
  return (rows: readonly RequestRow[]): number | undefined => {
    if (database.inTransaction) return undefined;
    return write(rows);
  };
}

const COLUMNS = LEDGER_COLUMNS.join(', ');

/**
 * PostgreSQL, one statement for the rows: they travel as one JSON parameter (JSON.stringify is native and
 * fast; the server unpacks them with json_populate_recordset), the new ones are summed into the hourly
 * rollup in the same statement, and what comes back is only their count and cost per key and account.
 * Named, so each connection parses and plans it once. The rollup's upsert is the one the trigger of
 * migration 0003 runs for older replicas' rows; migrations are never edited, so a change to the rollup
 * takes a new migration for the trigger as well as a change here.
 */
const INSERT_ROWS = {
  name: 'tokgate_ledger_insert',
  text: `with inserted as (
    insert into request_log (${COLUMNS})
    select ${COLUMNS} from json_populate_recordset(null::request_log, $1::json)
    on conflict (id, created_at) do nothing
    returning key_id, account_id, model, status, created_at, prompt_tokens, completion_tokens, cost_micros,
      latency_ms
  ), rollup as (
    insert into usage_hourly (hour, account_id, key_id, model, requests, errors, prompt_tokens,
      completion_tokens, cost_micros, latency_ms)
    select created_at - created_at % 3600000, coalesce(account_id, ''), coalesce(key_id, ''), model, count(*),
      count(*) filter (where status = 'error'), coalesce(sum(prompt_tokens), 0),
      coalesce(sum(completion_tokens), 0), coalesce(sum(cost_micros), 0), sum(latency_ms)
    from inserted group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (hour, account_id, key_id, model) do update set
      requests = usage_hourly.requests + excluded.requests,
      errors = usage_hourly.errors + excluded.errors,
      prompt_tokens = usage_hourly.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = usage_hourly.completion_tokens + excluded.completion_tokens,
      cost_micros = usage_hourly.cost_micros + excluded.cost_micros,
      latency_ms = usage_hourly.latency_ms + excluded.latency_ms
  )
  select 'rows' as kind, null as id, count(*) as amount from inserted
  union all
  select 'key', key_id, sum(cost_micros)::bigint from inserted
    where key_id is not null and cost_micros <> 0 group by key_id
  union all
  select 'account', account_id, sum(cost_micros)::bigint from inserted
    where account_id is not null and cost_micros <> 0 group by account_id`,
};
const KEY_SPEND = {
  name: 'tokgate_ledger_key_spend',
  text: 'update api_keys set spend_micros = spend_micros + $1 where id = $2',
};
const ACCOUNT_SPEND = {
  name: 'tokgate_ledger_account_spend',
  text: 'update accounts set spend_micros = spend_micros + $1 where id = $2',
};

interface SpendLine {
  kind: 'rows' | 'key' | 'account';
  id: string | null;
  amount: number;
}

/**
 * PostgreSQL: rows, rollup and spend in one transaction. Every writer locks in the same order (rollup rows
 * sorted, then keys by id, then accounts by id), so replicas flushing at once cannot deadlock. The ledger's
 * key is (id, created_at), so only a replayed row (same id, same time) is skipped, and it is not charged.
 */
export function postgresLedgerWriter(pool: Pool) {
  return async (rows: readonly RequestRow[]): Promise<number> => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows: lines } = await client.query<SpendLine>({
        ...INSERT_ROWS,
        values: [JSON.stringify(rows)],
      });
      const byKey = new Map<string, number>();
      const byAccount = new Map<string, number>();
      let inserted = 0;
      for (const line of lines) {
        if (line.kind === 'rows') inserted = Number(line.amount);
        else (line.kind === 'key' ? byKey : byAccount).set(line.id!, Number(line.amount));
      }
      for (const [id, cost] of byId(byKey)) await client.query({ ...KEY_SPEND, values: [cost, id] });
      for (const [id, cost] of byId(byAccount)) await client.query({ ...ACCOUNT_SPEND, values: [cost, id] });
      await client.query('commit');
      client.release();
      return inserted;
    } catch (error) {
      // A connection that cannot even roll back is dropped, not handed back to the pool.
      const clean = await client.query('rollback').then(
        () => true,
        () => false,
      );
      client.release(!clean);
      throw error;
    }
  };
}
