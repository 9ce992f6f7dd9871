// How long one request can hold the gateway's event loop: the tokenizer's worst inputs (one long run of a
// character, metered keys that make admission count the prompt, an answer without usage that the meter
// counts), each against a fresh gateway in a child process that measures its own event-loop delay
// (perf_hooks.monitorEventLoopDelay, 1 ms resolution), while this process polls its /health every 10 ms.
//
//   node --import tsx bench/event-loop.ts [--timeout=60] [--only=name,...]
//
// A request that takes longer than --timeout seconds is reported as such and its gateway killed.
import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ADMIN_KEY = 'sk-bench-admin-0123456789abcdefghij';
const MODEL = 'openai/gpt-4o';
const KB = 1024;
const MB = 1024 * KB;
const HUGE_ANSWER_PROMPT = 'Answer with a run of y.';

// ---- the gateway child ----

async function serve(upstream: string): Promise<void> {
  const { default: pino } = await import('pino');
  const { loadConfig } = await import('../src/config/config.js');
  const { createGateway } = await import('../src/gateway.js');
  const config = loadConfig({
    DATABASE_URL: 'sqlite::memory:',
    TOKGATE_ADMIN_KEY: ADMIN_KEY,
    TOKGATE_CONFIG: '',
    OPENAI_API_KEY: 'sk-fake',
    OPENAI_BASE_URL: `${upstream}/v1`,
  });
  const gateway = await createGateway(config, { log: pino({ level: 'silent' }) });
  // Encodings loaded first, as on a gateway that has been up for a while. (Earlier builds count on the
  // main thread and have no pool: they warm it there.)
  const pool = (gateway as { tokens?: { pool: { warm(): Promise<void> } } }).tokens?.pool;
  if (pool) await pool.warm();
  else await (await import('../src/accounting/tokenizer.js')).warmTokenizers();
  await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  process.on('message', (message: string) => {
    if (message === 'reset') delay.reset();
    if (message === 'read') process.send!({ maxMs: delay.max / 1e6 });
  });
  process.send!({ port: (gateway.app.server.address() as AddressInfo).port });
}

// ---- the fake upstream: quick answers, with or without usage ----

function startUpstream(): Promise<string> {
  const answer = (content: string, usage: boolean) =>
    JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 1715367049,
      model: 'gpt-4o-2024-08-06',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      ...(usage ? { usage: { prompt_tokens: 14, completion_tokens: 3, total_tokens: 17 } } : {}),
    });
  const short = answer('Hello there, bench.', true);
  const huge = answer('y'.repeat(3 * MB), false);
  // A request whose prompt is exactly HUGE_ANSWER_PROMPT gets the huge answer.
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let head = '';
    req.on('data', (chunk: Buffer) => {
      if (head.length < 4096) head += chunk.toString('latin1');
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(head.includes(HUGE_ANSWER_PROMPT) ? huge : short);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

// ---- the driver ----

interface Scenario {
  name: string;
  key: 'tight' | 'tpm' | 'admin';
  /** HUGE_ANSWER_PROMPT: the upstream answers 3 MB of one run, without usage (the meter counts it). */
  prompt: string;
}

function randomRun(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let seed = 12345;
  const out: string[] = [];
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out.push(alphabet[seed % 64]!);
  }
  return out.join('');
}

const SCENARIOS: Scenario[] = [
  { name: 'small prompt, tpm key (baseline)', key: 'tpm', prompt: 'Say hello.' },
  { name: '160 KB of x, tight balance', key: 'tight', prompt: 'x'.repeat(160 * KB) },
  { name: '160 KB of x, tpm key', key: 'tpm', prompt: 'x'.repeat(160 * KB) },
  { name: '1 MB base64-like run, tpm key', key: 'tpm', prompt: randomRun(MB) },
  { name: '10 MB of x, tight balance', key: 'tight', prompt: 'x'.repeat(10 * MB) },
  { name: '10 MB of x, tpm key', key: 'tpm', prompt: 'x'.repeat(10 * MB) },
  { name: 'answer of 3 MB of y without usage', key: 'admin', prompt: HUGE_ANSWER_PROMPT },
];

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply: T) => resolve(reply));
    if (message) child.send(message);
  });
}

async function runScenario(scenario: Scenario, upstream: string, timeoutMs: number) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', upstream], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { port } = await ask<{ port: number }>(child, '');
    const base = `http://127.0.0.1:${port}`;
    const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) =>
      (await (
        await fetch(base + path, { method: 'POST', headers: admin, body: JSON.stringify(body) })
      ).json()) as {
        id: string;
        key: string;
      };
    let key = ADMIN_KEY;
    if (scenario.key === 'tight') {
      const account = await post('/admin/accounts', { name: 'tight', credits_usd: 0.01 });
      key = (await post('/admin/keys', { name: 'tight', account_id: account.id })).key;
    } else if (scenario.key === 'tpm') {
      key = (await post('/admin/keys', { name: 'tpm', tpm: 10_000_000 })).key;
    }
    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: scenario.prompt }] });
    child.send('reset');

    let healthMax = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const started = performance.now();
        const answered = await fetch(`${base}/health`).then(
          (r) => r.arrayBuffer().then(() => true),
          () => false,
        );
        if (!answered) break;
        healthMax = Math.max(healthMax, performance.now() - started);
        await sleep(10);
      }
    })();
    const started = performance.now();
    const result = await Promise.race([
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
        },
        body,
      }).then(async (r) => ({ status: r.status, text: await r.text() })),
      sleep(timeoutMs).then(() => undefined),
    ]);
    const elapsed = performance.now() - started;
    polling = false;
    if (!result) {
      child.kill('SIGKILL');
      await poll;
      return {
        name: scenario.name,
        status: `no answer in ${timeoutMs / 1000} s`,
        elapsed,
        loopMax: NaN,
        healthMax: NaN,
      };
    }
    await poll;
    const { maxMs } = await ask<{ maxMs: number }>(child, 'read');
    let usage = '';
    try {
      const parsed = JSON.parse(result.text) as {
        usage?: { prompt_tokens: number; completion_tokens: number };
      };
      if (parsed.usage) usage = `${parsed.usage.prompt_tokens}+${parsed.usage.completion_tokens} tokens`;
    } catch {
      // an error body
    }
    return {
      name: scenario.name,
      status: `${result.status} ${usage}`.trim(),
      elapsed,
      loopMax: maxMs,
      healthMax,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--serve') return serve(args[1]!);
  const timeoutMs = 1000 * Number(args.find((a) => a.startsWith('--timeout='))?.slice(10) ?? 60);
  const only = args
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',');
  const upstream = await startUpstream();
  console.log('| scenario | answer | request ms | max event-loop delay ms | max /health ms |');
  console.log('|---|---|---|---|---|');
  for (const scenario of SCENARIOS) {
    if (only && !only.some((o) => scenario.name.includes(o))) continue;
    const r = await runScenario(scenario, upstream, timeoutMs);
    console.log(
      `| ${r.name} | ${r.status} | ${r.elapsed.toFixed(0)} | ${Number.isNaN(r.loopMax) ? '—' : r.loopMax.toFixed(1)} | ${Number.isNaN(r.healthMax) ? '—' : r.healthMax.toFixed(1)} |`,
    );
  }
  process.exit(0);
}

await main();
