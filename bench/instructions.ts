// Instructions per request, counted by valgrind's callgrind (`npm run bench -- --instructions`). CPU time on
// this shared 2-core machine moves by ±10 % between runs of the same build, so changes of a few percent
// cannot be told from noise with it. callgrind counts the user-space instructions a process executes, every
// thread of it, which depend far less on what else the machine is doing: on a quiet machine one process's
// windows agree within ±1.2 %, though two processes of the same build have differed by up to 7 % at c16
// (bench/README.md). What it does not see: the kernel's share (system calls, the socket
// writes) and cache or branch behaviour, so it complements `--compare`, it does not replace it.
//
// Each server runs under callgrind from its start; the bench loads it in windows of exactly `requests`
// requests and dumps the counts after each (callgrind_control --dump), so a window's dump holds that
// window's instructions. V8 keeps compiling and tiering code for the first few thousand requests, so
// windows are discarded until one is within 5 % of the one before; then `rounds` windows are measured, and
// the median reported. One server at a time, its windows back to back: a server left idle for the minute
// another one's window takes comes back costlier (its connections closed by keep-alive timeouts on either
// side, and V8's idle-time work), by 30–200 % in the first window after.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { median } from './stats.js';

/**
 * The command that runs node under callgrind, dumping to `dir/callgrind.<pid>.<n>`. V8's memory reducer
 * collects garbage when a process goes idle (as each server does while the others are measured), and its
 * collections age code until V8 throws away the bytecode and optimised code of the hot functions, which
 * then compile again in the next window (a window with 3× the instructions, half of them TurboFan on its
 * worker threads): both are off, since their timing, not the code measured, decides them.
 */
export function callgrindCommand(dir: string): string[] {
  const found = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (found.status !== 0)
    throw new Error('--instructions needs valgrind (Debian: apt-get install -y valgrind)');
  return [
    'valgrind',
    '--tool=callgrind',
    // V8 writes machine code and runs it: valgrind must notice code rewritten in place.
    '--smc-check=all-non-file',
    `--callgrind-out-file=${join(dir, 'callgrind.%p')}`,
    // vgdb's rendezvous files are named after USER and HOST, which the gateway's environment does not have.
    vgdbPrefix(dir),
    process.execPath,
    '--no-memory-reducer',
    '--no-flush-bytecode',
    // The same hash seed and random seed in every process: V8's hash tables (maps, sets, property
    // dictionaries, the string table) otherwise lay out differently from one process to the next.
    '--hash-seed=1',
    '--random-seed=1',
    // Names for V8's machine code, which callgrind sees only as addresses (bench/callgrind-summary.ts); all
    // of it, compiled regular expressions too (with functions only, their code took stale names).
    '--perf-basic-prof',
  ];
}

const vgdbPrefix = (dir: string) => `--vgdb-prefix=${join(dir, 'vgdb')}`;

/**
 * vgdb names its rendezvous files after USER and HOST as the process under valgrind saw them (the gateway's
 * environment has HOST=127.0.0.1 and no USER), so callgrind_control must run with the same two.
 */
function vgdbEnv(pid: number): NodeJS.ProcessEnv {
  const seen = new Map(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as const),
  );
  const env = { ...process.env };
  for (const name of ['USER', 'HOST']) {
    const value = seen.get(name);
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** A server running under callgrind, loaded by `load` (exactly `amount` requests; returns how many failed). */
export interface CountedServer {
  name: string;
  pid: number;
  /** Where callgrindCommand(dir) was told to dump. */
  dir: string;
  load: (amount: number) => Promise<{ failed: number }>;
}

/** Reads the instructions in a callgrind dump (`totals:`; `summary:` in older formats). */
export function dumpTotal(text: string): number {
  const match = /^(?:totals|summary): (\d+)/m.exec(text);
  if (!match) throw new Error('no totals line in the callgrind dump');
  return Number(match[1]);
}

class Counter {
  dumps = 0;

  lastDump = '';

  constructor(readonly server: CountedServer) {}

  /** Runs one window of `amount` requests and returns its instructions per request. */
  async window(amount: number): Promise<number> {
    const { failed } = await this.server.load(amount);
    if (failed > 0) throw new Error(`${this.server.name}: ${failed} of ${amount} requests failed`);
    const out = spawnSync(
      'callgrind_control',
      [vgdbPrefix(this.server.dir), '--dump', String(this.server.pid)],
      { encoding: 'utf8', env: vgdbEnv(this.server.pid) },
    );
    if (out.status !== 0 || !out.stdout.includes('OK'))
      throw new Error(`callgrind_control --dump failed: ${out.stderr || out.stdout}`);
    this.dumps += 1;
    const file = join(this.server.dir, `callgrind.${this.server.pid}.${this.dumps}`);
    // The dump is written by the process itself, between two of its own basic blocks.
    for (let waited = 0; !existsSync(file) || !/^totals: /m.test(readFileSync(file, 'utf8')); waited += 100) {
      if (waited > 30_000) throw new Error(`no callgrind dump at ${file}: ${out.stdout}`);
      await sleep(100);
    }
    this.lastDump = file;
    return dumpTotal(readFileSync(file, 'utf8')) / amount;
  }
}

/**
 * Exactly `amount` POSTs per call over the same `connections` keep-alive connections for every window
 * (autocannon would open new ones per run, and a window would count their set-up). Returns the failures.
 */
export function fixedLoad(spec: {
  url: string;
  connections: number;
  headers: Record<string, string>;
  body?: string;
}) {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, { connections: spec.connections });
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const load = async (amount: number) => {
    let started = 0;
    let failed = 0;
    const worker = async () => {
      while (started < amount) {
        started += 1;
        try {
          const res = await pool.request({
            path: url.pathname,
            method: 'POST',
            headers,
            body: spec.body ?? null,
          });
          await res.body.arrayBuffer();
          if (res.statusCode >= 300) failed += 1;
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: spec.connections }, worker));
    return { failed };
  };
  return { load, close: () => pool.close() };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Discards windows until one is within `tolerance` of the one before (at least 3, at most 15). */
async function warmUp(counter: Counter, amount: number, tolerance = 0.05): Promise<void> {
  let previous = Number.NaN;
  for (let window = 1; window <= 15; window++) {
    const perRequest = await counter.window(amount);
    log(
      `bench: ${counter.server.name}: warm-up window ${window}: ${Math.round(perRequest)} instructions/req`,
    );
    if (window >= 3 && Math.abs(perRequest / previous - 1) <= tolerance) return;
    previous = perRequest;
  }
  log(`bench: WARNING: ${counter.server.name}'s count did not settle in 15 warm-up windows`);
}

export interface InstructionResult {
  name: string;
  /** Instructions per request in each measured window. */
  rounds: number[];
  median: number;
  /** The last window's dump (for bench/callgrind-summary.ts). */
  lastDump: string;
}

/** Warms a server up, then measures `rounds` windows of it, back to back. */
export async function countInstructions(
  server: CountedServer,
  amount: number,
  rounds: number,
): Promise<InstructionResult> {
  const counter = new Counter(server);
  await warmUp(counter, amount);
  const measured: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const perRequest = await counter.window(amount);
    measured.push(perRequest);
    log(`bench: round ${round}/${rounds}: ${server.name} ${Math.round(perRequest)} instructions/req`);
  }
  return { name: server.name, rounds: measured, median: median(measured), lastDump: counter.lastDump };
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)} %`;

/**
 * The table: each server's median instructions per request, its rounds' range and its ratio to the first
 * (the bare proxy). With a base build (`--compare`), the last line gives this build against it.
 */
export function renderInstructions(title: string, results: readonly InstructionResult[]): string {
  const bare = results[0]!;
  const lines = [
    '',
    `### ${title}`,
    '',
    '| server | instructions per request (median) | rounds | × bare |',
    '|---|---:|---|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${thousands(r.median)} | ${r.rounds.map(thousands).join(', ')} | ${(r.median / bare.median).toFixed(2)}× |`,
    ),
    '',
  ];
  const base = results.find((r) => r.name === 'base');
  const current = results.find((r) => r.name === 'this build');
  if (base && current) {
    const changes = current.rounds.map((value, i) => value / base.rounds[i]!);
    lines.push(
      `This build's instructions per request against the base's: ${pct(current.median / base.median)} ` +
        `(per round from ${pct(Math.min(...changes))} to ${pct(Math.max(...changes))}).`,
      '',
    );
  }
  return lines.join('\n');
}
