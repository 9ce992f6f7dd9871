// Stored Responses API answers written on SQLite's driver itself, as the ledger's rows are
// (ledger-writes.ts): through the query builder, every batch of a new size was compiled by Kysely and
// prepared by SQLite again, ~5 % of the Responses door's profile when it stores every answer.
import type SQLite from 'better-sqlite3';
import type { StoredResponseRow } from './schema.js';

type SqliteDatabase = InstanceType<typeof SQLite>;

/** Writes stored answers (each once by id); false when a query-builder transaction holds the connection. */
export type StoredResponseWriter = (rows: readonly StoredResponseRow[]) => boolean;

export function sqliteStoredResponseWriter(database: SqliteDatabase): StoredResponseWriter {
  const insert = database.prepare(
    `insert into stored_responses (id, account_id, created_at, model, input_json, response_json)
     values (?, ?, ?, ?, ?, ?) on conflict(id) do nothing`,
  );
  const write = database.transaction((rows: readonly StoredResponseRow[]) => {
    for (const row of rows) {
      insert.run(row.id, row.account_id, row.created_at, row.model, row.input_json, row.response_json);
    }
  });
  return (rows) => {
    // Nesting would tie these rows to someone else's commit or rollback: the caller uses the builder.
    if (database.inTransaction) return false;
    write(rows);
    return true;
  };
}
