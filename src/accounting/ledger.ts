// The usage ledger: one row per request, written off the request path in batches, flushed on shutdown.
//
// With a spool (see spool.ts) every row is first appended to a local file (group-committed), before the
// caller answers the client; the batch write to the database follows as before. When the database is
// unreachable, rows wait in memory (up to `maxBuffered`, then on disk only) and are written when it is
// back; a process that died with rows unwritten leaves them in its spool, and the next start replays them.
// The store writes each row exactly once by request id, so replaying a row that did reach the database
// changes nothing.
//
// One row must never stop the others. Every row is made storable before it is queued (storableRow), and a
// batch the database still refuses for its data (not an outage) is split in halves until the refused rows
// stand alone: those go to the dead-letter table (or, failing that, a file beside the spool), the rest are
// written. An outage keeps everything queued, as before. `health()` tells /ready when rows wait and none
// has been written for `stallMs`.
import type { Logger } from 'pino';
import { failureCode, isRowRefused, type RequestRow, type Store } from '../store/store.js';
import { storableRow, storableText } from './ledger-record.js';
import { type Segment, Spool } from './spool.js';

/** Where a refused row was set aside: the dead-letter table, the spool's dead-letter file, or only the log. */
export type DeadLetterPlace = 'database' | 'file' | 'log';

export interface LedgerOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  /** Told about every batch of this process's rows once it is in the database (the wallet's cue). */
  onFlushed?: (rows: readonly RequestRow[]) => void;
  /** Told before each write of this process's rows (awaited; a failure does not stop the write). */
  beforeWrite?: (rows: readonly RequestRow[]) => Promise<void>;
  /** Told when a write failed (the rows stay queued). */
  onWriteFailed?: (rows: readonly RequestRow[]) => void;
  /** Told about rows replayed from a dead process's spool once they are in the database. */
  onReplayed?: (rows: readonly RequestRow[]) => void;
  /** Write-ahead spool; without one, rows wait in memory only. */
  spool?: Spool;
  /** With a spool: rows kept in memory while the database is down; older ones wait on disk only. */
  maxBuffered?: number;
  /** Rows waiting this long with none written make `health()` say stalled; 0: never. Default 60 s. */
  stallMs?: number;
  /** Told of every row set aside because the database refused it (the metric's cue). */
  onDeadLetter?: (row: RequestRow, place: DeadLetterPlace) => void;
}

export interface LedgerStatus {
  /** Rows in memory not yet written. */
  buffered: number;
  /** Rows in the spool not yet written (includes the buffered ones that were spooled). */
  spooled: number;
  /** The last write error, while writes fail. */
  error: string | undefined;
}

export interface LedgerHealth extends LedgerStatus {
  /** `stalled`: rows wait and none has been written for the stall time. */
  status: 'ok' | 'stalled';
  /** Since the last row was written (or set aside); null before the first. */
  last_write_ms_ago: number | null;
  /** Rows this process set aside because the database refused them. */
  dead_letters: number;
}

/** A write that stopped on an outage: what is left unwritten, and why. */
interface Stuck<T> {
  left: T[];
  error: unknown;
}

interface Entry {
  row: RequestRow;
  segment: Segment | undefined;
  /** Its spool write has landed: only such rows may leave memory (see `shed`). */
  onDisk: boolean;
}

export class Ledger {
  private buffer: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly onFlushed: ((rows: readonly RequestRow[]) => void) | undefined;
  private readonly onReplayed: ((rows: readonly RequestRow[]) => void) | undefined;
  private readonly beforeWrite: ((rows: readonly RequestRow[]) => Promise<void>) | undefined;
  private readonly onWriteFailed: ((rows: readonly RequestRow[]) => void) | undefined;
  private readonly spool: Spool | undefined;
  private readonly stallMs: number;
  private readonly onDeadLetter: ((row: RequestRow, place: DeadLetterPlace) => void) | undefined;
  private writeError: string | undefined;
  private spoolFailed = false;
  /** When a row (or dead letter) last reached the database; when rows started waiting after none did. */
  private lastWriteAt: number | undefined;
  private waitingSince: number | undefined;
  private deadLetters = 0;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    options: LedgerOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxBuffered = options.maxBuffered ?? 100_000;
    this.onFlushed = options.onFlushed;
    this.onReplayed = options.onReplayed;
    this.beforeWrite = options.beforeWrite;
    this.onWriteFailed = options.onWriteFailed;
    this.spool = options.spool;
    this.stallMs = options.stallMs ?? 60_000;
    this.onDeadLetter = options.onDeadLetter;
  }

  /**
   * Queues a row; never throws. With a spool the row is also appended to it, and the returned promise
   * settles once it is on disk: await it before the answer's last byte so an answered request is never lost.
   */
  record(given: RequestRow): Promise<void> {
    // Storable before it is spooled: the spool never holds a row that cannot be written.
    const row = storableRow(given);
    this.waitingSince ??= Date.now();
    const entry: Entry = { row, segment: undefined, onDisk: false };
    let durable: Promise<void> = Promise.resolve();
    if (this.spool) {
      try {
        const appended = this.spool.append(row);
        entry.segment = appended.segment;
        durable = appended.durable.then(
          () => {
            entry.onDisk = true;
            this.spoolFailed = false;
          },
          (error: unknown) => this.spoolError(error),
        );
      } catch (error) {
        this.spoolError(error);
      }
    }
    this.buffer.push(entry);
    if (this.spool && this.buffer.length > this.maxBuffered) this.shed();
    if (this.buffer.length >= this.maxBatch && !this.writeError) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.writeError ? 1000 : this.flushIntervalMs);
      this.timer.unref();
    }
    return durable;
  }

  /** The disk refused: rows still go to the database from memory, as without a spool. */
  private spoolError(error: unknown): void {
    if (!this.spoolFailed) this.log.error({ err: error }, 'ledger spool write failed; rows kept in memory');
    this.spoolFailed = true;
  }

  /** The database has been down a long time: the oldest rows leave memory and wait on disk only. */
  private shed(): void {
    const shed = this.buffer.findIndex((e) => !e.onDisk);
    // Rows not (yet) on disk cannot be shed: memory is their only copy.
    const count = Math.min(Math.ceil(this.maxBuffered / 10), shed === -1 ? this.buffer.length : shed);
    for (const entry of this.buffer.splice(0, count)) this.spool!.dropped(entry.segment!, entry.row.id);
  }

  get pending(): number {
    return this.buffer.length;
  }

  status(): LedgerStatus {
    return {
      buffered: this.buffer.length,
      spooled: this.spool?.pending ?? 0,
      error: this.writeError,
    };
  }

  /** `status()`, and whether the ledger is stalled: rows waiting, none written for the stall time. */
  health(now = Date.now()): LedgerHealth {
    const status = this.status();
    const waiting = status.buffered + status.spooled > 0;
    const since = Math.max(this.lastWriteAt ?? 0, this.waitingSince ?? 0);
    const stalled = waiting && this.stallMs > 0 && now - since > this.stallMs;
    return {
      ...status,
      status: stalled ? 'stalled' : 'ok',
      last_write_ms_ago: this.lastWriteAt === undefined ? null : now - this.lastWriteAt,
      dead_letters: this.deadLetters,
    };
  }

  /** Writes everything queued so far. Rows that fail to write stay queued for the next flush. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing = this.flushing.then(async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.maxBatch);
        const stuck = await this.writeIsolating(
          [batch],
          (e) => e.row,
          true,
          (part) => {
            if (this.spool) this.written(part);
          },
        );
        if (stuck) {
          this.buffer.unshift(...stuck.left);
          this.failed(stuck.error, stuck.left.length);
          return;
        }
        this.writeError = undefined;
        // Let the requests waiting meanwhile run before the next batch (a synchronous driver would not).
        if (this.buffer.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await this.drainDropped();
      if (this.buffer.length === 0 && (this.spool?.pending ?? 0) === 0) this.waitingSince = undefined;
    });
    return this.flushing;
  }

  /**
   * Writes the parts in order. A part the database refuses for its data is split in halves until each
   * refused row stands alone, and that row is set aside (`deadLetter`); `done` hears of every part written
   * or set aside. On an outage it stops and returns what is left, in order. `live`: rows of this process
   * (the wallet hears of them), not a dead process's replayed ones.
   */
  private async writeIsolating<T>(
    parts: T[][],
    rowOf: (item: T) => RequestRow,
    live: boolean,
    done: (part: T[], inserted: number) => void,
  ): Promise<Stuck<T> | undefined> {
    const queue = parts.filter((part) => part.length > 0);
    for (let part = queue.shift(); part; part = queue.shift()) {
      const rows = part.map(rowOf);
      let inserted: number | undefined;
      let failure: unknown;
      try {
        if (live) await this.beforeWrite?.(rows).catch(() => undefined);
        inserted = await this.store.insertRequests(rows);
      } catch (error) {
        failure = error;
      }
      if (inserted !== undefined) {
        this.progress();
        if (live) this.onFlushed?.(rows);
        done(part, inserted);
        continue;
      }
      if (live) this.onWriteFailed?.(rows);
      if (!isRowRefused(failure)) return { left: [part, ...queue].flat(), error: failure };
      if (part.length > 1) {
        const half = Math.ceil(part.length / 2);
        queue.unshift(part.slice(0, half), part.slice(half));
        continue;
      }
      try {
        await this.deadLetter(rows[0]!, failure, live);
      } catch (error) {
        return { left: [part, ...queue].flat(), error };
      }
      this.progress();
      done(part, 0);
    }
    return undefined;
  }

  private progress(): void {
    this.lastWriteAt = Date.now();
  }

  /**
   * Sets aside one row the database refused: into the dead-letter table (which charges its cost, once),
   * else into the spool's dead-letter file, else only into the log. Throws on an outage (the row stays
   * queued, like any other).
   */
  private async deadLetter(row: RequestRow, refusal: unknown, live: boolean): Promise<void> {
    const error = storableText(String((refusal as Error)?.message ?? refusal), 1024);
    const code = failureCode(refusal);
    const at = Date.now();
    let place: DeadLetterPlace = 'database';
    try {
      if (live) await this.beforeWrite?.([row]).catch(() => undefined);
      await this.store.insertDeadLetter(row, error, code, at);
      // Its cost is in the database's spend now, as for a written row.
      if (live) this.onFlushed?.([row]);
    } catch (failure) {
      if (live) this.onWriteFailed?.([row]);
      if (!isRowRefused(failure)) throw failure;
      // Not charged in the database: the wallet keeps counting it here, the safe side.
      place = 'file';
      try {
        if (!this.spool) throw new Error('no spool');
        this.spool.deadLetter({ id: row.id, created_at: at, row, error, error_code: code });
      } catch {
        place = 'log';
      }
    }
    this.deadLetters += 1;
    this.onDeadLetter?.(row, place);
    this.log.error(
      { reqId: row.id, err: refusal, code, place, ...(place === 'log' ? { row } : {}) },
      'ledger: the database refused a row; set aside so the others are written',
    );
  }

  private failed(error: unknown, rows: number): void {
    const message = String((error as Error).message ?? error);
    if (this.writeError !== message)
      this.log.error({ err: error, rows }, 'ledger write failed; rows kept for the next flush');
    this.writeError = message;
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), 1000);
      this.timer.unref();
    }
  }

  private written(batch: readonly Entry[]): void {
    const counts = new Map<Segment, number>();
    for (const { segment } of batch) if (segment) counts.set(segment, (counts.get(segment) ?? 0) + 1);
    for (const [segment, count] of counts) this.spool!.written(segment, count);
  }

  /** Rows shed from memory during an outage, read back from the spool once the database takes writes. */
  private async drainDropped(): Promise<void> {
    for (const segment of this.spool?.withDropped() ?? []) {
      const rows = this.spool!.droppedRows(segment);
      const stuck = await this.writeIsolating(this.chunks(rows), storableRow, true, (part) =>
        this.spool!.droppedWritten(
          segment,
          part.map((r) => r.id),
        ),
      );
      if (stuck) {
        this.failed(stuck.error, stuck.left.length);
        return;
      }
      this.log.warn({ rows: rows.length }, 'ledger: spooled rows written after an outage');
    }
  }

  private chunks<T>(items: T[]): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += this.maxBatch) out.push(items.slice(i, i + this.maxBatch));
    return out;
  }

  /**
   * Replays the spool files of dead processes (a crash, SIGKILL) into the database, then deletes them.
   * Safe to run at any time and from every replica: rows already in the database are skipped.
   */
  async recover(): Promise<number> {
    if (!this.spool) return 0;
    let replayed = 0;
    for (const path of this.spool.orphans()) {
      // Spools written before rows were made storable may hold rows that cannot be written as they are.
      const rows = Spool.read(path).map((row) => storableRow(row));
      let inserted = 0;
      const stuck = await this.writeIsolating(
        this.chunks(rows),
        (row) => row,
        false,
        (_, n) => {
          inserted += n;
        },
      );
      if (stuck) {
        this.log.error({ err: stuck.error, path }, 'ledger: replaying a spool failed; kept for the next try');
        continue;
      }
      this.onReplayed?.(rows);
      Spool.remove(path);
      replayed += inserted;
      this.log.warn({ path, rows: rows.length, inserted }, 'ledger: replayed the spool of a stopped process');
    }
    return replayed;
  }

  /** Flushes, then closes the spool (what could not be written stays on disk for the next start). */
  async close(): Promise<void> {
    await this.flush();
    this.spool?.close();
  }
}
