// `npm run bench -- --replicas=N --store=postgres`: throughput of one gateway replica against N replicas
// sharing one PostgreSQL and one Redis. A fake upstream and N `tokgate serve` processes start (built dist/);
// every replica uses the same metered key (a prepaid account and a key with rpm/tpm limits: the Redis wallet
// and rate limiter run on every request); the load generator splits its connections round robin over the
// replicas (one autocannon instance per replica, connections / N each) and the totals are summed.
// `--spool=off` runs the same without the ledger's write-ahead spool, to measure what it costs.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Forked,
  forkServer,
  freePort,
  logTail,
  type Spawned,
  spawnLogged,
  stop,
  waitForHttp,
} from './children.js';
import { runLoad } from './load.js';
import { cpuSeconds } from './proc-stats.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

export interface ReplicaOptions {
  replicas: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  spool: boolean;
  durationSec: number;
  warmupSec: number;
  concurrency: number[];
  scenarios: ScenarioName[];
}

interface Replica extends Spawned {
  base: string;
}

async function startReplica(
  options: ReplicaOptions,
  dir: string,
  env: Record<string, string>,
): Promise<Replica> {
  const port = await freePort();
  const watch = new URL('./parent-watch.mjs', import.meta.url).href;
  const spawned = spawnLogged(
    process.execPath,
    ['--import', watch, join(ROOT, 'dist', 'cli', 'index.js'), 'serve'],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? dir,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...(options.spool ? {} : { TOKGATE_SPOOL_DIR: 'off' }),
        ...env,
      },
      cwd: dir,
      logPath: join(dir, `gateway-${port}.log`),
    },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/health`, spawned.child);
  } catch (error) {
    log(`bench: a replica did not start; its log:\n${logTail(spawned.logPath)}`);
    throw error;
  }
  return { ...spawned, base };
}

async function admin(
  base: string,
  adminKey: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

interface Row {
  replicas: number;
  scenario: ScenarioName;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  cpuUsPerRequest: number;
}

async function measure(
  options: ReplicaOptions,
  targets: Replica[],
  key: string,
  scenario: ScenarioName,
  connections: number,
): Promise<Row> {
  const per = (i: number) =>
    Math.floor(connections / targets.length) + (i < connections % targets.length ? 1 : 0);
  const spec = (r: Replica, i: number, durationSec: number) => ({
    url: `${r.base}${SCENARIOS[scenario].path}`,
    connections: Math.max(1, per(i)),
    durationSec,
    headers: { ...SCENARIOS[scenario].headers, authorization: `Bearer ${key}` },
    body: SCENARIOS[scenario].body,
  });
  if (options.warmupSec > 0) await Promise.all(targets.map((r, i) => runLoad(spec(r, i, options.warmupSec))));
  const cpuBefore = targets.map((r) => cpuSeconds(r.child.pid!));
  const results = await Promise.all(targets.map((r, i) => runLoad(spec(r, i, options.durationSec))));
  const cpu = targets.reduce((sum, r, i) => sum + cpuSeconds(r.child.pid!) - cpuBefore[i]!, 0);
  const responses = results.reduce((n, r) => n + r.responses, 0);
  const weighted = (pick: (r: (typeof results)[number]) => number) =>
    results.reduce((sum, r) => sum + pick(r) * r.responses, 0) / Math.max(1, responses);
  return {
    replicas: targets.length,
    scenario,
    connections,
    rps: results.reduce((n, r) => n + r.rps, 0),
    // Request-weighted means of each generator's percentiles (an approximation of the merged percentile).
    p50: weighted((r) => r.latency.p50),
    p99: weighted((r) => r.latency.p99),
    non2xx: results.reduce((n, r) => n + r.non2xx + r.errors, 0),
    cpuUsPerRequest: (cpu * 1e6) / Math.max(1, responses),
  };
}

export async function replicasRun(options: ReplicaOptions, tmp: string): Promise<void> {
  if (!options.databaseUrl?.startsWith('postgres') || !options.redisUrl) {
    throw new Error('--replicas needs a shared database and Redis: add --store=postgres');
  }
  const fake: Forked = await forkServer('./fake-upstream.ts', {});
  const adminKey = `sk-tg-admin-bench-${randomBytes(16).toString('hex')}`;
  // A fresh key prefix per run, so runs never see each other's counters.
  const env = {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    TOKGATE_REDIS_PREFIX: `tokgate:bench:${randomBytes(4).toString('hex')}:`,
    TOKGATE_ADMIN_KEY: adminKey,
    OPENAI_API_KEY: 'x',
    OPENAI_BASE_URL: `http://127.0.0.1:${fake.port}/v1`,
    ANTHROPIC_API_KEY: 'x',
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${fake.port}`,
  };
  const replicas: Replica[] = [];
  try {
    replicas.push(await startReplica(options, tmp, env));
    replicas.push(
      ...(await Promise.all(
        Array.from({ length: options.replicas - 1 }, () => startReplica(options, tmp, env)),
      )),
    );
    const base = replicas[0]!.base;
    const account = await admin(base, adminKey, '/admin/accounts', { name: 'bench', credits_usd: 1_000_000 });
    const created = await admin(base, adminKey, '/admin/keys', {
      name: 'bench',
      account_id: account.id,
      budget_usd: 1_000_000,
      rpm: 100_000_000,
      tpm: 2_000_000_000,
    });
    const key = String(created.key);
    log(
      `bench: ${options.replicas} replicas (pids ${replicas.map((r) => r.child.pid).join(', ')}), spool ${options.spool ? 'on' : 'off'}`,
    );
    const rows: Row[] = [];
    for (const scenario of options.scenarios) {
      for (const connections of options.concurrency) {
        for (const count of [...new Set([1, options.replicas])]) {
          const row = await measure(options, replicas.slice(0, count), key, scenario, connections);
          rows.push(row);
          log(
            `${scenario} c${connections} ×${count}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, ${row.cpuUsPerRequest.toFixed(0)} µs gateway CPU/req${row.non2xx ? `, ${row.non2xx} errors` : ''}`,
          );
        }
      }
    }
    const lines = [
      '| scenario | connections | replicas | req/s | p50 ms | p99 ms | gateway CPU µs/req | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.scenario} | ${r.connections} | ${r.replicas} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.cpuUsPerRequest.toFixed(0)} | ${r.non2xx} |`,
      ),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await Promise.all(replicas.map((r) => stop(r.child, 'SIGTERM', 15_000).catch(() => undefined)));
  }
}
