// A gateway with routes, for the routing tests: two (or more) fake OpenAI-compatible upstreams as providers
// `a` and `b` (and `c` on a closed port: connection refused), a YAML config written to a temp file, and
// helpers to read the ledger and the SSE a client receives.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AttemptRecord } from '../../src/router/attempts.js';
import type { RequestRow } from '../../src/store/store.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

export interface Routed {
  gw: TestGateway;
  a: FakeOpenAI;
  b: FakeOpenAI;
  key: string;
  /** The ledger row of a request (flushes first; waits a little for rows written after the response). */
  row(id: string): Promise<RequestRow>;
  close(): Promise<void>;
}

/** A port nothing listens on: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** USD per million tokens: `a` is cheaper than `b`, so the ledger shows who served. */
export const PRICE_A = { input: 1, output: 2 };
export const PRICE_B = { input: 3, output: 4 };

export async function startRouted(
  config: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<Routed> {
  const a = await startFakeOpenAI();
  const b = await startFakeOpenAI();
  const port = await closedPort();
  const dir = mkdtempSync(join(tmpdir(), 'tokgate-routing-'));
  const path = join(dir, 'tokgate.yaml');
  const yaml = {
    providers: {
      a: { base_url: a.url, api_key: 'sk-a' },
      b: { base_url: b.url, api_key: 'sk-b' },
      c: { base_url: `http://127.0.0.1:${port}/v1`, api_key: 'sk-c' },
    },
    ...config,
  };
  writeFileSync(path, stringify(yaml));
  const gw = await startTestGateway({ TOKGATE_CONFIG: path, ...env });
  const key = (await gw.createKey()).key;
  return {
    gw,
    a,
    b,
    key,
    async row(id) {
      const deadline = Date.now() + 3_000;
      for (;;) {
        await gw.gateway.ledger.flush();
        const row = await gw.gateway.store.getRequest(id);
        if (row) return row;
        if (Date.now() > deadline) throw new Error(`no ledger row for ${id}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await gw.close();
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Prices for `provider/model` ids, as the `models:` config section. */
export function prices(models: string[]): Record<string, { price: { input: number; output: number } }> {
  return Object.fromEntries(models.map((id) => [id, { price: id.startsWith('b/') ? PRICE_B : PRICE_A }]));
}

export interface SseResult {
  /** `data:` payloads, in order ([DONE] included). */
  data: string[];
  /** How many `: keep-alive` comments came. */
  comments: number;
  /** The text of every content delta, joined. */
  text: string;
  done: boolean;
  /** The in-band error event, when the stream ended with one. */
  error: { error: { message: string; type: string; code: string | null; param: string | null } } | undefined;
}

export function parseSse(body: string): SseResult {
  const data: string[] = [];
  let comments = 0;
  for (const event of body.split('\n\n')) {
    if (event === '') continue;
    if (event.startsWith(':')) comments += 1;
    else if (event.startsWith('data: ')) data.push(event.slice(6));
    else throw new Error(`malformed SSE event: ${JSON.stringify(event)}`);
  }
  let text = '';
  for (const payload of data) {
    if (payload === '[DONE]') continue;
    const parsed = JSON.parse(payload) as { choices?: Array<{ delta?: { content?: string } }> };
    for (const choice of parsed.choices ?? []) text += choice.delta?.content ?? '';
  }
  const last = data.at(-1);
  const done = last === '[DONE]';
  const parsed = !done && last ? (JSON.parse(last) as Partial<NonNullable<SseResult['error']>>) : undefined;
  return { data, comments, text, done, error: parsed?.error ? { error: parsed.error } : undefined };
}

export const attemptsOf = (row: RequestRow): AttemptRecord[] =>
  row.attempts ? (JSON.parse(row.attempts) as AttemptRecord[]) : [];
