// Why a write failed, as the ledger must tell it: the database refused these rows (their data: split the
// batch, set the bad row aside) or the database could not be asked (keep everything and retry).

/** SQLite result codes that are about a row's values, not about the database (better-sqlite3's `code`). */
const SQLITE_REFUSED = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether the database refused the rows themselves. PostgreSQL: SQLSTATE class 22 (data exception:
 * U+0000, bad UTF-8, a number out of range), class 23 (integrity constraint violation) and 54000 (a
 * value over a limit, such as an index row too big). SQLite: constraint, type mismatch, too big.
 * Everything else (connection refused or reset, timeouts, shutdown, serialization) is an outage.
 */
export function isRowRefused(error: unknown): boolean {
  const code = codeOf(error);
  if (code === undefined) return false;
  if (code.startsWith('SQLITE_')) return SQLITE_REFUSED.test(code);
  return /^2[23][0-9A-Z]{3}$/.test(code) || code === '54000';
}

/** The driver's code for a failure (SQLSTATE or SQLite result code), for the record. */
export function failureCode(error: unknown): string | null {
  return codeOf(error) ?? null;
}
