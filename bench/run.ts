// The benchmark: `npm run bench [-- --quick] [--duration=S] [--soak=S] [--store=postgres] [--profile]`.
// Starts a fake upstream, a bare proxy and the built gateway as separate processes on 127.0.0.1, loads each
// with autocannon side by side, and prints a markdown table plus the issue's targets (PASS/FAIL); the same
// results go to bench/results/<timestamp>.json. See bench/README.md for what every number means.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type HeapProfile, summariseAllocations } from './alloc-summary.js';
import { prepareBaseline } from './baseline.js';
import { summariseCallgrind } from './callgrind-summary.js';
import {
  ask,
  type Forked,
  forkServer,
  freePort,
  installCleanup,
  killAll,
  logTail,
  onExit,
  type Spawned,
  spawnLogged,
  stop,
  waitForHttp,
} from './children.js';
import { callgrindCommand, countInstructions, fixedLoad, renderInstructions } from './instructions.js';
import { runLoad } from './load.js';
import { openStreams } from './open-streams.js';
import { startOtlpSink } from './otlp-sink.js';
import { PEERS, type PeerName, type PeerProcess, peerRuns, startPortkey } from './peer.js';
import { cpuSeconds, cpuTimes, ioCalls, RssSampler, runPeak } from './proc-stats.js';
import { type CpuProfile, summarise } from './profile-summary.js';
import { replicasRun } from './replicas.js';
import { type Cell, evaluateTargets, type Results, renderMarkdown, type TargetName } from './report.js';
import { CHAT_PATH, requestFor, SCENARIOS, type ScenarioName, STREAM_BODY, streamEnd } from './scenarios.js';
import { soak } from './soak.js';
import { median } from './stats.js';
import { probeStreams } from './stream-probe.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379';

const HELP = `npm run bench -- [options]

  --quick               short run (~2 min): 2 s per cell, fewer probe streams, no soak
  --duration=S          seconds measured per cell (default 8; quick 2)
  --warmup=S            unmeasured seconds before each cell (default 2; quick 1)
  --soak=S              soak length in seconds (default 60; quick 0 = skipped)
  --concurrency=LIST    default 1,16,64
  --scenarios=LIST      default small,prompt32k,stream200; also messages-small, messages-stream200 (POST
                        /v1/messages passed through to the fake's Anthropic API), messages-agent256k (the
                        same, streamed, for a ~256 KB request shaped like Claude Code's), messages-openai-small,
                        messages-openai-stream200 (POST /v1/messages translated for an OpenAI model),
                        responses, responses-stream200 (POST /v1/responses passed through to the fake's
                        Responses API), responses-agent (the same, streamed, for a ~128 KB request shaped
                        like Codex's, its tools echoed in every Response), responses-chat-small,
                        responses-chat-stream200 (translated to chat
                        for DeepSeek, an OpenAI-format vendor without the API),
                        embed16, embed16f (POST /v1/embeddings, 16 inputs, base64 / float), rerank16
                        (POST /v1/rerank, 16 documents, top 5, Jina's API at the fake)
  --rounds=N            the suite: measure the load grid N times, alternating (default 1); --compare: rounds
                        of the comparison (default 5)
  --streams=N           concurrent open streams for the memory test (default 1000; 0 skips)
  --probe=N             streams per target for TTFT and chunk gaps (default 200; quick 50)
  --store=sqlite|postgres   postgres uses ${PG_URL} and ${REDIS_URL}
  --database-url=URL    any DATABASE_URL for the gateway (overrides --store)
  --redis-url=URL       REDIS_URL for the gateway
  --profile             instead of the suite: run the gateway under node --cpu-prof with the first of
                        --scenarios (default small) at the first of --concurrency (default 16) for --duration
                        seconds (default 10) and print the hot spots
  --alloc-profile       with --profile: sample what the gateway allocates instead of its CPU (V8's sampling
                        heap profiler, freed objects kept; bench/alloc-profile.mjs) and print bytes per request
                        by allocation site and by gateway function
  --pin                 pin the server under test (bare proxy, gateway) to CPU 1 and the bench process and fake
                        upstream to CPU 0 (taskset), so the servers are not preempted by their own peers
  --skip-build          use the existing dist/ (default: npm run build first)
  --replicas=N          instead of the suite: throughput of 1 vs N gateway replicas on one PostgreSQL + Redis
                        (needs --store=postgres), load split round robin; --scenarios (default small) and
                        --concurrency (default 16,64); see bench/replicas.ts
  --spool=on|off        with --replicas: the ledger's write-ahead spool (default on), to measure its cost
  --otel=off|on|compare on: the gateway traces every request (OTEL_EXPORTER_OTLP_ENDPOINT, always_on) and
                        exports the spans to an OTLP/HTTP sink in the bench process (default off: nothing
                        of OpenTelemetry is loaded); compare, with --compare=REV: REV's gateway untraced,
                        this one traced (--compare=HEAD --otel=compare: what tracing costs)
  --compare=REV         instead of the suite: this build against git revision REV's (built in a temporary
                        worktree), one cell (the first of --scenarios and of --concurrency), in --rounds
                        alternating rounds (default 5) of bare proxy, REV's gateway, this gateway
  --instructions        instead of CPU time, count the instructions per request of the bare proxy and the
                        gateway (with --compare, REV's too) under valgrind's callgrind, on the first of
                        --scenarios and of --concurrency: windows of --requests requests (default 2000, 400
                        for streams) until the count settles, then --rounds windows each (default 3);
                        one process's windows within ±1.2 % on a quiet machine (two processes of one build
                        up to 7 % apart at c16), user space only (bench/instructions.ts, bench/README.md)
  --requests=N          with --instructions: requests per window
  --memory-log          the gateway logs its threads' memory (process.memoryUsage, V8 heap spaces) every
                        second to bench/results/memory-<timestamp>.log (bench/memory-log.mjs)
  --peer=portkey        also load Portkey's gateway (the @portkey-ai/gateway dev dependency) on the same fake
                        upstream, in the chat completions cells (small, prompt32k, stream200), and print its
                        rows and tokgate's CPU per request against it (the suite only)
  --floor               also load the floor proxy (bench/floor-proxy.ts: Fastify in, undici out, JSON parsed
                        and serialised again, nothing else) in every cell, and print what the stack costs
                        (floor × bare) apart from what the gateway's own work costs (gateway × floor)
`;

interface Options {
  quick: boolean;
  durationSec: number;
  warmupSec: number;
  soakSec: number;
  concurrency: number[];
  scenarios: ScenarioName[];
  streams: number;
  probe: number;
  store: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  profile: boolean;
  pin: boolean;
  build: boolean;
  replicas: number;
  spool: boolean;
  compare: string | undefined;
  rounds: number;
  /** The OTLP endpoint the gateway exports its spans to (`--otel=on`); undefined: tracing off. */
  otlpEndpoint: string | undefined;
  /** `compare`: only this build's gateway traces (with --compare). */
  otel: 'off' | 'on' | 'compare';
  /** Where the gateway logs its memory every second (`--memory-log`); undefined: not logged. */
  memoryLog: string | undefined;
  /** With --profile: where the allocation profile goes (`--alloc-profile`); undefined: a CPU profile. */
  allocProfile: string | undefined;
  /** Count instructions under callgrind instead of measuring CPU time (`--instructions`). */
  instructions: boolean;
  /** With --instructions: requests per window; undefined: by scenario. */
  requests: number | undefined;
  /** Another gateway loaded in the same cells (`--peer`). */
  peer: PeerName | undefined;
  /** The floor proxy loaded in every cell (`--floor`). */
  floor: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      soak: { type: 'string' },
      concurrency: { type: 'string' },
      scenarios: { type: 'string' },
      streams: { type: 'string' },
      probe: { type: 'string' },
      store: { type: 'string', default: 'sqlite' },
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'skip-build': { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      replicas: { type: 'string' },
      spool: { type: 'string', default: 'on' },
      compare: { type: 'string' },
      rounds: { type: 'string' },
      otel: { type: 'string', default: 'off' },
      peer: { type: 'string' },
      floor: { type: 'boolean', default: false },
      'memory-log': { type: 'boolean', default: false },
      'alloc-profile': { type: 'boolean', default: false },
      instructions: { type: 'boolean', default: false },
      requests: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = values.quick;
  const num = (raw: string | undefined, fallback: number, name: string) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
    return value;
  };
  const replicas = num(values.replicas, 0, 'replicas');
  const scenarios = (values.scenarios ?? (replicas > 0 ? 'small' : 'small,prompt32k,stream200')).split(
    ',',
  ) as ScenarioName[];
  for (const s of scenarios) if (!(s in SCENARIOS)) throw new Error(`unknown scenario '${s}'`);
  if (values.store !== 'sqlite' && values.store !== 'postgres')
    throw new Error('--store is sqlite or postgres');
  const postgres = values.store === 'postgres';
  return {
    quick,
    durationSec: num(values.duration, values.profile ? 10 : quick ? 2 : 8, 'duration'),
    warmupSec: num(values.warmup, quick ? 1 : 2, 'warmup'),
    soakSec: num(values.soak, quick ? 0 : 60, 'soak'),
    concurrency: (
      values.concurrency ??
      (values.profile || values.compare || values.instructions ? '16' : replicas > 0 ? '16,64' : '1,16,64')
    )
      .split(',')
      .map((c) => Number(c)),
    scenarios,
    streams: num(values.streams, 1000, 'streams'),
    probe: num(values.probe, quick ? 50 : 200, 'probe'),
    store: values['database-url'] ? 'custom' : values.store,
    databaseUrl: values['database-url'] ?? (postgres ? PG_URL : undefined),
    redisUrl: values['redis-url'] ?? (postgres ? REDIS_URL : undefined),
    profile: values.profile,
    pin: values.pin,
    build: !values['skip-build'],
    replicas,
    spool: values.spool !== 'off',
    compare: values.compare,
    rounds: Math.max(1, num(values.rounds, values.instructions ? 3 : values.compare ? 5 : 1, 'rounds')),
    otel: parseOtel(values.otel, values.compare),
    otlpEndpoint: undefined,
    memoryLog: values['memory-log'] ? join(RESULTS_DIR, `memory-${timestamp()}.log`) : undefined,
    allocProfile: parseAllocProfile(values['alloc-profile'] === true, values.profile === true),
    floor: values.floor === true,
    peer: parsePeer(
      values.peer,
      values.profile || values.compare !== undefined || values.instructions || replicas > 0,
    ),
    instructions: values.instructions,
    requests: values.requests === undefined ? undefined : Math.max(1, num(values.requests, 0, 'requests')),
  };
}

function parseAllocProfile(asked: boolean, profile: boolean): string | undefined {
  if (!asked) return undefined;
  if (!profile) throw new Error('--alloc-profile goes with --profile');
  return join(RESULTS_DIR, `alloc-${timestamp()}.heapprofile`);
}

function parsePeer(raw: string | undefined, notSuite: boolean): PeerName | undefined {
  if (raw === undefined) return undefined;
  if (!(PEERS as readonly string[]).includes(raw)) throw new Error(`--peer is one of ${PEERS.join(', ')}`);
  if (notSuite) throw new Error('--peer runs with the suite only (not --profile, --compare or --replicas)');
  return raw as PeerName;
}

function parseOtel(raw: string | undefined, compare: string | undefined): Options['otel'] {
  if (raw !== 'off' && raw !== 'on' && raw !== 'compare') throw new Error('--otel is off, on or compare');
  if (raw === 'compare' && !compare) throw new Error('--otel=compare needs --compare=REV');
  return raw;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function build(): void {
  log('bench: npm run build');
  const out = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (out.status !== 0) {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'index.js'))) throw new Error('npm run build failed');
    log('bench: WARNING: npm run build reported errors; running the dist/ it emitted');
  }
}

/**
 * The gateway's YAML: Jina's rerank model is not built in (its pages state no price per token), and the
 * bench's key is metered, so the rerank cell's model is declared and priced here.
 */
function benchConfig(dir: string): string {
  const path = join(dir, 'bench-tokgate.yaml');
  writeFileSync(
    path,
    [
      'models:',
      '  jina/jina-reranker-v2-base-multilingual:',
      '    kind: rerank',
      '    price: { input: 0.05, output: 0 }',
      '',
    ].join('\n'),
  );
  return path;
}

/** Sets the CPU affinity of every thread of a process (`taskset -a -p`). */
function pin(pid: number, cpu: number): void {
  const out = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`taskset failed for pid ${pid}: ${out.stderr || out.error?.message}`);
}

interface Server {
  /** http://127.0.0.1:PORT; the scenario gives the path. */
  origin: string;
  pid: number;
  headers: Record<string, string>;
}

/** A server the bench started and stops. */
interface Spawnable {
  child: ChildProcess;
}

interface GatewayProcess extends Spawned, Server {
  port: number;
}

async function startGateway(
  options: Options,
  tmp: string,
  fakePort: number,
  nodeArgs: string[] = [],
  /** The checkout whose dist/ runs (another revision's worktree for --compare). */
  root = ROOT,
  /** The command that runs node (valgrind, node and its flags for --instructions). */
  node: readonly string[] = [process.execPath],
): Promise<GatewayProcess> {
  const port = await freePort();
  const adminKey = `sk-tg-admin-bench-${randomBytes(16).toString('hex')}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmp,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl ?? `sqlite:${join(tmp, 'bench.db')}`,
    TOKGATE_ADMIN_KEY: adminKey,
    OPENAI_API_KEY: 'x',
    OPENAI_BASE_URL: `http://127.0.0.1:${fakePort}/v1`,
    // Jina's rerank at the same fake (the rerank cell).
    JINA_API_KEY: 'x',
    JINA_BASE_URL: `http://127.0.0.1:${fakePort}/v1`,
    // An OpenAI-format vendor without the Responses API at the same fake (the translated /v1/responses cells).
    DEEPSEEK_API_KEY: 'x',
    DEEPSEEK_BASE_URL: `http://127.0.0.1:${fakePort}/v1`,
    // The same fake answers Anthropic's Messages API (for the /v1/messages pass-through scenarios).
    ANTHROPIC_API_KEY: 'x',
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${fakePort}`,
    LOG_LEVEL: 'warn',
    TOKGATE_CONFIG: benchConfig(tmp),
  };
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  const wrapped = node[0] !== process.execPath;
  // Under callgrind (~50× slower) the ledger's 100 ms timer would write batches of a few rows where a loaded
  // gateway writes full ones (64 on SQLite), and when it fires would depend on the machine: full batches only.
  if (wrapped) env.TOKGATE_LEDGER_FLUSH_MS = '60000';
  if (options.memoryLog) {
    env.TOKGATE_MEMORY_LOG = options.memoryLog;
    nodeArgs = ['--import', new URL('./memory-log.mjs', import.meta.url).href, ...nodeArgs];
  }
  if (options.allocProfile) {
    env.TOKGATE_ALLOC_PROFILE = options.allocProfile;
    nodeArgs = ['--import', new URL('./alloc-profile.mjs', import.meta.url).href, ...nodeArgs];
  }
  if (options.otlpEndpoint) {
    env.OTEL_EXPORTER_OTLP_ENDPOINT = options.otlpEndpoint;
    env.OTEL_TRACES_SAMPLER = 'always_on';
  }
  const watch = new URL('./parent-watch.mjs', import.meta.url).href;
  const cli = join(root, 'dist', 'cli', 'index.js');
  const command = [...node, ...nodeArgs, '--import', watch, cli, 'serve'];
  const spawned = spawnLogged(command[0]!, command.slice(1), {
    env,
    cwd: tmp,
    logPath: join(tmp, 'gateway.log'),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    // Under valgrind, start-up is ~50× slower.
    await waitForHttp(`${base}/health`, spawned.child, wrapped ? 300_000 : 30_000);
  } catch (error) {
    log(`bench: the gateway did not start; its log:\n${logTail(spawned.logPath)}`);
    throw error;
  }
  // A key with limits and a budget, so rate limiting and credit reservation run on every request (rpm and
  // tpm stay within 32-bit integers: Postgres stores them as integer).
  const res = await fetch(`${base}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', budget_usd: 1_000_000, rpm: 100_000_000, tpm: 2_000_000_000 }),
  });
  const created = (await res.json()) as { key?: string };
  if (res.status !== 201 || typeof created.key !== 'string') {
    throw new Error(`POST /admin/keys answered ${res.status}: ${JSON.stringify(created)}`);
  }
  return {
    ...spawned,
    port,
    origin: base,
    headers: { authorization: `Bearer ${created.key}` },
  };
}

async function setMode(fake: Forked, streamChunks: number, chunkIntervalMs: number): Promise<void> {
  await ask(fake.child, { type: 'mode', streamChunks, chunkIntervalMs }, 'mode-ok');
}

/** A quick check that a target answers 200 to every scenario before it is loaded. */
async function smokeTest(name: string, server: Server, scenarios: readonly ScenarioName[]): Promise<void> {
  for (const scenario of scenarios) {
    const request = requestFor(SCENARIOS[scenario], name.startsWith('gateway'));
    const res = await fetch(`${server.origin}${request.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...request.headers, ...server.headers },
      body: request.body,
    });
    const text = await res.text();
    if (res.status !== 200)
      throw new Error(`${name} answered ${res.status} to ${scenario}: ${text.slice(0, 500)}`);
    const end = streamEnd(request);
    const lastEvent = text.trimEnd().split('\n\n').at(-1) ?? '';
    if (SCENARIOS[scenario].stream && !lastEvent.includes(end)) {
      throw new Error(`${name}: the ${scenario} stream did not end with ${end}: …${text.slice(-300)}`);
    }
  }
}

/** autocannon's request for a target: the gateway gets the scenario's request, the others its upstream's. */
function loadSpec(server: Server, target: TargetName, scenario: ScenarioName, connections: number) {
  const request = requestFor(SCENARIOS[scenario], target === 'gateway');
  return {
    url: `${server.origin}${request.path}`,
    connections,
    headers: { ...request.headers, ...server.headers },
    body: request.body,
  };
}

const MB = 1024 * 1024;

async function measureCell(
  options: Options,
  target: TargetName,
  server: Server,
  upstreamPid: number,
  scenario: ScenarioName,
  connections: number,
  round = 1,
): Promise<Cell> {
  const spec = loadSpec(server, target, scenario, connections);
  if (options.warmupSec > 0) await runLoad({ ...spec, durationSec: options.warmupSec });
  const cpuBefore = cpuTimes(server.pid);
  const ioBefore = ioCalls(server.pid);
  const upstreamBefore = cpuSeconds(upstreamPid);
  const sampler = new RssSampler(server.pid);
  const load = await runLoad({ ...spec, durationSec: options.durationSec });
  const peak = sampler.stop();
  const served = Math.max(1, load.responses);
  const cpuAfter = cpuTimes(server.pid);
  const ioAfter = ioCalls(server.pid);
  const system = cpuAfter.system - cpuBefore.system;
  return {
    scenario,
    connections,
    target,
    round,
    responses: load.responses,
    ok: load.ok,
    non2xx: load.non2xx,
    errors: load.errors,
    rps: load.rps,
    latency: load.latency,
    addedP50Ms: null,
    addedP99Ms: null,
    cpuUsPerRequest: ((cpuAfter.user - cpuBefore.user + system) * 1e6) / served,
    systemUsPerRequest: (system * 1e6) / served,
    readCallsPerRequest: ioBefore && ioAfter ? (ioAfter.reads - ioBefore.reads) / served : null,
    writeCallsPerRequest: ioBefore && ioAfter ? (ioAfter.writes - ioBefore.writes) / served : null,
    upstreamCpuUsPerRequest: ((cpuSeconds(upstreamPid) - upstreamBefore) * 1e6) / served,
    rpsVsBare: null,
    cpuVsBare: null,
    peakRssMb: peak / MB,
  };
}

function compare(group: Cell[]): void {
  const direct = group.find((c) => c.target === 'direct');
  const bare = group.find((c) => c.target === 'bare');
  for (const cell of group) {
    if (cell.target === 'direct') continue;
    if (direct) {
      cell.addedP50Ms = cell.latency.p50 - direct.latency.p50;
      cell.addedP99Ms = cell.latency.p99 - direct.latency.p99;
    }
    if (bare && cell.target !== 'bare') {
      cell.rpsVsBare = cell.rps / bare.rps;
      cell.cpuVsBare = cell.cpuUsPerRequest / bare.cpuUsPerRequest;
    }
  }
}

/** Cells the suite's grid measures: direct, bare, (floor,) gateway in each, the peer in its scenarios. */
function gridCells(options: Options): number {
  const targets = options.floor ? 4 : 3;
  const peerCells = options.peer ? options.scenarios.filter(peerRuns).length * options.concurrency.length : 0;
  return options.rounds * (options.scenarios.length * options.concurrency.length * targets + peerCells);
}

function estimateSeconds(options: Options): number {
  if (options.profile) return options.durationSec + 60;
  // Under callgrind: ~10 windows per server of a few seconds' native work, ~50× slower.
  if (options.instructions) return 1800;
  if (options.compare) return options.rounds * 3 * (options.durationSec + options.warmupSec + 1) + 90;
  const cells = gridCells(options);
  return (
    cells * (options.durationSec + options.warmupSec + 1) +
    3 * (options.probe + 10) * 0.1 +
    (options.streams > 0 ? 40 : 0) +
    options.soakSec +
    30
  );
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

async function profileRun(options: Options, tmp: string): Promise<void> {
  const fake = await forkServer('./fake-upstream.ts', {});
  const dir = join(tmp, 'profile');
  const spawnedAt = Date.now();
  const { allocProfile } = options;
  // The gateway writes the allocation profile there itself.
  if (allocProfile) mkdirSync(RESULTS_DIR, { recursive: true });
  const cpuProfile = allocProfile ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const gateway = await startGateway(options, tmp, fake.port, cpuProfile);
  if (options.pin) {
    pin(process.pid, 0);
    pin(fake.pid, 0);
    pin(gateway.pid, 1);
  }
  const scenario = options.scenarios[0] ?? 'small';
  const connections = options.concurrency[0] ?? 16;
  await smokeTest('gateway', gateway, [scenario]);
  const spec = loadSpec(gateway, 'gateway', scenario, connections);
  await runLoad({ ...spec, durationSec: options.warmupSec });
  // Allocations are sampled from here: the warm-up is left out.
  if (allocProfile) process.kill(gateway.pid, 'SIGUSR2');
  const cpuBefore = cpuSeconds(gateway.pid);
  const measuredFromMs = Date.now() - spawnedAt;
  const load = await runLoad({ ...spec, durationSec: options.durationSec });
  const cpu = cpuSeconds(gateway.pid) - cpuBefore;
  log(
    `bench: profiled ${scenario} c${connections}: ${load.rps.toFixed(0)} req/s, p50 ${load.latency.p50.toFixed(2)} ms, ` +
      `${((cpu * 1e6) / Math.max(1, load.responses)).toFixed(0)} µs CPU/req (profiler on), ${load.errors + load.non2xx} errors`,
  );
  // SIGINT: the gateway shuts down cleanly and V8 writes the profile on exit.
  await stop(gateway.child, 'SIGINT', 30_000);
  if (allocProfile) {
    if (!existsSync(allocProfile))
      throw new Error(`no allocation profile written; gateway log:\n${logTail(gateway.logPath)}`);
    const profile = JSON.parse(readFileSync(allocProfile, 'utf8')) as HeapProfile;
    process.stdout.write(
      `${summariseAllocations(profile, load.responses)}\n\nProfile kept at ${allocProfile} (node --import tsx bench/alloc-summary.ts ${allocProfile} ${load.responses})\n`,
    );
    return;
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}; gateway log:\n${logTail(gateway.logPath)}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const kept = join(RESULTS_DIR, `profile-${scenario}-c${connections}-${timestamp()}.cpuprofile`);
  copyFileSync(join(dir, file), kept);
  const profile = JSON.parse(readFileSync(kept, 'utf8')) as CpuProfile;
  // Start-up and warm-up are left out of the summary (the profile file keeps them).
  process.stdout.write(
    `${summarise(profile, { top: 25, sinceMs: measuredFromMs })}\n\nProfile kept at ${kept} (summary from ${measuredFromMs} ms on: node --import tsx bench/profile-summary.ts ${kept} --since-ms=${measuredFromMs})\n`,
  );
}

/**
 * `--compare=REV`: this build against REV's on one cell, in alternating rounds (bare proxy, REV's gateway,
 * this gateway). This machine's speed drifts by 10–60 % between minutes; within a round the three are
 * measured back to back, so the per-round ratios, and their median, show changes of a few percent that
 * separate runs cannot.
 */
async function compareRun(options: Options, tmp: string, rev: string): Promise<void> {
  const baseline = prepareBaseline(ROOT, rev, join(tmp, 'baseline'));
  onExit(baseline.remove);
  const fake = await forkServer('./fake-upstream.ts', {});
  const bare = await forkServer('./bare-proxy.ts', { UPSTREAM_PORT: String(fake.port) });
  const dirs = { base: join(tmp, 'base'), current: join(tmp, 'current') };
  for (const dir of Object.values(dirs)) mkdirSync(dir);
  const servers = {
    bare: { origin: `http://127.0.0.1:${bare.port}`, pid: bare.pid, headers: {} },
    base: await startGateway(
      // --otel=compare: REV's gateway untraced, this one traced.
      options.otel === 'compare' ? { ...options, otlpEndpoint: undefined } : options,
      dirs.base,
      fake.port,
      [],
      baseline.root,
    ),
    current: await startGateway(options, dirs.current, fake.port),
  };
  if (options.pin) {
    pin(process.pid, 0);
    pin(fake.pid, 0);
    for (const server of Object.values(servers)) pin(server.pid, 1);
  }
  const scenario = options.scenarios[0] ?? 'small';
  const connections = options.concurrency[0] ?? 16;
  for (const [name, server] of Object.entries(servers))
    await smokeTest(name === 'bare' ? 'bare' : `gateway (${name})`, server, [scenario]);
  await setMode(fake, 200, 0);

  const rows: string[] = [];
  const ratios = { base: [] as number[], current: [] as number[], change: [] as number[] };
  for (let round = 1; round <= options.rounds; round++) {
    const cpu: Record<string, number> = {};
    const rps: Record<string, number> = {};
    for (const name of ['bare', 'base', 'current'] as const) {
      const target = name === 'bare' ? 'bare' : 'gateway';
      const cell = await measureCell(options, target, servers[name], fake.pid, scenario, connections);
      cpu[name] = cell.cpuUsPerRequest;
      rps[name] = cell.rps;
      if (cell.errors + cell.non2xx > 0) log(`bench: ${name}: ${cell.errors + cell.non2xx} errors`);
    }
    const base = cpu.base! / cpu.bare!;
    const current = cpu.current! / cpu.bare!;
    ratios.base.push(base);
    ratios.current.push(current);
    ratios.change.push(cpu.current! / cpu.base!);
    const line = `| ${round} | ${rps.bare!.toFixed(0)} | ${cpu.bare!.toFixed(0)} | ${rps.base!.toFixed(0)} | ${cpu.base!.toFixed(0)} (${base.toFixed(2)}×) | ${rps.current!.toFixed(0)} | ${cpu.current!.toFixed(0)} (${current.toFixed(2)}×) |`;
    rows.push(line);
    log(`bench: round ${round}/${options.rounds} ${line}`);
  }
  const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)} %`;
  process.stdout.write(
    [
      '',
      `### ${SCENARIOS[scenario].label}, c${connections}: this build against ${baseline.label}`,
      '',
      '| round | bare req/s | bare CPU µs/req | base req/s | base CPU µs/req (× bare) | this req/s | this CPU µs/req (× bare) |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      `Median CPU × bare: base ${median(ratios.base).toFixed(2)}×, this build ${median(ratios.current).toFixed(2)}×. ` +
        `This build's CPU per request against the base's, median of rounds: ${pct(median(ratios.change))} ` +
        `(rounds from ${pct(Math.min(...ratios.change))} to ${pct(Math.max(...ratios.change))}).`,
      '',
    ].join('\n'),
  );
}

/**
 * `--instructions`: the bare proxy and the gateway (and REV's with --compare) under callgrind, counted in
 * windows of exactly N requests (bench/instructions.ts).
 */
async function instructionsRun(options: Options, tmp: string): Promise<void> {
  const scenario = options.scenarios[0] ?? 'small';
  const connections = options.concurrency[0] ?? 16;
  const amount = options.requests ?? (SCENARIOS[scenario].stream ? 400 : 2000);
  const baseline = options.compare
    ? prepareBaseline(ROOT, options.compare, join(tmp, 'baseline'))
    : undefined;
  if (baseline) onExit(baseline.remove);
  const config = baseline && readFileSync(join(baseline.root, 'dist', 'config', 'config.js'), 'utf8');
  if (config && !config.includes('TOKGATE_LEDGER_FLUSH_MS'))
    log(
      'bench: WARNING: that revision has no TOKGATE_LEDGER_FLUSH_MS: its ledger writes every 100 ms (a few rows under callgrind), this build full batches; the ledger is not compared like for like',
    );
  const fake = await forkServer('./fake-upstream.ts', {});
  await setMode(fake, 200, 0);
  // One server at a time (bench/instructions.ts), each stopped before the next starts.
  const count = async (name: string, dir: string, start: (node: string[]) => Promise<Server & Spawnable>) => {
    mkdirSync(dir);
    const server = await start(callgrindCommand(dir));
    await smokeTest(name === 'bare proxy' ? 'bare' : `gateway (${name})`, server, [scenario]);
    const target: TargetName = name === 'bare proxy' ? 'bare' : 'gateway';
    const client = fixedLoad(loadSpec(server, target, scenario, connections));
    // node's perf map (`--perf-basic-prof`) of this server, removed when the run ends (a copy is kept).
    onExit(() => rmSync(`/tmp/perf-${server.pid}.map`, { force: true }));
    try {
      return await countInstructions(
        { name, pid: server.pid, dir, load: client.load },
        amount,
        options.rounds,
      );
    } finally {
      await client.close();
      await stop(server.child, 'SIGTERM', 60_000);
    }
  };
  const results = [
    await count('bare proxy', join(tmp, 'bare'), async (node) => {
      // In its own directory, as the gateways are: node writes V8 logs beside itself under --perf-basic-prof.
      const bare = await forkServer(
        './bare-proxy.ts',
        { UPSTREAM_PORT: String(fake.port) },
        300_000,
        node,
        join(tmp, 'bare'),
      );
      return { origin: `http://127.0.0.1:${bare.port}`, pid: bare.pid, headers: {}, child: bare.child };
    }),
  ];
  if (baseline)
    results.push(
      await count('base', join(tmp, 'base'), (node) =>
        startGateway(options, join(tmp, 'base'), fake.port, [], baseline.root, node),
      ),
    );
  results.push(
    await count('this build', join(tmp, 'current'), (node) =>
      startGateway(options, join(tmp, 'current'), fake.port, [], ROOT, node),
    ),
  );
  const against = baseline ? `, this build against ${baseline.label}` : '';
  process.stdout.write(
    renderInstructions(
      `${SCENARIOS[scenario].label}, c${connections}: instructions per request (callgrind, windows of ${amount})${against}`,
      results,
    ),
  );
  // Where this build's instructions went, from its last window, named through its perf map.
  const current = results.at(-1)!;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const kept = join(RESULTS_DIR, `callgrind-${scenario}-c${connections}-${timestamp()}`);
  copyFileSync(current.lastDump, `${kept}.out`);
  const pid = /callgrind\.(\d+)\./.exec(current.lastDump)?.[1];
  const map = `/tmp/perf-${pid}.map`;
  if (existsSync(map)) copyFileSync(map, `${kept}.map`);
  process.stdout.write(
    `\n${summariseCallgrind(readFileSync(`${kept}.out`, 'utf8'), existsSync(map) ? readFileSync(map, 'utf8') : undefined, amount)}\n\n` +
      `Kept at ${kept}.out (node --import tsx bench/callgrind-summary.ts ${kept}.out ${kept}.map ${amount})\n`,
  );
}

async function suite(options: Options, tmp: string): Promise<void> {
  const fake = await forkServer('./fake-upstream.ts', {});
  const bare = await forkServer('./bare-proxy.ts', { UPSTREAM_PORT: String(fake.port) });
  const gateway = await startGateway(options, tmp, fake.port);
  const peer: PeerProcess | undefined = options.peer ? await startPortkey(tmp, fake.port) : undefined;
  const floor = options.floor
    ? await forkServer('./floor-proxy.ts', { UPSTREAM_PORT: String(fake.port) })
    : undefined;
  const servers: Partial<Record<TargetName, Server>> & Record<'direct' | 'bare' | 'gateway', Server> = {
    direct: { origin: `http://127.0.0.1:${fake.port}`, pid: fake.pid, headers: {} },
    bare: { origin: `http://127.0.0.1:${bare.port}`, pid: bare.pid, headers: {} },
    gateway,
    ...(floor ? { floor: { origin: `http://127.0.0.1:${floor.port}`, pid: floor.pid, headers: {} } } : {}),
    ...(peer ? { portkey: peer } : {}),
  };
  if (options.pin) {
    pin(process.pid, 0);
    pin(fake.pid, 0);
    pin(bare.pid, 1);
    pin(gateway.pid, 1);
    if (floor) pin(floor.pid, 1);
    if (peer) pin(peer.pid, 1);
  }
  const peerScenarios = options.scenarios.filter(peerRuns);
  for (const [name, server] of Object.entries(servers))
    await smokeTest(name, server, name === 'portkey' ? peerScenarios : options.scenarios);
  log(
    `bench: fake upstream pid ${fake.pid}, bare proxy pid ${bare.pid}, gateway pid ${gateway.pid}${floor ? `, floor proxy pid ${floor.pid}` : ''}${peer ? `, ${options.peer} pid ${peer.pid}` : ''}`,
  );
  let gatewayPeak = 0;

  // Warm the gateway's JIT before the memory test, which runs first on a fresh process.
  await runLoad({
    url: `${gateway.origin}${CHAT_PATH}`,
    connections: 16,
    durationSec: 2,
    headers: gateway.headers,
    body: SCENARIOS.small.body,
  });

  const openResults: Results['openStreams'] = {};
  if (options.streams > 0) {
    // Slow streams: a chunk every 250 ms, far more chunks than the test lasts.
    await setMode(fake, 100_000, 250);
    for (const name of ['gateway', 'bare'] as const) {
      const server = servers[name];
      log(`bench: ${options.streams} open streams through ${name}`);
      const result = await openStreams({
        url: `${server.origin}${CHAT_PATH}`,
        headers: { 'content-type': 'application/json', ...server.headers },
        body: STREAM_BODY,
        count: options.streams,
        pid: server.pid,
        openTimeoutMs: 15_000,
        holdMs: 3000,
      });
      openResults[name] = result;
      if (name === 'gateway') gatewayPeak = Math.max(gatewayPeak, result.peakRssMb);
      log(
        `  ${result.streaming}/${result.requested} streaming, ${result.failed} failed, RSS ${result.rssBeforeMb.toFixed(1)} → ${result.rssOpenMb.toFixed(1)} MB, ${result.perStreamKb.toFixed(1)} KB/stream`,
      );
      await sleep(3000);
    }
  }
  await setMode(fake, 200, 0);

  // With --rounds=N the whole grid is measured N times over, so cells compared with each other (the bare
  // proxy, and chat completions against /v1/messages) sit minutes apart in no round. Even rounds take the
  // scenarios in reverse order, so no scenario always follows the same one (and its garbage).
  const cells: Cell[] = [];
  const total = gridCells(options);
  for (let round = 1; round <= options.rounds; round++) {
    const scenarios = round % 2 === 0 ? [...options.scenarios].reverse() : options.scenarios;
    for (const scenario of scenarios) {
      for (const connections of options.concurrency) {
        const group: Cell[] = [];
        const targets: TargetName[] = ['direct', 'bare', ...(floor ? (['floor'] as const) : []), 'gateway'];
        if (peer && peerRuns(scenario)) targets.push('portkey');
        for (const target of targets) {
          const server = servers[target]!;
          const cell = await measureCell(options, target, server, fake.pid, scenario, connections, round);
          group.push(cell);
          if (target === 'gateway') gatewayPeak = Math.max(gatewayPeak, cell.peakRssMb);
          log(
            `[${cells.length + group.length}/${total}] ${options.rounds > 1 ? `round ${round} ` : ''}${scenario} c${connections} ${target}: ${cell.rps.toFixed(0)} req/s, p50 ${cell.latency.p50.toFixed(2)} ms, p99 ${cell.latency.p99.toFixed(2)} ms, ${cell.cpuUsPerRequest.toFixed(0)} µs CPU/req (system ${cell.systemUsPerRequest.toFixed(0)}; ${cell.readCallsPerRequest?.toFixed(1) ?? '?'} reads, ${cell.writeCallsPerRequest?.toFixed(1) ?? '?'} writes)${cell.errors + cell.non2xx ? `, ${cell.errors + cell.non2xx} errors` : ''}`,
          );
        }
        compare(group);
        cells.push(...group);
      }
    }
  }

  const probe: Results['probe'] = {};
  if (options.probe > 0) {
    // Paced streams: the role chunk at once, then 10 content chunks 5 ms apart.
    await setMode(fake, 10, 5);
    for (const target of ['direct', 'bare', 'gateway'] as const) {
      const server = servers[target];
      probe[target] = await probeStreams(
        `${server.origin}${CHAT_PATH}`,
        { 'content-type': 'application/json', ...server.headers },
        STREAM_BODY,
        options.probe,
      );
      const p = probe[target]!;
      log(`bench: TTFT ${target}: p50 ${p.ttft.p50.toFixed(3)} ms, p99 ${p.ttft.p99.toFixed(3)} ms`);
    }
    await setMode(fake, 200, 0);
  }

  let soakResult: Results['soak'] = null;
  if (options.soakSec > 0) {
    log(`bench: soak ${options.soakSec} s`);
    soakResult = await soak({
      url: `${gateway.origin}${CHAT_PATH}`,
      headers: gateway.headers,
      bodies: [SCENARIOS.small.body, STREAM_BODY],
      connections: 16,
      seconds: options.soakSec,
      pid: gateway.pid,
    });
    gatewayPeak = Math.max(gatewayPeak, soakResult.peakRssMb);
  }

  // Every sampler resets VmHWM; runPeak adds what was seen before each reset (warm-ups, smoke tests too).
  gatewayPeak = Math.max(gatewayPeak, runPeak(gateway.pid) / MB);
  const cpuInfo = cpus();
  const partial: Omit<Results, 'targets'> = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpuInfo.length,
      cpuModel: cpuInfo[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      kernel: release(),
      store: options.databaseUrl ? `${options.store}${options.redisUrl ? ' + redis' : ''}` : 'sqlite',
      durationSec: options.durationSec,
      warmupSec: options.warmupSec,
      rounds: options.rounds,
      argv: process.argv.slice(2),
      pinned: options.pin,
      peer: options.peer ?? null,
      gatewayLogTail: logTail(gateway.logPath, 10),
    },
    cells,
    probe,
    openStreams: openResults,
    soak: soakResult,
    gatewayPeakRssMb: gatewayPeak,
  };
  const results: Results = { ...partial, targets: evaluateTargets(partial) };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = join(RESULTS_DIR, `${timestamp()}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${renderMarkdown(results)}\nJSON: ${out}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions();
  const deadlineSec = Math.ceil(estimateSeconds(options) * 2 + 180);
  installCleanup(deadlineSec * 1000);
  log(
    `bench: estimated ${Math.ceil(estimateSeconds(options) / 60)} min (hard limit ${Math.ceil(deadlineSec / 60)} min)`,
  );
  if (options.build) build();
  if (options.memoryLog) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    onExit(() => log(`bench: the gateway's memory, every second: ${options.memoryLog}`));
  }
  const tmp = mkdtempSync(join(tmpdir(), 'tokgate-bench-'));
  onExit(() =>
    process.env.BENCH_KEEP_TMP ? log(`bench: kept ${tmp}`) : rmSync(tmp, { recursive: true, force: true }),
  );
  const sink = options.otel === 'off' ? undefined : await startOtlpSink();
  if (sink) {
    options.otlpEndpoint = sink.endpoint;
    onExit(() => log(`bench: OTLP sink received ${sink.stats.exports} exports, ${sink.stats.bytes} bytes`));
  }
  if (options.profile) await profileRun(options, tmp);
  else if (options.instructions) await instructionsRun(options, tmp);
  else if (options.compare) await compareRun(options, tmp, options.compare);
  else if (options.replicas > 0) await replicasRun(options, tmp);
  else await suite(options, tmp);
  killAll();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
