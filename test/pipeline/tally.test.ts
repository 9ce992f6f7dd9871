import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { TallyCounter } from '../../src/pipeline/tally.js';

function counter() {
  const registry = new Registry();
  const tally = new TallyCounter({
    name: 'demo_total',
    help: 'demo',
    labelNames: ['door', 'status'] as const,
    registers: [registry],
  });
  return { registry, tally };
}

describe('TallyCounter', () => {
  test('a scrape shows exactly what was counted, by series, and later counts add to it', async () => {
    const { registry, tally } = counter();
    tally.inc({ door: 'chat', status: '200' });
    tally.inc({ door: 'chat', status: '200' }, 2.5);
    tally.inc({ door: 'messages', status: '400' });
    const first = await registry.metrics();
    assert.match(first, /^demo_total\{door="chat",status="200"\} 3.5$/m);
    assert.match(first, /^demo_total\{door="messages",status="400"\} 1$/m);
    tally.inc({ door: 'chat', status: '200' });
    const second = await registry.metrics();
    assert.match(second, /^demo_total\{door="chat",status="200"\} 4.5$/m);
    assert.match(second, /^demo_total\{door="messages",status="400"\} 1$/m);
  });

  test('a series counted as 0 shows as 0, as prom-client shows it', async () => {
    const { registry, tally } = counter();
    tally.inc({ door: 'chat', status: '200' }, 0);
    assert.match(await registry.metrics(), /^demo_total\{door="chat",status="200"\} 0$/m);
  });

  test('label values that would run together in a joined key stay apart', async () => {
    const { registry, tally } = counter();
    tally.inc({ door: 'ab', status: 'c' });
    tally.inc({ door: 'a', status: 'bc' });
    const text = await registry.metrics();
    assert.match(text, /^demo_total\{door="ab",status="c"\} 1$/m);
    assert.match(text, /^demo_total\{door="a",status="bc"\} 1$/m);
  });

  test('the counter read directly (get) includes what was counted', async () => {
    const { tally } = counter();
    tally.inc({ door: 'chat', status: '200' }, 7);
    const { values } = await tally.counter.get();
    assert.deepEqual(values, [{ value: 7, labels: { door: 'chat', status: '200' } }]);
  });

  test('a counter never goes down', () => {
    const { tally } = counter();
    assert.throws(() => tally.inc({ door: 'chat', status: '200' }, -1), /cannot be increased by -1/);
    assert.throws(() => tally.inc({ door: 'chat', status: '200' }, Number.NaN), /cannot be increased by NaN/);
  });
});
