// The bench's results: their shape (also the JSON written to bench/results/), the markdown tables, and the
// issue's targets with PASS/FAIL.
import type { OpenStreamsResult } from './open-streams.js';
import { CHAT_COUNTERPART, SCENARIOS, type ScenarioName } from './scenarios.js';
import type { SoakResult } from './soak.js';
import { median, type Percentiles } from './stats.js';
import type { ProbeResult } from './stream-probe.js';

/** `portkey`: the peer gateway of `--peer=portkey`, loaded in the chat completions cells. */
export type TargetName = 'direct' | 'bare' | 'floor' | 'gateway' | 'portkey';

export interface Cell {
  scenario: ScenarioName;
  connections: number;
  target: TargetName;
  /** Which pass over the grid (`--rounds`), from 1. */
  round: number;
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
  /** The kernel's part of `cpuUsPerRequest` (system time), µs. */
  systemUsPerRequest: number;
  /** Read and write system calls of the server per response (`/proc/<pid>/io`); null where unreadable. */
  readCallsPerRequest: number | null;
  writeCallsPerRequest: number | null;
  /** CPU of the fake upstream per response, µs (the same work behind every target). */
  upstreamCpuUsPerRequest: number;
  /** Gateway (or the peer) over bare proxy. */
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

function gridTable(cells: readonly Cell[]): string {
  const rounds = cells.some((c) => c.round > 1);
  const rows = [
    `| scenario | conc. |${rounds ? ' round |' : ''} target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | CPU µs/req | CPU × bare | req/s vs bare | peak RSS MB | errors |`,
    `|---|---:|${rounds ? '---:|' : ''}---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const c of cells) {
    rows.push(
      `| ${SCENARIOS[c.scenario].label} | ${c.connections} |${rounds ? ` ${c.round} |` : ''} ${c.target} | ${f(c.rps, 0)} | ${f(c.latency.p50)} | ${f(c.latency.p99)} | ${signed(c.addedP50Ms)} | ${signed(c.addedP99Ms)} | ${f(c.cpuUsPerRequest, 0)} | ${times(c.cpuVsBare)} | ${pct(c.rpsVsBare)} | ${f(c.peakRssMb, 0)} | ${c.errors + c.non2xx} |`,
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

/** The gateway cells of one scenario and concurrency, one per round, in round order. */
function gatewayCells(cells: readonly Cell[], scenario: ScenarioName, connections: number): Cell[] {
  return cells.filter(
    (c) => c.scenario === scenario && c.connections === connections && c.target === 'gateway',
  );
}

/** The median over rounds of a figure (null when no round has it). */
function medianOf(cells: readonly Cell[], pick: (cell: Cell) => number | null): number | null {
  const values = cells.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
  return values.length ? median(values) : null;
}

/** One scenario of /v1/messages against its chat completions counterpart, gateway cells of the same round. */
interface DoorComparison {
  scenario: ScenarioName;
  counterpart: ScenarioName;
  connections: number;
  rounds: Array<{ round: number; chat: Cell; messages: Cell; ratio: number }>;
  /** Median over rounds of messages ÷ chat, CPU per request. */
  ratio: number;
}

function doorComparisons(cells: readonly Cell[]): DoorComparison[] {
  const out: DoorComparison[] = [];
  const connections = [...new Set(cells.map((c) => c.connections))];
  for (const [scenario, counterpart] of Object.entries(CHAT_COUNTERPART) as Array<
    [ScenarioName, ScenarioName]
  >) {
    for (const n of connections) {
      const chat = gatewayCells(cells, counterpart, n);
      const rounds = gatewayCells(cells, scenario, n).flatMap((messages) => {
        const same = chat.find((c) => c.round === messages.round);
        return same
          ? [
              {
                round: messages.round,
                chat: same,
                messages,
                ratio: messages.cpuUsPerRequest / same.cpuUsPerRequest,
              },
            ]
          : [];
      });
      if (rounds.length) {
        out.push({
          scenario,
          counterpart,
          connections: n,
          rounds,
          ratio: median(rounds.map((r) => r.ratio)),
        });
      }
    }
  }
  return out;
}

/** tokgate against the peer gateway, cell by cell: the same scenario, concurrency and round. */
function peerTable(cells: readonly Cell[]): string | null {
  const peers = cells.filter((c) => c.target === 'portkey');
  if (!peers.length) return null;
  const rounds = cells.some((c) => c.round > 1);
  const rows = [
    `| scenario | conc. |${rounds ? ' round |' : ''} bare CPU µs/req | tokgate CPU µs/req (× bare) | Portkey CPU µs/req (× bare) | Portkey ÷ tokgate, CPU/req | tokgate req/s | Portkey req/s | tokgate p50 ms | Portkey p50 ms | tokgate peak RSS MB | Portkey peak RSS MB |`,
    `|---|---:|${rounds ? '---:|' : ''}---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  const same = (peer: Cell, target: TargetName) =>
    cells.find(
      (c) =>
        c.target === target &&
        c.scenario === peer.scenario &&
        c.connections === peer.connections &&
        c.round === peer.round,
    );
  for (const peer of peers) {
    const gateway = same(peer, 'gateway');
    const bare = same(peer, 'bare');
    if (!gateway) continue;
    rows.push(
      `| ${SCENARIOS[peer.scenario].label} | ${peer.connections} |${rounds ? ` ${peer.round} |` : ''} ${f(bare?.cpuUsPerRequest, 0)} | ${f(gateway.cpuUsPerRequest, 0)} (${times(gateway.cpuVsBare)}) | ${f(peer.cpuUsPerRequest, 0)} (${times(peer.cpuVsBare)}) | **${times(peer.cpuUsPerRequest / gateway.cpuUsPerRequest)}** | ${f(gateway.rps, 0)} | ${f(peer.rps, 0)} | ${f(gateway.latency.p50)} | ${f(peer.latency.p50)} | ${f(gateway.peakRssMb, 0)} | ${f(peer.peakRssMb, 0)} |`,
    );
  }
  return rows.join('\n');
}

/**
 * The stack's floor against the gateway, per scenario and concurrency, medians over rounds: what the bare
 * proxy, the floor proxy (Fastify + undici, JSON read and written again) and the gateway cost per request,
 * and each round's gateway ÷ floor.
 */
export function floorTable(cells: readonly Cell[]): string | null {
  const floors = cells.filter((c) => c.target === 'floor');
  if (!floors.length) return null;
  const rows = [
    '| scenario | conc. | rounds | bare CPU µs/req | floor CPU µs/req (× bare) | tokgate CPU µs/req (× bare) | tokgate ÷ floor, CPU/req (rounds) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const seen = new Set<string>();
  for (const first of floors) {
    const key = `${first.scenario} ${first.connections}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const of = (target: TargetName) =>
      cells.filter(
        (c) => c.target === target && c.scenario === first.scenario && c.connections === first.connections,
      );
    const floor = of('floor');
    const gateway = of('gateway');
    const ratios = floor.flatMap((fl) => {
      const g = gateway.find((c) => c.round === fl.round);
      return g ? [g.cpuUsPerRequest / fl.cpuUsPerRequest] : [];
    });
    const cpu = (list: Cell[]) => medianOf(list, (c) => c.cpuUsPerRequest);
    const bare = medianOf(of('bare'), (c) => c.cpuUsPerRequest);
    rows.push(
      `| ${SCENARIOS[first.scenario].label} | ${first.connections} | ${floor.length} | ${f(bare, 0)} | ${f(cpu(floor), 0)} (${times(medianOf(floor, (c) => c.cpuVsBare))}) | ${f(cpu(gateway), 0)} (${times(medianOf(gateway, (c) => c.cpuVsBare))}) | **${times(ratios.length ? median(ratios) : null)}** (${ratios.map((r) => r.toFixed(2)).join(', ')}) |`,
    );
  }
  return rows.join('\n');
}

/** The issue's bound for a door passed through (Messages, Responses): CPU per request within 10 % of chat completions'. */
const PASS_THROUGH_BOUND = 1.1;

function doorTable(comparisons: readonly DoorComparison[]): string {
  const rows = [
    '| door scenario | conc. | round | chat completions (OpenAI) gateway CPU µs/req (× bare) | door gateway CPU µs/req (× bare) | door ÷ chat, CPU/req |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  const cpu = (c: Cell) => `${f(c.cpuUsPerRequest, 0)} (${times(c.cpuVsBare)})`;
  for (const d of comparisons) {
    const label = SCENARIOS[d.scenario].label;
    for (const r of d.rounds) {
      rows.push(
        `| ${label} | ${d.connections} | ${r.round} | ${cpu(r.chat)} | ${cpu(r.messages)} | ${times(r.ratio)} |`,
      );
    }
    if (d.rounds.length > 1) {
      const chatCpu = medianOf(
        d.rounds.map((r) => r.chat),
        (c) => c.cpuUsPerRequest,
      );
      const chatBare = medianOf(
        d.rounds.map((r) => r.chat),
        (c) => c.cpuVsBare,
      );
      const msgCpu = medianOf(
        d.rounds.map((r) => r.messages),
        (c) => c.cpuUsPerRequest,
      );
      const msgBare = medianOf(
        d.rounds.map((r) => r.messages),
        (c) => c.cpuVsBare,
      );
      rows.push(
        `| ${label} | ${d.connections} | **median** | ${f(chatCpu, 0)} (${times(chatBare)}) | ${f(msgCpu, 0)} (${times(msgBare)}) | **${times(d.ratio)}** |`,
      );
    }
  }
  return rows.join('\n');
}

/** A soak shorter than this does not answer issue 19's "no growth over a 300 s soak". */
export const SOAK_GOAL_SEC = 300;

/**
 * The figures the gateway is held to (issue 19's, wave 2, and issue 16's retrieval cells), each PASS or FAIL
 * from this run's cells: CPU per request against the bare proxy, latency over direct, TTFT and chunk gaps
 * over the bare proxy, memory, the soak. A figure whose cells did not run is `n/a`.
 */
export function evaluateTargets(results: Omit<Results, 'targets'>): Target[] {
  const targets: Target[] = [];
  const rounds = (cells: readonly Cell[]) => (cells.length > 1 ? `, median of ${cells.length} rounds` : '');
  /** The gateway's CPU per request ≤ `bound` × the bare proxy's, median over rounds. */
  const cpuTarget = (scenario: ScenarioName, connections: number, bound: number) => {
    const cells = gatewayCells(results.cells, scenario, connections);
    const ratio = medianOf(cells, (c) => c.cpuVsBare);
    targets.push({
      name: `CPU per request, ${SCENARIOS[scenario].label}, c${connections}`,
      goal: `≤ ${bound.toFixed(2)}× bare proxy`,
      measured: cells.length ? `${times(ratio)}${rounds(cells)}` : 'not run',
      pass: ratio !== null ? ratio <= bound : null,
    });
  };
  cpuTarget('small', 16, 1.45);
  const small16 = gatewayCells(results.cells, 'small', 16);
  const rps16 = medianOf(small16, (c) => c.rpsVsBare);
  targets.push({
    name: 'Throughput, small JSON, c16',
    goal: '≥ 70 % of bare proxy',
    measured: small16.length ? `${pct(rps16)}${rounds(small16)}` : 'not run',
    pass: rps16 !== null ? rps16 >= 0.7 : null,
  });
  const small1 = gatewayCells(results.cells, 'small', 1);
  const added50 = medianOf(small1, (c) => c.addedP50Ms);
  const added99 = medianOf(small1, (c) => c.addedP99Ms);
  targets.push({
    name: 'Added latency p50, small JSON, c1',
    goal: '≤ 0.3 ms over direct',
    measured: small1.length ? `${signed(added50, 3)} ms${rounds(small1)}` : 'not run',
    pass: added50 !== null ? added50 <= 0.3 : null,
  });
  targets.push({
    name: 'Added latency p99, small JSON, c1',
    goal: '≤ 1.5 ms over direct',
    measured: small1.length ? `${signed(added99, 3)} ms${rounds(small1)}` : 'not run',
    pass: added99 !== null ? added99 <= 1.5 : null,
  });
  cpuTarget('stream200', 16, 2.0);
  for (const scenario of ['embed16', 'embed16f', 'rerank16'] as const) {
    if (gatewayCells(results.cells, scenario, 16).length) cpuTarget(scenario, 16, 1.5);
  }
  for (const d of doorComparisons(results.cells)) {
    if (SCENARIOS[d.scenario].upstream) continue; // translated: reported, no target
    const low = Math.min(...d.rounds.map((r) => r.ratio));
    const high = Math.max(...d.rounds.map((r) => r.ratio));
    targets.push({
      name: `${SCENARIOS[d.scenario].label}: CPU per request vs chat completions (OpenAI), ${SCENARIOS[d.counterpart].label}, c${d.connections}`,
      goal: `≤ ${PASS_THROUGH_BOUND.toFixed(2)}× chat completions' (same run)`,
      measured:
        d.rounds.length > 1
          ? `${times(d.ratio)}, median of ${d.rounds.length} rounds (${times(low)} … ${times(high)})`
          : times(d.ratio),
      pass: d.ratio <= PASS_THROUGH_BOUND,
    });
  }
  const { bare, gateway } = results.probe;
  const ttftOver = bare && gateway ? gateway.ttft.p50 - bare.ttft.p50 : null;
  targets.push({
    name: 'TTFT overhead p50 (c1)',
    goal: '≤ 0.5 ms over bare proxy',
    measured: ttftOver === null ? 'not run' : `${signed(ttftOver, 3)} ms`,
    pass: ttftOver === null ? null : ttftOver <= 0.5,
  });
  const gapOver = bare && gateway ? gateway.gap.p99 - bare.gap.p99 : null;
  targets.push({
    name: 'No per-chunk delay (chunk gap p99 vs bare)',
    goal: '≤ 0.5 ms over bare proxy',
    measured: gapOver === null ? 'not run' : `${signed(gapOver, 3)} ms`,
    pass: gapOver === null ? null : gapOver <= 0.5,
  });
  const open = results.openStreams.gateway;
  const openBare = results.openStreams.bare;
  targets.push({
    name: `Memory per open stream (${open?.requested ?? 1000} streams)`,
    goal: '≤ 40 KB, every stream streaming',
    measured: open
      ? `${f(open.perStreamKb, 1)} KB, ${open.streaming}/${open.requested} streaming${openBare ? ` (bare proxy: ${f(openBare.perStreamKb, 1)} KB)` : ''}`
      : 'not run',
    pass: open ? open.perStreamKb <= 40 && open.streaming === open.requested : null,
  });
  targets.push({
    name: 'Gateway peak RSS over the run',
    goal: '≤ 150 MB',
    measured: `${f(results.gatewayPeakRssMb, 1)} MB`,
    pass: results.gatewayPeakRssMb > 0 ? results.gatewayPeakRssMb <= 150 : null,
  });
  const soak = results.soak;
  const soakLongEnough = soak !== null && soak.seconds >= SOAK_GOAL_SEC;
  targets.push({
    name: 'Soak: RSS flat after warm-up',
    goal: `growth ≤ max(4 MB, 5 %) over a ${SOAK_GOAL_SEC} s soak`,
    measured: soak
      ? `${signed(soak.growthMb, 1)} MB over ${soak.seconds - soak.warmupSec} s (${signed(soak.slopeMbPerMin, 2)} MB/min)${soakLongEnough ? '' : `; a ${soak.seconds} s soak (--soak=${SOAK_GOAL_SEC} for the goal)`}`
      : 'skipped',
    pass: soakLongEnough ? soak.flat : null,
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
  const doors = doorComparisons(results.cells);
  if (doors.length) {
    parts.push(
      '### /v1/messages and /v1/responses against chat completions (gateway CPU per request, same round)',
      '',
      "Pass-through: the client's body upstream as sent and the upstream's events relayed (an Anthropic model " +
        "against the fake's Messages API, an OpenAI model against its Responses API). → OpenAI: translated to " +
        "and from chat completions against the fake's " +
        'OpenAI API. Each is set against the chat completions cell of the same size in the same round; ' +
        "× bare is each scenario's own bare proxy forwarding what its upstream gets.",
      '',
      doorTable(doors),
      '',
    );
  }
  /** A section of the report: its heading, what it shows, its table; nothing when there is no table. */
  const section = (heading: string, text: string, table: string | null) => {
    if (table) parts.push(`### ${heading}`, '', text, '', table, '');
  };
  section(
    "The stack's floor (`--floor`)",
    'The floor proxy is Fastify in and undici out with the JSON read and written again (the request, and a ' +
      "whole answer; a stream's bytes relayed), and nothing else. Floor × bare is what that stack costs; " +
      "tokgate ÷ floor is what the gateway's own work costs (keys, limits, credit, routing, metering, the " +
      'ledger, metrics, logs) where answers are small; a whole embeddings answer costs the floor far more than ' +
      'tokgate, which does not parse the vectors. Ratios are medians of the rounds.',
    floorTable(results.cells),
  );
  section(
    'tokgate against Portkey (same run, same fake upstream)',
    "Portkey's gateway (`@portkey-ai/gateway`, its Node server) forwards to the fake as an OpenAI custom host " +
      'and is sent what the bare proxy is sent; tokgate authenticates, rate-limits, reserves credit and ' +
      'meters every request. Portkey ÷ tokgate above 1 means tokgate used that many times less CPU per request.',
    peerTable(results.cells),
  );
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
