// `npm run bench -- --peer=portkey`: Portkey's gateway (the pinned dev dependency) started as the bench starts
// it, on the bench's fake upstream, answers the chat completions cells (a JSON answer, and a 200-chunk stream,
// which needs bench/portkey-preload.mjs on this checkout) and a short load of each gives the numbers the
// report's rows are made of. No timing is asserted: only that the rows have non-zero, consistent figures.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Forked, forkServer, killAll } from '../../bench/children.js';
import { runLoad } from '../../bench/load.js';
import { type PeerProcess, peerRuns, startPortkey } from '../../bench/peer.js';
import { cpuSeconds, RssSampler } from '../../bench/proc-stats.js';
import { requestFor, SCENARIOS } from '../../bench/scenarios.js';

describe('bench peer: Portkey on the fake upstream', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tokgate-peer-test-'));
  let fake: Forked;
  let portkey: PeerProcess;

  before(async () => {
    fake = await forkServer('./fake-upstream.ts', {});
    portkey = await startPortkey(tmp, fake.port);
  });
  after(() => {
    killAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('is loaded in the chat completions cells only', () => {
    assert.deepEqual(
      Object.keys(SCENARIOS).filter((name) => peerRuns(name as keyof typeof SCENARIOS)),
      ['small', 'prompt32k', 'stream200'],
    );
  });

  test('answers a JSON chat completion and a whole 200-chunk stream', async () => {
    const send = (scenario: 'small' | 'stream200') =>
      fetch(`${portkey.origin}${SCENARIOS[scenario].path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...portkey.headers },
        body: requestFor(SCENARIOS[scenario], false).body,
      });
    const json = await send('small');
    assert.equal(json.status, 200);
    const answer = (await json.json()) as { object: string; choices: unknown[] };
    assert.equal(answer.object, 'chat.completion');
    assert.equal(answer.choices.length, 1);

    const stream = await send('stream200');
    assert.equal(stream.status, 200);
    const text = await stream.text();
    const events = text.trimEnd().split('\n\n');
    assert.equal(events.at(-1), 'data: [DONE]');
    // The role chunk, 200 content chunks, the finish chunk and the usage chunk, then [DONE].
    assert.equal(events.filter((e) => e.includes('"chat.completion.chunk"')).length, 203);
  });

  for (const scenario of ['small', 'stream200'] as const) {
    test(`a short load of ${scenario} gives a row of non-zero figures`, async () => {
      const cpuBefore = cpuSeconds(portkey.pid);
      const sampler = new RssSampler(portkey.pid);
      const load = await runLoad({
        url: `${portkey.origin}${SCENARIOS[scenario].path}`,
        connections: 2,
        durationSec: 1,
        headers: portkey.headers,
        body: requestFor(SCENARIOS[scenario], false).body,
      });
      const peak = sampler.stop();
      assert.equal(load.errors + load.non2xx, 0);
      assert.ok(load.ok > 0 && load.ok === load.responses, `${load.ok} of ${load.responses} answered 200`);
      assert.ok(load.rps > 0);
      assert.ok(load.latency.p50 > 0 && load.latency.p99 >= load.latency.p50);
      assert.ok(cpuSeconds(portkey.pid) - cpuBefore > 0, 'the peer process used CPU');
      assert.ok(peak > 20 * 1024 * 1024, `peak RSS ${peak} bytes`);
    });
  }
});
