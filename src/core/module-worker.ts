// Worker threads that run one of the gateway's own modules. Built, that is the module's .js file; under
// tsx (tests, benches) it is TypeScript, and Node 20 does not apply tsx's `--import` hooks to a worker's
// entry, so such a worker registers them itself first.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Starts the module `name` (without extension) that sits next to the module `from` (its import.meta.url). */
export function startModuleWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  const underTsx = from.endsWith('.ts');
  const url = new URL(`./${name}${underTsx ? '.ts' : '.js'}`, from);
  if (!underTsx) return new Worker(url, options);
  // tsx resolved here: an eval'd worker would resolve it from the working directory.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(
    `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
    { ...options, eval: true },
  );
}
