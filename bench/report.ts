// The bench's results: their shape (also the JSON written to bench/results/), the markdown tables, and the
// issue's targets with PASS/FAIL.
import type { OpenStreamsResult } from './open-streams.js';
import type { ScenarioName } from './scenarios.js';
import type { SoakResult } from './soak.js';
import type { Percentiles } from './stats.js';
import type { ProbeResult } from './stream-probe.js';

export type TargetName = 'direct' | 'bare' | 'gateway';

export interface Cell {
  scenario: ScenarioName;
  connections: number;
  target: TargetName;
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  rps: number;
  /** 2xx latency, ms. */
  latency: Percentiles;
  /** Latency added over calling the fake upstream directly (same scenario and concurrency), ms. */
  addedP50Ms: number | null;
  addedP99Ms: number | null;
  /** CPU of the server under test (for `direct`, the fake itself) per response, µs. */
  cpuUsPerRequest: number;
  /** CPU of the fake upstream per response, µs (the same work behind every target). */
  upstreamCpuUsPerRequest: number;
  /** Gateway (or bare) over bare proxy. */
  rpsVsBare: number | null;
  cpuVsBare: number | null;
  peakRssMb: number;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  pass: boolean | null;
}

export interface Results {
  meta: Record<string, unknown>;
  cells: Cell[];
  probe: Partial<Record<TargetName, ProbeResult>>;
  openStreams: Partial<Record<'gateway' | 'bare', OpenStreamsResult>>;
  soak: SoakResult | null;
  gatewayPeakRssMb: number;
  targets: Target[];
}

const f = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
const signed = (value: number | null, digits = 2) =>
  value === null || !Number.isFinite(value) ? '—' : `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
const pct = (ratio: number | null) => (ratio === null ? '—' : `${(ratio * 100).toFixed(0)} %`);
const times = (ratio: number | null) => (ratio === null ? '—' : `${ratio.toFixed(2)}×`);

const LABELS: Record<ScenarioName, string> = {
  small: 'small JSON',
  prompt32k: '32 KB prompt',
  stream200: 'stream 200 chunks',
  embed16: 'embeddings ×16 (base64)',
  embed16f: 'embeddings ×16 (float)',
};

function gridTable(cells: readonly Cell[]): string {
  const rows = [
    '| scenario | conc. | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | CPU µs/req | CPU × bare | req/s vs bare | peak RSS MB | errors |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of cells) {
    rows.push(
      `| ${LABELS[c.scenario]} | ${c.connections} | ${c.target} | ${f(c.rps, 0)} | ${f(c.latency.p50)} | ${f(c.latency.p99)} | ${signed(c.addedP50Ms)} | ${signed(c.addedP99Ms)} | ${f(c.cpuUsPerRequest, 0)} | ${times(c.cpuVsBare)} | ${pct(c.rpsVsBare)} | ${f(c.peakRssMb, 0)} | ${c.errors + c.non2xx} |`,
    );
  }
  return rows.join('\n');
}

function probeTable(probe: Results['probe']): string {
  const bare = probe.bare?.ttft.p50 ?? null;
  const rows = [
    '| target | streams | TTFT p50 ms | TTFT p99 ms | TTFT p50 over bare ms | chunk gap p50 ms | chunk gap p99 ms | chunk gap max ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of ['direct', 'bare', 'gateway'] as const) {
    const p = probe[name];
    if (!p) continue;
    const over = bare === null ? null : p.ttft.p50 - bare;
    rows.push(
      `| ${name} | ${p.streams}${p.failures ? ` (${p.failures} failed)` : ''} | ${f(p.ttft.p50)} | ${f(p.ttft.p99)} | ${signed(over)} | ${f(p.gap.p50)} | ${f(p.gap.p99)} | ${f(p.gap.max)} |`,
    );
  }
  return rows.join('\n');
}

function openStreamsTable(open: Results['openStreams']): string {
  const rows = [
    '| server | streams asked | streaming | failed | RSS before MB | RSS open MB | KB per open stream | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of ['bare', 'gateway'] as const) {
    const o = open[name];
    if (!o) continue;
    rows.push(
      `| ${name} | ${o.requested} | ${o.streaming} | ${o.failed} | ${f(o.rssBeforeMb, 1)} | ${f(o.rssOpenMb, 1)} | ${f(o.perStreamKb, 1)} | ${f(o.peakRssMb, 1)} |`,
    );
  }
  return rows.join('\n');
}

export function evaluateTargets(results: Omit<Results, 'targets'>): Target[] {
  const cell = (scenario: ScenarioName, connections: number, target: TargetName) =>
    results.cells.find(
      (c) => c.scenario === scenario && c.connections === connections && c.target === target,
    );
  const targets: Target[] = [];
  const small16 = cell('small', 16, 'gateway');
  targets.push({
    name: 'CPU per request, small JSON, c16',
    goal: '≤ 1.45× bare proxy',
    measured: small16 ? times(small16.cpuVsBare) : 'not run',
    pass: small16?.cpuVsBare != null ? small16.cpuVsBare <= 1.45 : null,
  });
  targets.push({
    name: 'Throughput, small JSON, c16',
    goal: '≥ 70 % of bare proxy',
    measured: small16 ? pct(small16.rpsVsBare) : 'not run',
    pass: small16?.rpsVsBare != null ? small16.rpsVsBare >= 0.7 : null,
  });
  const small1 = cell('small', 1, 'gateway');
  targets.push({
    name: 'Added latency p50, small JSON, c1',
    goal: '≤ 0.3 ms over direct',
    measured: small1 ? `${signed(small1.addedP50Ms, 3)} ms` : 'not run',
    pass: small1?.addedP50Ms != null ? small1.addedP50Ms <= 0.3 : null,
  });
  targets.push({
    name: 'Added latency p99, small JSON, c1',
    goal: '≤ 2 ms over direct',
    measured: small1 ? `${signed(small1.addedP99Ms, 3)} ms` : 'not run',
    pass: small1?.addedP99Ms != null ? small1.addedP99Ms <= 2 : null,
  });
  const { bare, gateway } = results.probe;
  const ttftOver = bare && gateway ? gateway.ttft.p50 - bare.ttft.p50 : null;
  targets.push({
    name: 'TTFT overhead p50 (c1)',
    goal: '≤ 1 ms over bare proxy',
    measured: ttftOver === null ? 'not run' : `${signed(ttftOver, 3)} ms`,
    pass: ttftOver === null ? null : ttftOver <= 1,
  });
  const gapOver = bare && gateway ? gateway.gap.p99 - bare.gap.p99 : null;
  targets.push({
    name: 'No per-chunk delay (chunk gap p99 vs bare)',
    goal: '≤ 1 ms over bare proxy',
    measured: gapOver === null ? 'not run' : `${signed(gapOver, 3)} ms`,
    pass: gapOver === null ? null : gapOver <= 1,
  });
  const open = results.openStreams.gateway;
  targets.push({
    name: `Memory per open stream (${open?.requested ?? 1000} streams)`,
    goal: '≤ 64 KB, every stream streaming',
    measured: open
      ? `${f(open.perStreamKb, 1)} KB, ${open.streaming}/${open.requested} streaming`
      : 'not run',
    pass: open ? open.perStreamKb <= 64 && open.streaming === open.requested : null,
  });
  targets.push({
    name: 'Gateway peak RSS over the run',
    goal: '≤ 150 MB',
    measured: `${f(results.gatewayPeakRssMb, 1)} MB`,
    pass: results.gatewayPeakRssMb > 0 ? results.gatewayPeakRssMb <= 150 : null,
  });
  const soak = results.soak;
  targets.push({
    name: 'Soak: RSS flat after warm-up',
    goal: 'growth ≤ max(4 MB, 5 %)',
    measured: soak
      ? `${signed(soak.growthMb, 1)} MB over ${soak.seconds - soak.warmupSec} s (${signed(soak.slopeMbPerMin, 2)} MB/min)`
      : 'skipped',
    pass: soak ? soak.flat : null,
  });
  return targets;
}

function targetsTable(targets: readonly Target[]): string {
  const rows = ['| target | goal | measured | result |', '|---|---|---|---|'];
  for (const t of targets) {
    rows.push(
      `| ${t.name} | ${t.goal} | ${t.measured} | ${t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL'} |`,
    );
  }
  return rows.join('\n');
}

export function renderMarkdown(results: Results): string {
  const parts = [
    `## tokgate benchmark (${String(results.meta.date)})`,
    '',
    describeMachine(results.meta),
    '',
  ];
  if (results.cells.length)
    parts.push('### Load (autocannon, closed loop)', '', gridTable(results.cells), '');
  if (Object.keys(results.probe).length) {
    parts.push('### Streams at concurrency 1 (TTFT and chunk gaps)', '', probeTable(results.probe), '');
  }
  if (Object.keys(results.openStreams).length) {
    parts.push('### Concurrent open streams (memory)', '', openStreamsTable(results.openStreams), '');
  }
  if (results.soak) {
    const s = results.soak;
    parts.push(
      '### Soak',
      '',
      `${s.seconds} s, mixed small JSON + streams at c${s.connections}: ${f(s.load.rps, 0)} req/s, ${s.load.errors + s.load.non2xx} errors, CPU ${f(s.cpuMsPerRequest * 1000, 0)} µs/req; RSS ${f(s.rssStartMb, 1)} → ${f(s.rssEndMb, 1)} MB after ${s.warmupSec} s warm-up (${signed(s.slopeMbPerMin, 2)} MB/min), peak ${f(s.peakRssMb, 1)} MB.`,
      '',
    );
  }
  parts.push('### Targets', '', targetsTable(results.targets), '');
  return parts.join('\n');
}

function describeMachine(meta: Record<string, unknown>): string {
  return `Machine: ${String(meta.cpus)} × ${String(meta.cpuModel)}, ${String(meta.memoryGb)} GB RAM, Linux ${String(meta.kernel)}, Node ${String(meta.node)}; load generator, fake upstream, bare proxy and gateway share the cores. Store: ${String(meta.store)}. ${String(meta.durationSec)} s per cell after ${String(meta.warmupSec)} s warm-up.`;
}
