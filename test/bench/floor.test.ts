// `npm run bench -- --floor`: the floor proxy (Fastify in, undici out, JSON read and written again) gives every
// scenario's client what the fake upstream gives it directly, so its cells measure the same work as the bare
// proxy's; and the report's floor table takes medians over rounds and pairs each round's gateway with its floor.
// No timing is asserted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Forked, forkServer, killAll } from '../../bench/children.js';
import { type Cell, floorTable, type TargetName } from '../../bench/report.js';
import { requestFor, SCENARIOS, type ScenarioName, streamEnd } from '../../bench/scenarios.js';
import { benchCell } from './cell-fixture.js';

describe('bench floor proxy', () => {
  let fake: Forked;
  let floor: Forked;

  before(async () => {
    fake = await forkServer('./fake-upstream.ts', {});
    floor = await forkServer('./floor-proxy.ts', { UPSTREAM_PORT: String(fake.port) });
  });
  after(() => killAll());

  const send = (port: number, scenario: ScenarioName) => {
    const request = requestFor(SCENARIOS[scenario], false);
    return fetch(`http://127.0.0.1:${port}${request.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...request.headers },
      body: request.body,
    });
  };

  for (const scenario of Object.keys(SCENARIOS) as ScenarioName[]) {
    test(`${scenario}: the floor's answer is the upstream's`, async () => {
      const [direct, proxied] = await Promise.all([send(fake.port, scenario), send(floor.port, scenario)]);
      assert.equal(direct.status, 200);
      assert.equal(proxied.status, 200);
      if (SCENARIOS[scenario].stream) {
        assert.match(String(proxied.headers.get('content-type')), /^text\/event-stream/);
        const text = await proxied.text();
        assert.equal(text, await direct.text());
        assert.ok(text.includes(streamEnd(requestFor(SCENARIOS[scenario], false))));
      } else {
        assert.deepEqual(await proxied.json(), await direct.json());
      }
    });
  }
});

describe('bench report: the floor table', () => {
  const cell = (target: TargetName, round: number, cpu: number, bare: number): Cell =>
    benchCell(
      { scenario: 'small', connections: 16, target, round },
      { cpuUsPerRequest: cpu, cpuVsBare: target === 'bare' ? null : cpu / bare },
    );

  test('is absent without floor cells', () => {
    assert.equal(floorTable([cell('bare', 1, 100, 100), cell('gateway', 1, 200, 100)]), null);
  });

  test('gives medians over rounds and each round’s gateway ÷ floor', () => {
    const rounds: Array<[number, number, number]> = [
      [100, 120, 240],
      [80, 100, 150],
      [200, 260, 390],
    ];
    const cells = rounds.flatMap(([bare, floor, gateway], i) => [
      cell('bare', i + 1, bare, bare),
      cell('floor', i + 1, floor, bare),
      cell('gateway', i + 1, gateway, bare),
    ]);
    const row = floorTable(cells)!.split('\n')[2]!;
    const columns = row.split('|').map((c) => c.trim());
    // Bare median 100; floor median 120 (× bare: 1.2, 1.25, 1.3 → 1.25); gateway median 240 (2.4, 1.875,
    // 1.95 → 1.95); gateway ÷ floor by round: 2.00, 1.50, 1.50 → 1.50.
    assert.deepEqual(columns.slice(1, 8), [
      'small JSON',
      '16',
      '3',
      '100',
      '120 (1.25×)',
      '240 (1.95×)',
      '**1.50×** (2.00, 1.50, 1.50)',
    ]);
  });
});
