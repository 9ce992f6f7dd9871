// `tokgate serve` as a user runs it: a real process, embedded defaults, a generated admin key shown once.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Store } from '../../src/store/store.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;
let fake: FakeOpenAI;
const dataDir = mkdtempSync(join(tmpdir(), 'tokgate-cli-'));

before(async () => {
  fake = await startFakeOpenAI();
});
after(() => fake.close());

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function serve(
  port: number,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, 'serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      NODE_OPTIONS: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 20_000;
  while (!output.includes('tokgate listening')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`gateway did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => output };
}

test('first start prints a generated admin key once; it works; SIGTERM exits cleanly with the ledger written', async () => {
  const port = await freePort();
  const first = await serve(port);
  const adminKey = /sk-tg-admin-[A-Za-z0-9]{40}/.exec(first.output())?.[0];
  assert.ok(adminKey, first.output());

  const base = `http://127.0.0.1:${port}`;
  const created = await fetch(`${base}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'cli' }),
  });
  assert.equal(created.status, 201);
  const { key } = (await created.json()) as { key: string };
  const answer = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(answer.status, 200);
  assert.ok(!first.output().includes(key), 'keys are never logged');

  first.child.kill('SIGTERM');
  const [code] = await once(first.child, 'exit');
  assert.equal(code, 0);

  const second = await serve(port);
  assert.ok(!second.output().includes('sk-tg-admin-'), 'the admin key is shown only on first start');
  const requests = await fetch(`${base}/admin/requests`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  assert.equal(requests.status, 200);
  const rows = (await requests.json()) as { data: Array<{ status: string; model: string }> };
  assert.equal(rows.data.length, 1, 'the request answered before SIGTERM is in the ledger');
  assert.equal(rows.data[0]?.model, 'openai/gpt-4o');
  second.child.kill('SIGTERM');
  assert.equal((await once(second.child, 'exit'))[0], 0);
});

test('SIGTERM under load: in-flight requests finish, and every answered request is in the ledger', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tokgate-sigterm-'));
  const databaseUrl = `sqlite:${join(dir, 'tokgate.db')}`;
  const adminKey = 'sk-admin-for-sigterm-0123456789abcdef';
  const gateway = await serve(port, {
    DATABASE_URL: databaseUrl,
    TOKGATE_ADMIN_KEY: adminKey,
  });
  const base = `http://127.0.0.1:${port}`;
  fake.options = { chunkDelayMs: 15 };
  const send = async (i: number) => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: `n${i}` }],
        stream: i % 2 === 0,
      }),
    });
    const text = await res.text();
    // A complete answer: a JSON body, or a stream that ended with [DONE].
    return res.status === 200 && (i % 2 === 1 || text.endsWith('data: [DONE]\n\n'));
  };
  const inFlight = Array.from({ length: 40 }, (_, i) => send(i).catch(() => false));
  while (fake.requests.length < 40) await new Promise((r) => setTimeout(r, 10));
  gateway.child.kill('SIGTERM');
  const answered = (await Promise.all(inFlight)).filter(Boolean).length;
  const [code] = await once(gateway.child, 'exit');
  fake.options = {};
  assert.equal(code, 0, gateway.output());
  assert.equal(answered, 40, 'requests in flight at SIGTERM are finished, not cut');

  const store = await Store.open(databaseUrl);
  try {
    const rows = await store.listRequests({ limit: 1000 });
    assert.equal(rows.filter((r) => r.status === 'ok').length, answered);
  } finally {
    await store.close();
  }
});

test('an unknown LOG_LEVEL stops the start with a message naming the variable and the allowed levels', async () => {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, 'serve'], {
    cwd: dataDir,
    env: { PATH: process.env.PATH, NODE_OPTIONS: '', LOG_LEVEL: 'verbose', DATABASE_URL: 'sqlite::memory:' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // 'close': the exit code and every byte of stderr.
  const [code] = await once(child, 'close');
  assert.equal(code, 78);
  assert.equal(
    stderr,
    "tokgate: LOG_LEVEL: 'verbose' is not a log level; use one of fatal, error, warn, info, debug, trace, silent\n",
  );
});
