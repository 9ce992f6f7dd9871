// SIGTERM with retries in flight, as a user runs the gateway (a real `tokgate serve` process): requests that
// are between attempts (backing off, honouring a Retry-After) or falling back are finished, not cut, the
// process exits 0, and the ledger on disk holds every request with all its attempts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { Store } from '../../src/store/store.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { closedPort, parseSse } from './support.js';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;
let a: FakeOpenAI;
let b: FakeOpenAI;
const dir = mkdtempSync(join(tmpdir(), 'tokgate-shutdown-'));

before(async () => {
  a = await startFakeOpenAI();
  b = await startFakeOpenAI();
});
after(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

test('SIGTERM while requests are retrying: they finish, the ledger keeps every attempt, exit 0', async () => {
  const port = await closedPort();
  const config = join(dir, 'tokgate.yaml');
  writeFileSync(
    config,
    stringify({
      providers: { a: { base_url: a.url, api_key: 'sk-a' }, b: { base_url: b.url, api_key: 'sk-b' } },
      routes: { solo: { deployments: ['a/m'], max_attempts: 3 }, pair: ['a/n', 'b/n'] },
      routing: { backoff_base_ms: 10, timeouts: { first_token_ms: 500 }, keepalive_ms: 0 },
    }),
  );
  const databaseUrl = `sqlite:${join(dir, 'tokgate.db')}`;
  const adminKey = 'sk-admin-for-shutdown-0123456789abcdef';
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      TOKGATE_ADMIN_KEY: adminKey,
      TOKGATE_CONFIG: config,
      NODE_OPTIONS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 20_000;
  while (!output.includes('tokgate listening')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`gateway did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  const send = async (model: string, stream: boolean) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }], stream }),
    });
    const text = await res.text();
    return {
      status: res.status,
      id: res.headers.get('x-request-id')!,
      complete: !stream || parseSse(text).done,
    };
  };
  // Two requests waiting out a 1 s Retry-After, one falling back after a first-token timeout.
  a.faults.push(
    { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
  );
  const retrying = [send('solo', false), send('solo', true)];
  while (a.requests.length < 2) await new Promise((r) => setTimeout(r, 10));
  a.faults.push({ kind: 'hang' });
  const fallingBack = send('pair', true);
  while (a.requests.length < 3) await new Promise((r) => setTimeout(r, 10));

  child.kill('SIGTERM');
  const results = await Promise.all([...retrying, fallingBack]);
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output);
  for (const result of results) {
    assert.equal(result.status, 200);
    assert.ok(result.complete, 'finished, not cut');
  }

  const store = await Store.open(databaseUrl);
  try {
    for (const [i, result] of results.entries()) {
      const row = await store.getRequest(result.id);
      assert.equal(row?.status, 'ok');
      const attempts = JSON.parse(row.attempts ?? '[]') as Array<{ provider: string; status: number }>;
      assert.deepEqual(
        attempts.map((x) => [x.provider, x.status]),
        i < 2
          ? [
              ['a', 429],
              ['a', 200],
            ]
          : [
              ['a', 504],
              ['b', 200],
            ],
      );
    }
  } finally {
    await store.close();
  }
});
