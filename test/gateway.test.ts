// Several gateways in one process share nothing: each has its own upstream connection pool, closed by its
// own close(); settings reach each one through its config.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from './fakes/openai.js';
import { readJson, startTestGateway, type TestGateway } from './support/gateway.js';

/** Fails with `message` unless `work` settles within `ms` (instead of hanging the test run). */
function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

const chat = (stream: boolean) => ({
  model: 'openai/gpt-4o',
  messages: [{ role: 'user', content: 'Hi' }],
  stream,
});

describe('two gateways in one process', () => {
  let fake: FakeOpenAI;
  let first: TestGateway;
  let second: TestGateway;
  before(async () => {
    fake = await startFakeOpenAI();
    const env = { OPENAI_API_KEY: 'sk-upstream', OPENAI_BASE_URL: fake.url };
    first = await startTestGateway(env);
    second = await startTestGateway(env);
  });
  after(async () => {
    await first.close();
    await second.close();
    await fake.close();
  });

  test("closing one leaves the other's upstream calls working, also a stream in flight", async () => {
    const [firstKey, secondKey] = [(await first.createKey()).key, (await second.createKey()).key];
    const warm = await first.call('/v1/chat/completions', {
      method: 'POST',
      key: firstKey,
      json: chat(false),
    });
    assert.equal(warm.status, 200);

    // The second gateway's stream holds an upstream connection: two chunks, then silence.
    fake.faults.push({ kind: 'stall-mid-stream', afterChunks: 2 });
    const client = new AbortController();
    const stream = await second.call('/v1/chat/completions', {
      method: 'POST',
      key: secondKey,
      json: chat(true),
      signal: client.signal,
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    let received = '';
    while (!received.includes('"content"')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended early');
      received += new TextDecoder().decode(value);
    }

    await within(first.close(), 5_000, "closing the first gateway waited for the second one's stream");

    const answer = await second.call('/v1/chat/completions', {
      method: 'POST',
      key: secondKey,
      json: chat(false),
    });
    assert.equal(answer.status, 200);
    assert.ok((await readJson(answer)).choices[0].message.content);

    // The stalled stream is still the second gateway's to cancel: the client leaves, the upstream call ends.
    client.abort();
    await reader.cancel().catch(() => undefined);
    const deadline = Date.now() + 5_000;
    while (fake.aborted === 0) {
      assert.ok(Date.now() < deadline, 'the upstream call was not aborted');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

test('TOKGATE_SPOOL_DIR reaches the ledger through the config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokgate-spool-dir-'));
  const spoolDir = join(dir, 'spool');
  // The test gateway's in-memory database has no spool unless a directory is given.
  const gw = await startTestGateway({ TOKGATE_SPOOL_DIR: spoolDir });
  try {
    assert.ok(existsSync(spoolDir));
    // One directory per database instance.
    assert.equal(readdirSync(spoolDir).length, 1);
  } finally {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
