// SQLite's WAL checkpoints, off the event loop. By default SQLite checkpoints inside the commit that takes
// the WAL past 1,000 pages: it copies them into the database file and syncs it, on the thread that
// committed. For the gateway that is the event loop, in the ledger's batch write: at 5,000 rows a second one
// write in 42 held it for 10–15 ms, once 60 ms (bench/ledger-stalls.ts, bench/README.md), in which no request
// moves. Here a worker thread with its own connection checkpoints (PASSIVE: it neither waits for the writer
// nor blocks it), and the gateway's connection checkpoints itself only as a backstop, at ten times SQLite's
// threshold. The WAL starts over at a write that finds every frame copied: between the ledger's batches, as a
// rule. A writer that never pauses (a backlog written after an outage) leaves the worker behind; the backstop
// then bounds the WAL (~45 MB), in stalls rarer than SQLite's own but longer (measured: 22–24 writes of 9,375
// over 5 ms, up to 49 ms, against 231 up to 139 ms). Should the worker fail, the connection checkpoints at
// SQLite's own threshold again, as before.
import type SQLite from 'better-sqlite3';
import { startModuleWorker } from '../core/module-worker.js';

type SqliteDatabase = InstanceType<typeof SQLite>;

export interface CheckpointWorkerData {
  path: string;
  intervalMs: number;
}

/**
 * What the worker says: a checkpoint's outcome (SQLite's three figures) or its failure (`asked`: the answer
 * to a `checkpoint()` call, not the interval's).
 */
export type CheckpointReply =
  | { type: 'checkpoint'; busy: number; log: number; checkpointed: number; asked?: true }
  | { type: 'error'; message: string; asked?: true };

export type CheckpointResult = Extract<CheckpointReply, { type: 'checkpoint' }>;

/** SQLite's default: a checkpoint once the WAL holds this many pages. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** The connection's own threshold while the worker runs: ~40 MB of 4 KB pages. */
export const BACKSTOP_PAGES = 10 * SQLITE_AUTOCHECKPOINT_PAGES;

/**
 * Often enough that a checkpoint has little to copy and ends between two ledger writes (the next write then
 * starts the WAL over): at 5,000 rows a second, ~200 pages. An idle check costs microseconds.
 */
export const CHECKPOINT_INTERVAL_MS = 100;

export class SqliteCheckpointer {
  private readonly worker;
  private failed = false;
  private closed: Promise<void> | undefined;
  /** Callers of `checkpoint()`, answered in order (the worker answers one message at a time). */
  private readonly waiting: Array<(reply: CheckpointReply) => void> = [];
  /** The last failure the worker reported, until a checkpoint succeeds. */
  lastError: string | undefined;

  constructor(
    private readonly database: SqliteDatabase,
    path: string,
    intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    database.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.worker = startModuleWorker(import.meta.url, './sqlite-checkpoint-worker', {
      workerData: { path, intervalMs } satisfies CheckpointWorkerData,
    });
    // A checkpointer never keeps the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: CheckpointReply) => {
      if (reply.type === 'error') this.lastError = reply.message;
      if (reply.type === 'checkpoint') this.lastError = undefined;
      if (reply.asked) this.waiting.shift()?.(reply);
    });
    this.worker.on('error', (error) => this.fallBack(String(error.message ?? error)));
    this.worker.on('exit', () => this.fallBack('the checkpoint worker exited'));
  }

  /** Whether checkpoints still run in the worker (false once it failed: the connection does them). */
  get running(): boolean {
    return !this.failed && this.closed === undefined;
  }

  /** Runs a checkpoint now; resolves with its outcome, or undefined when the worker is gone. */
  checkpoint(): Promise<CheckpointResult | undefined> {
    if (!this.running) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting.push((reply) => resolve(reply.type === 'checkpoint' ? reply : undefined));
      this.worker.postMessage('checkpoint');
    });
  }

  /** Ends the worker (its connection closed first, so the gateway's close can finish the WAL). */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      if (this.failed) return resolve();
      // Waited for even where nothing else keeps the process alive (a shutdown).
      this.worker.ref();
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
    });
    return this.closed;
  }

  private fallBack(reason: string): void {
    for (const waiter of this.waiting.splice(0)) waiter({ type: 'error', message: reason });
    if (this.failed || this.closed !== undefined) return;
    this.failed = true;
    this.lastError = reason;
    // Checkpoints go back to the gateway's connection, so the WAL stays bounded.
    if (this.database.open) this.database.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  }
}
