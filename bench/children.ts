// Child processes of the bench (fake upstream, bare proxy, gateway): started, awaited, and always killed,
// whether the run ends normally, fails, hits its deadline or is interrupted with ctrl-C.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const children = new Set<ChildProcess>();
const exitHooks: Array<() => void> = [];

/** Synchronous clean-up to run at exit (temporary directories). */
export function onExit(hook: () => void): void {
  exitHooks.push(hook);
}

export function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  children.clear();
}

function runExitHooks(): void {
  for (const hook of exitHooks.splice(0)) {
    try {
      hook();
    } catch {
      // Best effort at exit.
    }
  }
}

let installed = false;

/** Kills every child on exit, on SIGINT/SIGTERM/SIGHUP, and when `deadlineMs` passes (the run is bounded). */
export function installCleanup(deadlineMs: number): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => {
    killAll();
    runExitHooks();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every child process\n`);
      process.exit(130);
    });
  }
  setTimeout(() => {
    process.stderr.write(
      `\nbench: the run passed its deadline (${Math.round(deadlineMs / 1000)} s); stopping\n`,
    );
    process.exit(1);
  }, deadlineMs).unref();
}

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export interface Forked {
  child: ChildProcess;
  pid: number;
  port: number;
}

const tsxLoader = import.meta.resolve('tsx');

/**
 * Forks a TypeScript entry of bench/ (through tsx) and waits for its `{type:'ready', port}` message. `node`
 * is the command that runs node when it is not plainly node (valgrind, then node and its flags); the IPC
 * channel is handed on through it.
 */
export function forkServer(
  entry: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
  node: readonly string[] = [],
  /** Its working directory (where V8 writes any logs its flags ask for); default: the bench's. */
  cwd?: string,
): Promise<Forked> {
  const path = fileURLToPath(new URL(entry, import.meta.url));
  const childEnv = { ...process.env, ...env };
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
  const child =
    node.length === 0
      ? fork(path, [], { execArgv: ['--import', tsxLoader], env: childEnv, stdio })
      : spawn(node[0]!, [...node.slice(1), '--import', tsxLoader, path], {
          env: childEnv,
          stdio,
          ...(cwd ? { cwd } : {}),
        });
  track(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start in ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with code ${code} before it was ready`));
    });
    child.on('message', (message: unknown) => {
      const m = message as { type?: string; port?: number };
      if (m.type === 'ready' && typeof m.port === 'number' && child.pid !== undefined) {
        clearTimeout(timer);
        resolve({ child, pid: child.pid, port: m.port });
      }
    });
  });
}

/** Sends a message to a forked child and waits for the reply of the given type. */
export function ask(
  child: ChildProcess,
  message: object,
  replyType: string,
  timeoutMs = 5000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${replyType}' in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (reply: unknown) => {
      if ((reply as { type?: string }).type !== replyType) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  logPath: string;
}

/** Spawns a process with its stdout and stderr going to `logPath`. */
export function spawnLogged(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; logPath: string },
): Spawned {
  const fd = openSync(options.logPath, 'a');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return { child, pid: child.pid, logPath: options.logPath };
}

export function logTail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Waits until `url` answers 200, or the child exits, or the time is up. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the process exited (${child.exitCode ?? child.signalCode}) before ${url} answered`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** A port that was free a moment ago on 127.0.0.1 (for servers that take their port from the environment). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
