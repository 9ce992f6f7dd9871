// The SQLite database's checkpoints, on their own thread (wal-checkpoints.ts starts it): copying the WAL's
// pages into the database file and syncing both is disk work the event loop must not wait for. Its own
// connection runs a passive checkpoint every `intervalMs` (one that never waits for, nor blocks, the
// gateway's writes), and closes when told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

export interface CheckpointWorkerData {
  path: string;
  intervalMs: number;
}

/** To the gateway: a checkpoint failed (it falls back to SQLite's own), or the connection closed. */
export type CheckpointReply = { error: string } | 'stopped';

const port = parentPort;
if (!port) throw new Error('checkpoint-worker.ts runs as a worker thread');
const { path, intervalMs } = workerData as CheckpointWorkerData;

const database = new SQLite(path, { fileMustExist: true });
database.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    database.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    clearInterval(timer);
    port.postMessage({
      error: error instanceof Error ? error.message : String(error),
    } satisfies CheckpointReply);
  }
}, intervalMs);

port.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  // Closed before the gateway's connection: the last to close checkpoints all and removes the WAL.
  database.close();
  port.postMessage('stopped' satisfies CheckpointReply);
  port.close();
});
