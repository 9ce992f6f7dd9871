// Tight holds on a fleet (issue 20): three `tokgate serve` replicas on one PostgreSQL and one Redis, started
// as a new user would (the tokenizer's default budget, nothing warmed), an account funded for exactly N = 20
// requests, and a burst of 200 concurrent requests spread over the replicas.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  answerCost,
  assertTight,
  burst,
  TIGHT_MODEL_CONFIG,
  tightRequest,
} from '../accounting/tight-holds-support.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.js';
import { call, type Replica, startReplica, until } from './support.js';

const ADMIN = `sk-admin-${randomBytes(16).toString('hex')}`;
const N = 20;

describe('tight holds on three replicas (PostgreSQL + Redis)', () => {
  let fake: FakeOpenAI;
  let db: TestDatabase;
  let sql: pg.Client;
  const prefix = `tokgate:test:${randomBytes(6).toString('hex')}:`;
  const replicas: Replica[] = [];

  before(async () => {
    fake = await startFakeOpenAI({ promptTokens: 'o200k' });
    db = await createPostgresDatabase();
    sql = new pg.Client({ connectionString: db.url });
    const dir = mkdtempSync(join(tmpdir(), 'tokgate-tight-'));
    const config = join(dir, 'tokgate.yaml');
    writeFileSync(config, TIGHT_MODEL_CONFIG);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      TOKGATE_REDIS_PREFIX: prefix,
      TOKGATE_ADMIN_KEY: ADMIN,
      TOKGATE_CONFIG: config,
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      LOG_LEVEL: 'warn',
    };
    replicas.push(...(await Promise.all(['t0', 't1', 't2'].map((name) => startReplica(name, env)))));
    await sql.connect();
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGTERM').catch(() => undefined)));
    await sql.end().catch(() => undefined);
    await fake.close();
    await db.drop();
    const keys = execFileSync('redis-cli', ['--scan', '--pattern', `${prefix}*`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    for (let i = 0; i < keys.length; i += 100)
      execFileSync('redis-cli', ['del', ...keys.slice(i, i + 100)], { encoding: 'utf8' });
  });

  async function admin(path: string, json?: unknown) {
    const res = await call(replicas[0]!.url, path, { key: ADMIN, ...(json === undefined ? {} : { json }) });
    assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown>;
  }

  test(`an account funded for ${N} requests serves ${N} ± 2 of ${10 * N} concurrent requests`, async () => {
    // What one request costs, measured on an unmetered key (the default account).
    const probe = (await admin('/admin/keys', { name: 'probe' })) as { key: string };
    const one = await call(replicas[0]!.url, '/v1/chat/completions', { key: probe.key, json: tightRequest });
    assert.equal(one.status, 200);
    const cost = answerCost(one.body);
    assert.ok(cost > 0);

    const account = (await admin('/admin/accounts', {
      name: 'tight',
      credits_usd: (N * cost) / 1e6,
    })) as { id: string };
    const key = (await admin('/admin/keys', { name: 'tight', account_id: account.id })) as { key: string };
    const before = fake.requests.length;
    const outcome = await burst(10 * N, (i) =>
      call(replicas[i % replicas.length]!.url, '/v1/chat/completions', { key: key.key, json: tightRequest }),
    );
    const upstream = fake.requests.length - before;
    process.stderr.write(`# fleet: ${outcome.served} served of ${10 * N}, funded for ${N}\n`);

    // Every replica's rows, as PostgreSQL holds them (an answer waits for its row to be spooled; the
    // ledger writes it to the database just after).
    const ledger = await until('every row in PostgreSQL', async () => {
      const { rows } = await sql.query<{ n: number; cost: string }>(
        'select count(*)::int as n, coalesce(sum(cost_micros), 0) as cost from request_log where account_id = $1',
        [account.id],
      );
      return rows[0]!.n === 10 * N && Number(rows[0]!.cost);
    });
    const shown = (await admin(`/admin/accounts/${account.id}`)) as { balance_usd: number };
    const spent = N * cost - Math.round(shown.balance_usd * 1e6);
    assertTight(N, outcome, upstream, spent, Number(ledger));
  });
});
