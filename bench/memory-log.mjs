// Preloaded (`node --import`) into the gateway by `npm run bench -- --memory-log` (or by hand): once a second,
// appends one line per thread (the main thread and each token worker, which preload it too) with
// process.memoryUsage() and the V8 heap spaces' used sizes, in MB, to the file named by TOKGATE_MEMORY_LOG.
// With `node --expose-gc`, SIGWINCH forces a full GC first, to tell garbage from what is live.
import { appendFileSync, readdirSync } from 'node:fs';
import v8 from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

const file = process.env.TOKGATE_MEMORY_LOG;
if (file) {
  const started = Date.now();
  const mb = (bytes) => Math.round(bytes / 1048576);
  const line = (note = '') => {
    const m = process.memoryUsage();
    const spaces = v8
      .getHeapSpaceStatistics()
      .filter((s) => s.space_used_size > 1048576)
      .map((s) => `${s.space_name.replace('_space', '')}=${mb(s.space_used_size)}`)
      .join(' ');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    appendFileSync(
      file,
      `${seconds}s pid=${process.pid} thread=${isMainThread ? 'main' : `worker-${threadId}`} threads=${readdirSync('/proc/self/task').length} rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)} ${spaces}${note}\n`,
    );
  };
  setInterval(line, 1000).unref();
  if (isMainThread)
    process.on('SIGWINCH', () => {
      if (typeof globalThis.gc !== 'function') return;
      globalThis.gc();
      line(' (after a forced GC)');
    });
}
