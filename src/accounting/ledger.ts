// The usage ledger: one row per request, written off the request path in batches, flushed on shutdown.
//
// With a spool (see spool.ts) every row is first appended to a local file (group-committed), before the
// caller answers the client; the batch write to the database follows as before. When the database is
// unreachable, rows wait in memory (up to `maxBuffered`, then on disk only) and are written when it is
// back; a process that died with rows unwritten leaves them in its spool, and the next start replays them.
// The store writes each row exactly once by request id, so replaying a row that did reach the database
// changes nothing.
import type { Logger } from 'pino';
import type { RequestRow, Store } from '../store/store.js';
import { type Segment, Spool } from './spool.js';

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
}

export interface LedgerStatus {
  /** Rows in memory not yet written. */
  buffered: number;
  /** Rows in the spool not yet written (includes the buffered ones that were spooled). */
  spooled: number;
  /** The last write error, while writes fail. */
  error: string | undefined;
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
  private writeError: string | undefined;
  private spoolFailed = false;

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
  }

  /**
   * Queues a row; never throws. With a spool the row is also appended to it, and the returned promise
   * settles once it is on disk: await it before the answer's last byte so an answered request is never lost.
   */
  record(row: RequestRow): Promise<void> {
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

  /** Writes everything queued so far. Rows that fail to write stay queued for the next flush. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing = this.flushing.then(async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.maxBatch);
        const rows = batch.map((e) => e.row);
        try {
          await this.beforeWrite?.(rows).catch(() => undefined);
          await this.store.insertRequests(rows);
        } catch (error) {
          this.onWriteFailed?.(rows);
          this.buffer.unshift(...batch);
          this.failed(error, batch.length);
          return;
        }
        this.writeError = undefined;
        this.onFlushed?.(rows);
        if (this.spool) this.written(batch);
        // Let the requests waiting meanwhile run before the next batch (a synchronous driver would not).
        if (this.buffer.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await this.drainDropped();
    });
    return this.flushing;
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
      try {
        await this.beforeWrite?.(rows).catch(() => undefined);
        for (let i = 0; i < rows.length; i += this.maxBatch)
          await this.store.insertRequests(rows.slice(i, i + this.maxBatch));
      } catch (error) {
        this.onWriteFailed?.(rows);
        this.failed(error, rows.length);
        return;
      }
      this.onFlushed?.(rows);
      this.spool!.droppedWritten(segment);
      this.log.warn({ rows: rows.length }, 'ledger: spooled rows written after an outage');
    }
  }

  /**
   * Replays the spool files of dead processes (a crash, SIGKILL) into the database, then deletes them.
   * Safe to run at any time and from every replica: rows already in the database are skipped.
   */
  async recover(): Promise<number> {
    if (!this.spool) return 0;
    let replayed = 0;
    for (const path of this.spool.orphans()) {
      const rows = Spool.read(path);
      let inserted = 0;
      try {
        for (let i = 0; i < rows.length; i += this.maxBatch)
          inserted += await this.store.insertRequests(rows.slice(i, i + this.maxBatch));
      } catch (error) {
        this.log.error({ err: error, path }, 'ledger: replaying a spool failed; kept for the next try');
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
