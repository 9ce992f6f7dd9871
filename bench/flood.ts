// Upstream floods: four concurrent 300 MB upstream answers without usage (two whole JSON answers, two
// streams) against the built gateway, and its peak RSS (VmHWM). Run once with the default answer limit and
// once with a limit above 300 MB (what the gateway did before it had one).
//   npm run build && node --import tsx bench/flood.ts [--size-mb=300] [--limits=64,1024]

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, installCleanup, spawnLogged, stop, waitForHttp } from './children.js';
import { memory, resetPeak } from './proc-stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { 'size-mb': { type: 'string', default: '300' }, limits: { type: 'string', default: '64,1024' } },
});
const SIZE = Number(values['size-mb']) * 1024 * 1024;
const MB = 1024 * 1024;

/** Writes `bytes` of 'x' in 1 MB pieces, with backpressure. */
async function pour(res: ServerResponse, bytes: number, piece: (n: number) => string): Promise<void> {
  for (let sent = 0; sent < bytes && !res.destroyed; sent += MB) {
    if (!res.write(piece(Math.min(MB, bytes - sent))))
      await new Promise((resolve) => res.once('drain', resolve));
  }
}

// The flood: a JSON answer whose content is `SIZE` bytes, or a stream of 1 MB content chunks; no usage.
const upstream = createServer(async (req, res) => {
  let body = '';
  for await (const part of req) body += part;
  res.on('error', () => undefined);
  if (body.includes('"stream":true')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (n: number) =>
      `data: {"id":"f","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${'x'.repeat(Math.max(1, n - 120))}"},"finish_reason":null}]}\n\n`;
    await pour(res, SIZE, chunk);
    res.end('data: [DONE]\n\n');
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(
      '{"id":"f","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"',
    );
    await pour(res, SIZE, (n) => 'x'.repeat(n));
    res.end('"},"finish_reason":"stop"}]}');
  }
});

async function run(limitMb: number): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'tokgate-flood-'));
  const upstreamPort = (upstream.address() as { port: number }).port;
  const port = await freePort();
  const admin = 'sk-admin-flood-bench-0123456789abcdef';
  const { child, pid } = spawnLogged(process.execPath, [join(ROOT, 'dist', 'cli', 'index.js'), 'serve'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(tmp, 'flood.db')}`,
      TOKGATE_ADMIN_KEY: admin,
      OPENAI_API_KEY: 'x',
      OPENAI_BASE_URL: `http://127.0.0.1:${upstreamPort}/v1`,
      TOKGATE_MAX_UPSTREAM_ANSWER_MB: String(limitMb),
      LOG_LEVEL: 'warn',
    },
    cwd: tmp,
    logPath: join(tmp, 'gateway.log'),
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, child);
    resetPeak(pid);
    const idle = memory(pid).rss;
    const started = Date.now();
    const ask = async (stream: boolean) => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'openai/m',
            stream,
            messages: [{ role: 'user', content: 'flood me' }],
          }),
        });
        let bytes = 0;
        for await (const part of res.body ?? []) bytes += (part as Uint8Array).length;
        return `${res.status} (${(bytes / MB).toFixed(1)} MB)`;
      } catch (error) {
        return `failed: ${(error as Error).message}`;
      }
    };
    const answers = await Promise.all([ask(false), ask(false), ask(true), ask(true)]);
    const alive = child.exitCode === null && child.signalCode === null;
    const health = alive
      ? (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status
      : 'dead';
    const { hwm } = alive ? memory(pid) : { hwm: Number.NaN };
    console.log(
      `| ${limitMb} MB | ${answers.join(', ')} | ${(idle / MB).toFixed(0)} MB | ${(hwm / MB).toFixed(0)} MB | ${health} | ${((Date.now() - started) / 1000).toFixed(1)} s |`,
    );
  } finally {
    await stop(child);
    rmSync(tmp, { recursive: true, force: true });
  }
}

installCleanup(15 * 60_000);
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
console.log(`Four concurrent ${SIZE / MB} MB upstream answers without usage (2 JSON, 2 streams):\n`);
console.log(
  '| answer limit | answers (status, bytes to the client) | RSS idle | peak RSS | /health after | time |',
);
console.log('| ---: | --- | ---: | ---: | --- | ---: |');
for (const limit of values.limits.split(',').map(Number)) await run(limit);
upstream.close();
