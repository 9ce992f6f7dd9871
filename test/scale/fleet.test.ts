// Three `tokgate serve` processes on one PostgreSQL database and one Redis (a key prefix of their own), load
// spread over them: money, rate limits, revocation and the ledger hold fleet-wide, a replica killed with
// SIGKILL loses no answered request, and Redis or PostgreSQL going away degrades as the README documents.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.js';
import { call, pool, type Replica, startReplica, startTcpProxy, until } from './support.js';

const MODEL = 'openai/metered-model';
// $1 and $2 per million input and output tokens: the fake answers 'hi' with 4 + 11 tokens = 26 µ$, and
// with max_tokens 11 the worst case reserved is exactly that.
// $1 and $2 per million input and output tokens: the fake answers 'hi' with 4 + 11 tokens = 26 µ$. The
// gateway reserves the worst case first: 9 prompt tokens by its own count (framing included) + 11 × 2 =
// 31 µ$, so credit for exactly N requests is (N − 1) × 26 + 31 µ$.
const COST = 26;
const WORST = 31;
const creditFor = (n: number) => ((n - 1) * COST + WORST) / 1e6;
const ADMIN = `sk-admin-${randomBytes(16).toString('hex')}`;
const REDIS_PORT = '6379';
const chat = (extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 11,
  ...extra,
});

function redisCli(...args: string[]): string {
  return execFileSync('redis-cli', ['-p', REDIS_PORT, ...args], { encoding: 'utf8', timeout: 5000 }).trim();
}

async function restartRedis(): Promise<void> {
  try {
    redisCli('ping');
    return;
  } catch {
    // down: start it
  }
  execFileSync(
    'redis-server',
    ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', REDIS_PORT, '--save', '', '--appendonly', 'no'],
    { timeout: 5000 },
  );
  await until('redis to answer', async () => {
    try {
      return redisCli('ping') === 'PONG';
    } catch {
      return false;
    }
  });
}

describe('three replicas on one PostgreSQL and one Redis', () => {
  let fake: FakeOpenAI;
  let db: TestDatabase;
  let sql: pg.Client;
  let env: Record<string, string>;
  const prefix = `tokgate:test:${randomBytes(6).toString('hex')}:`;
  const replicas: Replica[] = [];
  const extra: Replica[] = [];
  let rr = 0;
  /** The next replica, round robin: how a load balancer spreads requests. */
  const next = () => replicas[rr++ % replicas.length]!;

  before(async () => {
    fake = await startFakeOpenAI();
    db = await createPostgresDatabase();
    sql = new pg.Client({ connectionString: db.url });
    const dir = mkdtempSync(join(tmpdir(), 'tokgate-fleet-'));
    const config = join(dir, 'tokgate.yaml');
    writeFileSync(
      config,
      `models:\n  ${MODEL}:\n    max_output_tokens: 64\n    price: { input: 1, output: 2 }\n`,
    );
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
      TOKGATE_REDIS_PREFIX: prefix,
      TOKGATE_ADMIN_KEY: ADMIN,
      TOKGATE_CONFIG: config,
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      LOG_LEVEL: 'warn',
      // Exact counts however busy the machine (three replicas on two cores): the 50 ms default would let
      // a count under load fall back to the byte bound, which refuses a request the balance can pay for.
      TOKGATE_TOKENIZER_BUDGET_MS: '10000',
    };
    // All three at once on a fresh database: the migrations take a lock, the others wait for it.
    replicas.push(...(await Promise.all(['r0', 'r1', 'r2'].map((name) => startReplica(name, env)))));
    await sql.connect();
    // A fresh process counts prompt tokens conservatively until its tokenizer has loaded (in the
    // background, on first use): warm every replica so reservations are exact from the first test on.
    // (Admission counts tokens only for metered keys or keys with a tpm limit.)
    const warm = await call(replicas[0]!.url, '/admin/keys', {
      key: ADMIN,
      json: { name: 'warm', tpm: 1e9 },
    });
    const warmKey = (warm.body as { key: string }).key;
    for (const r of replicas) await call(r.url, '/v1/chat/completions', { key: warmKey, json: chat() });
    await new Promise((r) => setTimeout(r, 1000));
  });

  after(async () => {
    await Promise.all([...replicas, ...extra].map((r) => r.stop('SIGTERM').catch(() => undefined)));
    await sql.end().catch(() => undefined);
    await fake.close();
    await db.drop();
    await restartRedis();
    const keys = redisCli('--scan', '--pattern', `${prefix}*`).split('\n').filter(Boolean);
    for (let i = 0; i < keys.length; i += 100) redisCli('del', ...keys.slice(i, i + 100));
  });

  async function account(creditsUsd: number | null): Promise<string> {
    const res = await call(next().url, '/admin/accounts', {
      key: ADMIN,
      json: { name: 'acme', ...(creditsUsd === null ? {} : { credits_usd: creditsUsd }) },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return (res.body as { id: string }).id;
  }

  async function key(body: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
    const res = await call(next().url, '/admin/keys', { key: ADMIN, json: { name: 'fleet', ...body } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; key: string };
  }

  /** The ledger as PostgreSQL holds it for an account (every replica's rows). */
  async function ledger(accountId: string) {
    const rows = await sql.query<{ n: number; cost: number; spend: number }>(
      `select count(*)::int as n, coalesce(sum(cost_micros), 0)::int as cost,
        (select spend_micros from accounts where id = $1)::int as spend
       from request_log where account_id = $1 and status = 'ok'`,
      [accountId],
    );
    return rows.rows[0]!;
  }

  test('an account with credit for 100 requests gets 100 answers across the fleet, never more', async () => {
    const acct = await account(creditFor(100));
    const { key: secret } = await key({ account_id: acct });
    const ask = () => call(next().url, '/v1/chat/completions', { key: secret, json: chat() });
    // A burst: reservations in flight (31 µ$ each until they settle at 26) may refuse a few early, and
    // never admit one too many.
    const burst = await pool(160, 32, ask);
    let ok = burst.filter((a) => a.status === 200).length;
    assert.ok(
      ok <= 100,
      `served ${ok} on credit for 100; the documented bound is 0 while every replica is up`,
    );
    const refused = burst.filter((a) => a.status === 403);
    assert.equal(ok + refused.length, 160);
    assert.match(JSON.stringify(refused[0]?.body), /insufficient_credits/);
    // Then one at a time: what the burst left is served to the last request, and not one more.
    let refusals = 0;
    while (refusals < 3) {
      const res = await ask();
      if (res.status === 200) ok += 1;
      else refusals += 1;
    }
    assert.equal(ok, 100);
    // The ledger total equals the credit spent, once every replica has flushed.
    const rows = await until('the ledger rows', async () => {
      const l = await ledger(acct);
      return l.n === 100 && l.spend === 100 * COST && l;
    });
    assert.equal(rows.cost, 100 * COST);
    const shown = await call(replicas[1]!.url, `/admin/accounts/${acct}`, { key: ADMIN });
    assert.equal((shown.body as { balance_usd: number }).balance_usd, (WORST - COST) / 1e6);
  });

  test('rpm limits hold fleet-wide, with Retry-After', async () => {
    const { key: secret } = await key({ rpm: 12 });
    const answers = await pool(36, 12, () =>
      call(next().url, '/v1/chat/completions', { key: secret, json: chat() }),
    );
    assert.equal(answers.filter((a) => a.status === 200).length, 12);
    const limited = answers.filter((a) => a.status === 429);
    assert.equal(limited.length, 24);
    assert.ok(Number(limited[0]!.headers.get('retry-after')) >= 1);
  });

  test('a key revoked on one replica is refused by the others within a second', async () => {
    const { id, key: secret } = await key();
    for (const r of replicas) {
      assert.equal((await call(r.url, '/v1/chat/completions', { key: secret, json: chat() })).status, 200);
    }
    const revokedAt = Date.now();
    assert.equal(
      (await call(replicas[0]!.url, `/admin/keys/${id}`, { key: ADMIN, method: 'DELETE' })).status,
      200,
    );
    const elapsed = await Promise.all(
      replicas.slice(1).map((r) =>
        until(`${r.name} to refuse the key`, async () => {
          const res = await call(r.url, '/v1/chat/completions', { key: secret, json: chat() });
          return res.status === 401 && Date.now() - revokedAt;
        }),
      ),
    );
    for (const ms of elapsed) assert.ok(ms < 1000, `refused after ${ms} ms`);
    process.stderr.write(`# revocation seen by the other replicas after ${elapsed.join(' and ')} ms\n`);
  });

  test('a top-up made through any replica, or the CLI, reaches every replica', async () => {
    const acct = await account(creditFor(1));
    const { key: secret } = await key({ account_id: acct });
    const ask = (r: Replica) => call(r.url, '/v1/chat/completions', { key: secret, json: chat() });
    assert.equal((await ask(replicas[0]!)).status, 200);
    for (const r of replicas) assert.equal((await ask(r)).status, 403);
    const topup = await call(replicas[2]!.url, `/admin/accounts/${acct}/credits`, {
      key: ADMIN,
      json: { amount_usd: (2 * COST) / 1e6 },
    });
    assert.equal(topup.status, 201);
    assert.equal((await ask(replicas[0]!)).status, 200, 'another replica sees the top-up at once');
    assert.equal((await ask(replicas[1]!)).status, 200);
    assert.equal((await ask(replicas[2]!)).status, 403);
    // The CLI writes the database only: every replica reads it within about a second.
    const cli = new URL('../../src/cli/index.ts', import.meta.url).pathname;
    execFileSync(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        cli,
        'accounts',
        'topup',
        acct,
        '--amount',
        String(COST / 1e6),
      ],
      { env: { PATH: process.env.PATH, DATABASE_URL: db.url }, stdio: 'ignore' },
    );
    await until('the CLI top-up to be seen', async () => (await ask(next())).status === 200, 3000);
    const l = await until('the ledger rows', async () => {
      const rows = await ledger(acct);
      return rows.n === 4 && rows;
    });
    assert.equal(l.spend, 4 * COST);
  });

  test('SIGKILL mid-load loses no answered request: the restarted replica replays its spool', async () => {
    const acct = await account(1);
    const { key: secret } = await key({ account_id: acct });
    fake.options = { firstByteDelayMs: 15 };
    const victim = replicas[2]!;
    const answered: string[] = [];
    let sent = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        sent++;
        const target = next();
        try {
          const res = await call(target.url, '/v1/chat/completions', { key: secret, json: chat() });
          // The ledger row's id is the gateway's request id.
          if (res.status === 200 && res.complete) answered.push(res.headers.get('x-request-id')!);
        } catch {
          // the killed replica: not answered
        }
      }
    };
    const load = Promise.all(Array.from({ length: 24 }, worker));
    await until('load on the victim', async () => answered.length > 150, 10_000);
    victim.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 400));
    stop = true;
    await load;
    fake.options = {};
    await victim.restart();
    const replays = victim
      .output()
      .split('\n')
      .filter((line) => line.includes('replayed the spool'))
      .map((line) => JSON.parse(line) as { rows: number; inserted: number });
    const inserted = replays.reduce((n, r) => n + r.inserted, 0);
    process.stderr.write(
      `# ${answered.length} answered of ${sent} sent; the restarted replica replayed ${inserted} rows from its spool\n`,
    );

    const found = await until(
      'every answered request in the ledger',
      async () => {
        const rows = await sql.query<{ id: string; n: number }>(
          'select id, count(*)::int as n from request_log where id = any($1) group by id',
          [answered],
        );
        return rows.rows.length === answered.length && rows.rows;
      },
      10_000,
    );
    assert.ok(
      found.every((r) => r.n === 1),
      'each answered request is in the ledger exactly once',
    );
    const l = await ledger(acct);
    assert.equal(l.spend, l.cost, 'the account spend equals the ledger total (nothing counted twice)');
  });

  test('Redis restarted mid-run: limits fail open, money fails closed, and all recovers', async () => {
    const acct = await account(1);
    const metered = await key({ account_id: acct });
    const limited = await key({ rpm: 600 });
    const plain = await key();
    const ask = (r: Replica, k: string) => call(r.url, '/v1/chat/completions', { key: k, json: chat() });
    for (const r of replicas)
      for (const k of [metered, limited, plain]) assert.equal((await ask(r, k.key)).status, 200);
    try {
      try {
        redisCli('shutdown', 'nosave');
      } catch {
        // the connection closes as Redis exits
      }
      await until('redis to be down', async () => {
        try {
          redisCli('ping');
          return false;
        } catch {
          return true;
        }
      });
      for (const r of replicas) {
        assert.equal((await ask(r, plain.key)).status, 200, 'unmetered keys are served');
        assert.equal((await ask(r, limited.key)).status, 200, 'rate limits fail open');
        const refused = await ask(r, metered.key);
        assert.equal(refused.status, 503, 'money checks fail closed');
        assert.match(JSON.stringify(refused.body), /wallet_unavailable/);
        const ready = await call(r.url, '/ready');
        assert.equal(ready.status, 200, 'the database is fine: still ready');
        assert.notEqual((ready.body as { redis: string }).redis, 'ok');
      }
      const metrics = await call(replicas[0]!.url, '/metrics');
      assert.match(String(metrics.body), /tokgate_rate_limit_fail_open_total\{op="admit"\} [1-9]/);
    } finally {
      await restartRedis();
    }
    for (const r of replicas) {
      await until(
        `${r.name} to serve metered requests again`,
        async () => (await ask(r, metered.key)).status === 200,
      );
      assert.equal(
        (await call(r.url, '/ready')).body && ((await call(r.url, '/ready')).body as { redis: string }).redis,
        'ok',
      );
    }
    // Pub/sub is back too: a revocation reaches the others within a second.
    const revokedAt = Date.now();
    await call(replicas[0]!.url, `/admin/keys/${plain.id}`, { key: ADMIN, method: 'DELETE' });
    await until(
      'revocation after the restart',
      async () => (await ask(replicas[1]!, plain.key)).status === 401,
    );
    assert.ok(Date.now() - revokedAt < 1000);
    const l = await until('the ledger rows', async () => {
      const rows = await ledger(acct);
      return rows.n === 6 && rows;
    });
    assert.equal(l.spend, 6 * COST);
  });

  test('PostgreSQL unreachable: answers go on, the ledger spools, /ready says 503, and it drains exactly once', async () => {
    const proxy = await startTcpProxy(5432);
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const cut = await startReplica('pg-cut', { ...env, DATABASE_URL: url.toString() });
    extra.push(cut);
    try {
      const { key: secret } = await key();
      assert.equal((await call(cut.url, '/v1/chat/completions', { key: secret, json: chat() })).status, 200);
      await proxy.cut();
      const answers = await pool(20, 5, (i) =>
        call(cut.url, '/v1/chat/completions', { key: i % 2 === 0 ? secret : ADMIN, json: chat() }),
      );
      assert.deepEqual(
        answers.map((a) => a.status),
        answers.map(() => 200),
      );
      const ids = answers.map((a) => a.headers.get('x-request-id')!);
      const down = await call(cut.url, '/ready');
      assert.equal(down.status, 503);
      const spooled = (down.body as { ledger: { spooled: number } }).ledger.spooled;
      assert.ok(spooled >= ids.length, `spooled ${spooled}`);
      await proxy.restore();
      await until('the spool to drain', async () => {
        const ready = await call(cut.url, '/ready');
        return ready.status === 200 && (ready.body as { ledger: { spooled: number } }).ledger.spooled === 0;
      });
      const rows = await sql.query<{ n: number }>(
        'select count(*)::int as n from request_log where id = any($1)',
        [ids],
      );
      assert.equal(rows.rows[0]!.n, ids.length, 'every answered request written once');
    } finally {
      await cut.stop();
      await proxy.close();
    }
  });

  test('the ledger is partitioned by month and the hourly rollup agrees with its rows', async () => {
    const parts = await sql.query<{ n: number }>(
      "select count(*)::int as n from pg_inherits where inhparent = 'request_log'::regclass",
    );
    assert.ok(parts.rows[0]!.n >= 4, 'the default partition and this month and the next two');
    const legacy = await sql.query<{ n: number }>('select count(*)::int as n from requests');
    assert.equal(legacy.rows[0]!.n, 0, 'new replicas write only the partitioned ledger');
    const raw = await sql.query<{ key: string; n: number; cost: number }>(
      `select coalesce(key_id, 'admin') as key, count(*)::int as n, coalesce(sum(cost_micros), 0)::int as cost
       from request_log group by 1 order by 1`,
    );
    // A window of whole hours: answered from the rollup alone.
    const hour = 3_600_000;
    const from = Math.floor(Date.now() / hour) * hour - 3 * hour;
    const to = from + 5 * hour;
    const usage = await call(
      replicas[0]!.url,
      `/admin/usage?group_by=key&from=${from / 1000}&to=${to / 1000}`,
      {
        key: ADMIN,
      },
    );
    const fromRollup = (
      usage.body as { data: Array<{ group: string; requests: number; cost_usd: number }> }
    ).data
      .map((g) => ({ key: g.group, n: g.requests, cost: Math.round(g.cost_usd * 1e6) }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    assert.deepEqual(fromRollup, raw.rows);
  });
});
