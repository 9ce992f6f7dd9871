// The usage ledger: one row per request, written off the request path in batches, flushed on shutdown.
import type { Logger } from 'pino';
import type { RequestRow, Store } from '../store/store.js';

export interface LedgerOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  /** Told about every batch once it is in the database (the wallet moves its cost from local to stored). */
  onFlushed?: (rows: readonly RequestRow[]) => void;
}

export class Ledger {
  private buffer: RequestRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly onFlushed: ((rows: readonly RequestRow[]) => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    options: LedgerOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxBatch = options.maxBatch ?? 500;
    this.onFlushed = options.onFlushed;
  }

  /** Queues a row; never blocks and never throws. */
  record(row: RequestRow): void {
    this.buffer.push(row);
    if (this.buffer.length >= this.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  get pending(): number {
    return this.buffer.length;
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
        try {
          await this.store.insertRequests(batch);
          this.onFlushed?.(batch);
        } catch (error) {
          this.buffer.unshift(...batch);
          this.log.error(
            { err: error, rows: batch.length },
            'ledger write failed; rows kept for the next flush',
          );
          if (!this.timer) {
            this.timer = setTimeout(() => void this.flush(), 1000);
            this.timer.unref();
          }
          return;
        }
      }
    });
    return this.flushing;
  }
}
