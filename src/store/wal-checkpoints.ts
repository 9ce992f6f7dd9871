// Where the SQLite database's checkpoints run. By default SQLite checkpoints in the connection that commits
// the write that fills the WAL past 1,000 pages: on the gateway's event loop, in the middle of a ledger or
// stored-answers write, copying megabytes and syncing the files twice (measured: ~23 µs of waiting per
// stored answer at 3,500 a second, bench/README.md). Here the gateway's connection never checkpoints, and a
// worker thread with its own connection does (checkpoint-worker.ts). Should that thread fail, SQLite's own
// checkpoints come back, so the WAL never grows without bound.
import type SQLite from 'better-sqlite3';
import type { Logger } from 'pino';
import { startModuleWorker } from '../core/module-worker.js';
import type { CheckpointReply, CheckpointWorkerData } from './checkpoint-worker.js';

type SqliteDatabase = InstanceType<typeof SQLite>;

/** SQLite's default: a checkpoint when a commit leaves the WAL over this many pages. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** How often the thread checkpoints: at ~15 MB of WAL a second under load, a few MB between two. */
const CHECKPOINT_INTERVAL_MS = 200;

export class WalCheckpoints {
  private stopped: Promise<void> | undefined;
  private exited = false;

  private constructor(
    private readonly database: SqliteDatabase,
    private readonly worker: ReturnType<typeof startModuleWorker>,
  ) {}

  /** Moves `database`'s checkpoints (a file in WAL mode at `path`) to a thread of their own. */
  static start(database: SqliteDatabase, path: string, log?: Pick<Logger, 'warn'>): WalCheckpoints {
    database.pragma('wal_autocheckpoint = 0');
    const worker = startModuleWorker(import.meta.url, 'checkpoint-worker', {
      workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS } satisfies CheckpointWorkerData,
    });
    const checkpoints = new WalCheckpoints(database, worker);
    const fallBack = (why: string) => {
      if (checkpoints.stopped || !database.open) return;
      database.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
      log?.warn({ reason: why }, 'SQLite checkpoints are back on the event loop');
    };
    worker.on('message', (reply: CheckpointReply) => {
      if (reply !== 'stopped') fallBack(reply.error);
    });
    worker.on('error', (error) => fallBack(error.message));
    worker.on('exit', () => {
      checkpoints.exited = true;
      fallBack('the checkpoint thread ended');
    });
    // It never keeps the process alive (after the listeners: a 'message' listener refs the worker again).
    worker.unref();
    return checkpoints;
  }

  /** Whether checkpoints run on the thread (false once it failed and SQLite's own came back). */
  get onThread(): boolean {
    return this.database.pragma('wal_autocheckpoint', { simple: true }) === 0;
  }

  /** Ends the thread once its connection is closed (before the gateway's: see checkpoint-worker.ts). */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.worker.once('exit', () => resolve());
      // Waited for: the thread keeps the process alive until it has closed its connection.
      this.worker.ref();
      this.worker.postMessage('stop');
    });
    return this.stopped;
  }
}
