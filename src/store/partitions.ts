// Monthly partitions of the PostgreSQL ledger (`request_log`, partitioned by range of `created_at`, in ms
// since the epoch, UTC months). The migration creates them from the oldest row to two months ahead; every
// gateway makes sure, at start and then every few hours, that the current month and the next two exist, so
// inserts never wait on DDL and a forgotten month only ever lands in the default partition.
import { type Kysely, sql } from 'kysely';

/** The ledger's columns, in the legacy `requests` table's order (its trigger forwards `(new).*`). */
export const LEDGER_COLUMNS = [
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
  'door',
  'units',
  'unit',
  'upstream_cost_micros',
] as const;

export const MONTHS_AHEAD = 2;

function monthStart(year: number, month: number): number {
  return Date.UTC(year, month, 1);
}

/** Partition name and bounds for every month from `fromMs`'s month to `monthsAhead` after `nowMs`'s. */
export function monthlyPartitions(fromMs: number, nowMs: number, monthsAhead = MONTHS_AHEAD) {
  const from = new Date(Math.min(fromMs, nowMs));
  const now = new Date(nowMs);
  const last = now.getUTCFullYear() * 12 + now.getUTCMonth() + monthsAhead;
  const out: Array<{ name: string; start: number; end: number }> = [];
  for (let m = from.getUTCFullYear() * 12 + from.getUTCMonth(); m <= last; m++) {
    const year = Math.floor(m / 12);
    const month = m % 12;
    out.push({
      name: `request_log_y${year}m${String(month + 1).padStart(2, '0')}`,
      start: monthStart(year, month),
      end: monthStart(year, month + 1),
    });
  }
  return out;
}

/**
 * Creates the missing monthly partitions. Several replicas may run this at once: a partition another one
 * just created is not an error. Returns the partitions that could not be created, with why.
 */
export async function ensureLedgerPartitions(
  db: Kysely<unknown>,
  fromMs: number,
  nowMs: number,
): Promise<Array<{ name: string; error: string }>> {
  const failed: Array<{ name: string; error: string }> = [];
  for (const p of monthlyPartitions(fromMs, nowMs)) {
    try {
      await sql`create table if not exists ${sql.table(p.name)} partition of request_log
        for values from (${sql.lit(p.start)}) to (${sql.lit(p.end)})`.execute(db);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // 42P07 duplicate table, 23505 the catalog's unique index: another replica won the race.
      if (code === '42P07' || code === '23505') continue;
      failed.push({ name: p.name, error: String((error as Error).message) });
    }
  }
  return failed;
}
