// The SQLite checkpointer's thread (sqlite-checkpointer.ts starts it): its own connection to the database
// file, a PASSIVE checkpoint every interval and whenever asked. PASSIVE copies what the WAL holds into the
// database file without waiting for the writer or blocking it; the fsync it makes is this thread's, not
// the gateway's event loop's.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import type { CheckpointReply, CheckpointWorkerData } from './sqlite-checkpointer.js';

const port = parentPort;
if (!port) throw new Error('sqlite-checkpoint-worker.ts runs as a worker thread');
const { path, intervalMs } = workerData as CheckpointWorkerData;

const db = new SQLite(path, { fileMustExist: true });
// The writer's durability, not SQLite's default FULL: a checkpoint syncs the WAL and the file either way.
db.pragma('synchronous = NORMAL');

function checkpoint(): CheckpointReply {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{
      busy: number;
      log: number;
      checkpointed: number;
    }>;
    return { type: 'checkpoint', busy: result!.busy, log: result!.log, checkpointed: result!.checkpointed };
  } catch (error) {
    return { type: 'error', message: String((error as Error).message ?? error) };
  }
}

const timer = setInterval(() => {
  const reply = checkpoint();
  if (reply.type === 'error') port.postMessage(reply);
}, intervalMs);

port.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'checkpoint') return port.postMessage({ ...checkpoint(), asked: true });
  // Closing: the main thread waits for this thread to exit.
  clearInterval(timer);
  db.close();
  port.close();
});
