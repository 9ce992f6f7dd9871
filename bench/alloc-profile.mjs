// Preloaded (`node --import`) into the gateway by `npm run bench -- --profile --alloc-profile` (or by hand):
// V8's sampling heap profiler, keeping the objects garbage collection has freed, so the profile shows what
// was allocated (the rate), not what is live. SIGUSR2 starts sampling (the bench sends it after the warm-up);
// SIGINT, before the gateway's own shutdown, stops it and writes the profile to TOKGATE_ALLOC_PROFILE
// (a .heapprofile: Chrome DevTools opens it; bench/alloc-summary.ts summarises it).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { isMainThread } from 'node:worker_threads';

const file = process.env.TOKGATE_ALLOC_PROFILE;
// The main thread's allocations (the token worker, preloaded too, is left out: signals are the process's).
if (file && isMainThread) {
  const session = new Session();
  session.connect();
  // The in-process inspector answers synchronously: the profile is written before the shutdown goes on.
  const post = (method, params = {}) => {
    let answer;
    session.post(method, params, (error, result) => {
      if (error) throw error;
      answer = result;
    });
    return answer;
  };
  post('HeapProfiler.enable');
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (sampling) return;
    sampling = true;
    post('HeapProfiler.startSampling', {
      samplingInterval: Number(process.env.TOKGATE_ALLOC_INTERVAL ?? 4096),
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  });
  process.prependListener('SIGINT', () => {
    if (!sampling) return;
    sampling = false;
    writeFileSync(file, JSON.stringify(post('HeapProfiler.stopSampling').profile));
  });
}
