// How long the ledger's SQLite batch write holds the event loop (it is synchronous: better-sqlite3), with
// the WAL checkpointed by SQLite inside the commit that crosses 1,000 pages (SQLite's default, and the
// fallback when the checkpoint worker fails) against checkpoints in the worker thread
// (src/store/sqlite-checkpointer.ts). Writes what a loaded gateway writes: 64-row batches of time-ordered
// rows, at --rate rows a second, for --seconds, in alternating rounds.
//
//   node --import tsx bench/ledger-stalls.ts [--rate=5000] [--seconds=15] [--rounds=2]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import type { RequestRow } from '../src/store/schema.js';
import { Store } from '../src/store/store.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '2' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const BATCH = 64;

type Mode = 'in the commit (SQLite default)' | 'checkpoint worker';

let seq = 0;
function row(): RequestRow {
  seq += 1;
  const now = Date.now();
  return {
    id: `req_${now.toString(16).padStart(12, '0')}bnch${seq.toString(16).padStart(12, '0')}`,
    created_at: now,
    key_id: 'key_bench',
    account_id: 'acct_default',
    model: 'openai/gpt-4o-mini',
    provider: 'openai',
    upstream_model: 'gpt-4o-mini-2024-07-18',
    status: 'ok',
    http_status: 200,
    stream: 0,
    prompt_tokens: 12,
    cached_tokens: 0,
    completion_tokens: 9,
    reasoning_tokens: 0,
    usage_source: 'provider',
    cost_micros: 7,
    latency_ms: 1,
    ttft_ms: null,
    error_code: null,
    attempts: '[{"deployment":"openai/gpt-4o-mini","status":200,"ms":1}]',
    price_version: 'builtin@2026-11-01',
    door: 'chat completion',
    units: null,
    unit: null,
    upstream_cost_micros: 7,
  };
}

async function measure(mode: Mode) {
  const dir = mkdtempSync(join(tmpdir(), 'tokgate-ledger-stalls-'));
  const path = join(dir, 'ledger.db');
  const store = await Store.open(`sqlite:${path}`);
  // The first ledger write starts the checkpoint worker; its first answer says it has loaded (under tsx,
  // loading costs more CPU than the whole run's checkpoints, and is not what is measured).
  await store.insertRequests([row()]);
  await store.checkpointer?.checkpoint();
  if (mode === 'in the commit (SQLite default)') {
    await store.checkpointer?.close();
    const connection = (store as unknown as { db: Kysely<unknown> }).db;
    await sql`pragma wal_autocheckpoint = 1000`.execute(connection);
  }
  const gapMs = (BATCH / rate) * 1000;
  const batches = Math.round((seconds * rate) / BATCH);
  const blocked: number[] = [];
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    const rows = Array.from({ length: BATCH }, row);
    const t = performance.now();
    await store.insertRequests(rows);
    blocked.push(performance.now() - t);
    const next = start + (b + 1) * gapMs - performance.now();
    if (next > 0) await sleep(next);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wal = statSync(`${path}-wal`).size;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  blocked.sort((a, b) => a - b);
  const at = (q: number) => blocked[Math.min(blocked.length - 1, Math.floor(q * blocked.length))]!;
  return {
    mode,
    p50: median(blocked),
    p99: at(0.99),
    p999: at(0.999),
    max: blocked.at(-1)!,
    over5: blocked.filter((ms) => ms > 5).length,
    batches,
    cpuUsPerRow: (cpu.user + cpu.system) / (batches * BATCH),
    walMb: wal / 1024 / 1024,
  };
}

const results: Awaited<ReturnType<typeof measure>>[] = [];
const modes: Mode[] = ['in the commit (SQLite default)', 'checkpoint worker'];
for (let round = 1; round <= rounds; round++) {
  for (const mode of round % 2 === 0 ? [...modes].reverse() : modes) {
    process.stderr.write(`round ${round}: checkpoints ${mode}\n`);
    results.push(await measure(mode));
  }
}
const f = (n: number, digits = 2) => n.toFixed(digits);
process.stdout.write(
  `64-row ledger batches at ${rate} rows/s for ${seconds} s, time each write held the event loop (ms):\n\n` +
    '| checkpoints | p50 | p99 | p99.9 | max | writes over 5 ms (of) | CPU µs/row, all threads | WAL at the end, MB |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|\n' +
    results
      .map(
        (r) =>
          `| ${r.mode} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.p999)} | ${f(r.max)} | ${r.over5} (${r.batches}) | ${f(r.cpuUsPerRow, 1)} | ${f(r.walMb, 1)} |`,
      )
      .join('\n') +
    '\n',
);
