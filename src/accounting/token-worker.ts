// The tokenizer's thread (token-pool.ts starts it): counts texts off the gateway's event loop. It loads an
// encoding on its first use and keeps it; each job stops at its deadline.
import { parentPort } from 'node:worker_threads';
import type { TokenJob, TokenReply } from './token-pool.js';
import { countTexts, warmTokenizers } from './tokenizer.js';

const port = parentPort;
if (!port) throw new Error('token-worker.ts runs as a worker thread');

port.on('message', (job: TokenJob) => {
  const reply = (counts: number[] | undefined) =>
    port.postMessage({ id: job.id, counts: counts ?? null } satisfies TokenReply);
  if (job.warm)
    return void warmTokenizers().then(
      () => reply([]),
      () => reply(undefined),
    );
  if (job.texts.length === 0) return reply([]);
  countTexts(job.tokenizer, job.texts, job.purpose, job.deadline).then(reply, () => reply(undefined));
});
