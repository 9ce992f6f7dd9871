// Starts a worker thread from a module beside the caller. Under tsx (tests, benches) the caller is
// TypeScript and so is the worker's module; Node 20 does not apply tsx's `--import` hooks to a worker's
// entry, so the worker registers them itself first.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * `callerUrl`: the caller's `import.meta.url`; `name`: the worker module's name without its extension
 * (`./token-worker`), found beside the caller as `.ts` under tsx and `.js` once built.
 */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const underTsx = callerUrl.endsWith('.ts');
  const url = new URL(`${name}${underTsx ? '.ts' : '.js'}`, callerUrl);
  if (!underTsx) return new Worker(url, options);
  return new Worker(
    // tsx resolved here: an eval'd worker would resolve it from the working directory.
    `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
    { ...options, eval: true },
  );
}
