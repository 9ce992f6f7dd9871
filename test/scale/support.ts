// Helpers for the multi-replica suite: `tokgate serve` processes (as test/cli/serve.test.ts starts them), a
// TCP proxy that can cut a replica off from PostgreSQL, and a little HTTP client.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export interface Replica {
  name: string;
  port: number;
  url: string;
  /** Its working directory (its ledger spool lives under ./data/spool). */
  cwd: string;
  child: ChildProcess;
  output(): string;
  /** Starts the same replica again (same port, same directory) after it stopped. */
  restart(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), `tokgate-${name}-`));
  let output = '';
  const launch = async () => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, 'serve'], {
      cwd,
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = output.length;
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await fetch(`http://127.0.0.1:${port}/health`).then(
        (res) => res.ok,
        () => false,
      );
      if (up) return child;
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`replica ${name} did not start:\n${output.slice(started)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const replica: Replica = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    cwd,
    child: await launch(),
    output: () => output,
    async restart() {
      replica.child = await launch();
    },
    async stop(signal = 'SIGTERM') {
      const { child } = replica;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
  return replica;
}

/** A TCP proxy in front of PostgreSQL: `cut()` drops every connection and refuses new ones. */
export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const port = await freePort();
  let server: Server | undefined;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = tcpConnect(targetPort, targetHost);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
  };
  const cut = async () => {
    const closing = server ? new Promise((r) => server!.close(r)) : Promise.resolve();
    for (const s of sockets) s.destroy();
    await closing;
    server = undefined;
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
  /** The client got a whole answer (a complete JSON body). */
  complete: boolean;
}

export async function call(
  base: string,
  path: string,
  init: { key?: string; json?: unknown; method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const text = await res.text();
  let body: unknown = text;
  let complete = false;
  try {
    body = JSON.parse(text);
    complete = true;
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers, complete };
}

/** Runs `count` jobs with at most `concurrency` at once. */
export async function pool<T>(
  count: number,
  concurrency: number,
  job: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await job(i);
      }
    }),
  );
  return results;
}

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
