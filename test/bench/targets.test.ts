// The bench's target table holds the gateway to issue 19's figures and issue 16's retrieval cells: each
// figure passes at its bound and fails just past it, takes the median over rounds, and says `n/a` when its
// cells did not run (a short soak does not answer the 300 s goal). No timing is asserted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Cell, evaluateTargets, type Results, type Target } from '../../bench/report.js';
import type { ScenarioName } from '../../bench/scenarios.js';
import { benchCell } from './cell-fixture.js';

const percentiles = { count: 1000, mean: 1, p50: 1, p90: 1, p99: 1, max: 1 };

/** A gateway cell with the figures a target reads; the rest neutral and passing. */
const cell = (scenario: ScenarioName, connections: number, round: number, figures: Partial<Cell>) =>
  benchCell(
    { scenario, connections, target: 'gateway', round },
    { addedP50Ms: 0.2, addedP99Ms: 1, rpsVsBare: 0.8, cpuVsBare: 1.2, ...figures },
  );

const run = (cells: Cell[], rest: Partial<Omit<Results, 'targets'>> = {}): Omit<Results, 'targets'> => ({
  meta: {},
  cells,
  probe: {},
  openStreams: {},
  soak: null,
  gatewayPeakRssMb: 140,
  ...rest,
});

function find(targets: readonly Target[], name: string): Target {
  const target = targets.find((t) => t.name === name);
  assert.ok(target, `no target named '${name}' in ${targets.map((t) => t.name).join('; ')}`);
  return target;
}

describe('bench targets', () => {
  test('CPU per request: small JSON ≤ 1.45×, the 200-chunk stream ≤ 2.0×, retrieval ≤ 1.5× bare at c16', () => {
    const targets = evaluateTargets(
      run([
        cell('small', 16, 1, { cpuVsBare: 1.45 }),
        cell('stream200', 16, 1, { cpuVsBare: 2.01 }),
        cell('embed16', 16, 1, { cpuVsBare: 1.5 }),
        cell('rerank16', 16, 1, { cpuVsBare: 1.51 }),
      ]),
    );
    assert.equal(find(targets, 'CPU per request, small JSON, c16').pass, true);
    assert.equal(find(targets, 'CPU per request, stream 200 chunks, c16').pass, false);
    const embeddings = targets.find((t) => t.name.startsWith('CPU per request, embeddings') && t.pass);
    assert.equal(embeddings?.goal, '≤ 1.50× bare proxy');
    const rerank = targets.find((t) => t.name.startsWith('CPU per request, rerank'));
    assert.equal(rerank?.pass, false);
    // A retrieval cell that did not run is left out; the chat figures say so.
    assert.equal(
      targets.some((t) => t.name.includes('float')),
      false,
    );
    const none = evaluateTargets(run([]));
    assert.equal(find(none, 'CPU per request, small JSON, c16').pass, null);
    assert.equal(find(none, 'CPU per request, stream 200 chunks, c16').measured, 'not run');
  });

  test('the median over rounds decides', () => {
    const targets = evaluateTargets(
      run([
        cell('small', 16, 1, { cpuVsBare: 2.9 }),
        cell('small', 16, 2, { cpuVsBare: 1.4 }),
        cell('small', 16, 3, { cpuVsBare: 1.44 }),
      ]),
    );
    const small = find(targets, 'CPU per request, small JSON, c16');
    assert.equal(small.pass, true);
    assert.equal(small.measured, '1.44×, median of 3 rounds');
  });

  test('latency at c1: p50 ≤ +0.30 ms and p99 ≤ +1.5 ms over direct', () => {
    const at = (addedP50Ms: number, addedP99Ms: number) =>
      evaluateTargets(run([cell('small', 1, 1, { addedP50Ms, addedP99Ms })]));
    const pass = at(0.3, 1.5);
    assert.equal(find(pass, 'Added latency p50, small JSON, c1').pass, true);
    assert.equal(find(pass, 'Added latency p99, small JSON, c1').pass, true);
    const fail = at(0.31, 1.6);
    assert.equal(find(fail, 'Added latency p50, small JSON, c1').pass, false);
    assert.equal(find(fail, 'Added latency p99, small JSON, c1').pass, false);
  });

  test('streams: TTFT and chunk gaps within +0.5 ms of the bare proxy, ≤ 40 KB per open stream', () => {
    const probe = (ttft: number, gap: number) => ({
      streams: 200,
      failures: 0,
      ttft: { ...percentiles, p50: ttft },
      gap: { ...percentiles, p99: gap },
      total: percentiles,
    });
    const open = (perStreamKb: number, streaming: number) => ({
      requested: 1000,
      streaming,
      failed: 0,
      secondsToOpen: 1,
      rssBeforeMb: 100,
      rssOpenMb: 140,
      peakRssMb: 150,
      perStreamKb,
    });
    const within = evaluateTargets(
      run([], {
        probe: { bare: probe(5, 6), gateway: probe(5.5, 6.5) },
        openStreams: { gateway: open(40, 1000), bare: open(52, 1000) },
      }),
    );
    assert.equal(find(within, 'TTFT overhead p50 (c1)').pass, true);
    assert.equal(find(within, 'No per-chunk delay (chunk gap p99 vs bare)').pass, true);
    const memory = find(within, 'Memory per open stream (1000 streams)');
    assert.equal(memory.pass, true);
    assert.match(memory.measured, /bare proxy: 52\.0 KB/);
    const past = evaluateTargets(
      run([], {
        probe: { bare: probe(5, 6), gateway: probe(5.6, 6.6) },
        openStreams: { gateway: open(39, 999) },
      }),
    );
    assert.equal(find(past, 'TTFT overhead p50 (c1)').pass, false);
    assert.equal(find(past, 'No per-chunk delay (chunk gap p99 vs bare)').pass, false);
    assert.equal(find(past, 'Memory per open stream (1000 streams)').pass, false);
  });

  test('peak RSS ≤ 150 MB; the soak is judged only when it lasted 300 s', () => {
    const soak = (seconds: number, flat: boolean) => ({
      seconds,
      connections: 16,
      load: {} as never,
      cpuMsPerRequest: 1,
      warmupSec: seconds / 4,
      rssStartMb: 150,
      rssEndMb: 151,
      growthMb: 1,
      slopeMbPerMin: 0.1,
      peakRssMb: 160,
      flat,
      samples: [],
    });
    const long = evaluateTargets(run([], { soak: soak(300, true), gatewayPeakRssMb: 150.1 }));
    assert.equal(find(long, 'Soak: RSS flat after warm-up').pass, true);
    assert.equal(find(long, 'Gateway peak RSS over the run').pass, false);
    assert.equal(
      find(evaluateTargets(run([], { soak: soak(300, false) })), 'Soak: RSS flat after warm-up').pass,
      false,
    );
    const short = find(evaluateTargets(run([], { soak: soak(60, true) })), 'Soak: RSS flat after warm-up');
    assert.equal(short.pass, null);
    assert.match(short.measured, /a 60 s soak \(--soak=300 for the goal\)/);
    assert.equal(find(evaluateTargets(run([])), 'Gateway peak RSS over the run').pass, true);
  });
});
