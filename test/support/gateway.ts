// Starts a real gateway on 127.0.0.1 (port 0) with in-memory SQLite, wired exactly as `tokgate serve` wires it.
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';

export const ADMIN_KEY = 'sk-test-admin-key-0123456789abcdef';

export interface TestGateway {
  url: string;
  gateway: Gateway;
  /** Every log line the gateway wrote, as text. */
  logs: string[];
  createKey(body?: Record<string, unknown>): Promise<{ id: string; key: string } & Record<string, unknown>>;
  /** An account made with the admin key (`{name, credits_usd?, ...}`); its JSON. */
  createAccount(body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>>;
  client(key: string): OpenAI;
  /** fetch against the gateway with a bearer key. */
  call(path: string, init?: RequestInit & { key?: string; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestGateway(
  env: Record<string, string>,
  options: Omit<GatewayOptions, 'log'> = {},
): Promise<TestGateway> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const config = loadConfig({
    DATABASE_URL: 'sqlite::memory:',
    TOKGATE_ADMIN_KEY: ADMIN_KEY,
    TOKGATE_CONFIG: '',
    // Exact counts in tests, however busy the machine: the default 50 ms budget is for production.
    TOKGATE_TOKENIZER_BUDGET_MS: '10000',
    ...env,
  });
  const gateway = await createGateway(config, { ...options, log: pino({ level: 'info' }, sink) });
  // Exact token counts from the first request on (in production the first use loads them in the background).
  await gateway.tokens.pool.warm();
  await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  const address = gateway.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;

  const call: TestGateway['call'] = (path, init = {}) => {
    const { key, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${url}${path}`, {
      ...rest,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  };

  return {
    url,
    gateway,
    logs,
    call,
    async createKey(body = {}) {
      const res = await call('/admin/keys', {
        method: 'POST',
        key: ADMIN_KEY,
        json: { name: 'test', ...body },
      });
      if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; key: string };
    },
    async createAccount(body) {
      const res = await call('/admin/accounts', { method: 'POST', key: ADMIN_KEY, json: body });
      if (res.status !== 201) throw new Error(`create account: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    },
    client: (key) => new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 }),
    close: () => gateway.close(),
  };
}

/** A response's JSON body, loosely typed: tests assert on its shape field by field. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
export const readJson = (res: Response): Promise<any> => res.json();
