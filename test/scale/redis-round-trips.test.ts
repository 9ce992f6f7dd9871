// What one metered chat request costs in Redis on the fleet path (PostgreSQL + Redis): the commands the
// gateway's Redis connection sends and the writes it makes on its socket (each write one round trip), counted
// by wrapping the real ioredis client of an in-process gateway. Admission is one script in one round trip
// (rate limits and money together); settling is one script for the wallet and the rate window together,
// and the ledger's write tells the wallet of all its rows' hashes in one call.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RedisHub } from '../../src/store/redis.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { until } from './support.js';

const turn = () => new Promise((r) => setImmediate(r));

/** A command as sent: its name and arguments (an EVALSHA's first argument is the script's SHA). */
interface Sent {
  name: string;
  args: string[];
}

/** Every command the hub's client sends and every write on its socket, in order. */
function record(hub: RedisHub) {
  const commands: Sent[] = [];
  let writes = 0;
  const client = hub.client as unknown as {
    sendCommand(command: { name: string; args: unknown[] }, stream?: unknown): unknown;
    stream: Socket;
  };
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    commands.push({ name: command.name, args: command.args.map(String) });
    return send(command, stream);
  };
  const socket = client.stream;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]) => {
    writes += 1;
    return write(...args);
  }) as Socket['write'];
  return {
    mark: () => ({ command: commands.length, writes }),
    since: (mark: { command: number; writes: number }) => ({
      commands: commands.slice(mark.command),
      writes: writes - mark.writes,
    }),
  };
}

/** Without the wallet's heartbeat (once a second: SET of its lease, then a put of everything it holds). */
function withoutHeartbeat(sent: Sent[]): Sent[] {
  return sent.filter((c, i) => c.name !== 'set' && sent[i - 1]?.name !== 'set');
}

const show = (sent: Sent[]) => sent.map((c) => `${c.name} ${c.args.slice(0, 4).join(' ')}`).join('\n');

describe('Redis round trips of a metered request (PostgreSQL + Redis)', () => {
  let fake: FakeOpenAI;
  let db: TestDatabase;
  let gw: TestGateway;
  let hub: RedisHub | undefined;
  const prefix = `tokgate:test:${randomBytes(6).toString('hex')}:`;
  const connect = RedisHub.connect;

  before(async () => {
    fake = await startFakeOpenAI();
    db = await createPostgresDatabase();
    // The gateway's own hub, to watch what its client sends.
    RedisHub.connect = async (...args: Parameters<typeof connect>) => {
      hub = await connect.apply(RedisHub, args);
      return hub;
    };
    gw = await startTestGateway({
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      TOKGATE_REDIS_PREFIX: prefix,
      TOKGATE_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'tokgate-trips-')),
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
    });
    RedisHub.connect = connect;
  });

  after(async () => {
    RedisHub.connect = connect;
    await gw?.close();
    await fake?.close();
    await db?.drop();
    const cleaner = await connect(
      'redis://127.0.0.1:6379',
      prefix,
      (await import('pino')).default({ level: 'silent' }),
    );
    const keys = await cleaner.client.keys(`${prefix}*`);
    if (keys.length > 0) await cleaner.client.del(...keys);
    await cleaner.close();
  });

  const request = {
    model: 'openai/gpt-4o',
    messages: [{ role: 'user' as const, content: 'Count the round trips.' }],
    max_tokens: 40,
  };

  async function account(creditsUsd: number): Promise<string> {
    const res = await gw.call('/admin/accounts', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { name: 'metered', credits_usd: creditsUsd },
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }

  /** What a key's rate window holds now, summed over its seconds (r: requests, t: tokens). */
  async function windowTotal(keyId: string, which: 'r' | 't'): Promise<number> {
    const fields = await hub!.client.hvals(`${prefix}rl:${keyId}:${which}`);
    return fields.reduce((sum, v) => sum + Number(v), 0);
  }

  test('admission is one command in one round trip; settling is one command; the ledger write two', async () => {
    assert.ok(hub, 'the gateway connected to Redis');
    const { key } = await gw.createKey({ account_id: await account(10), rpm: 1000, tpm: 1_000_000 });
    const client = gw.client(key);
    // The first request seeds the balance from the database; the ones after are the steady state.
    await client.chat.completions.create(request);
    await gw.gateway.ledger.flush();

    const seen = record(hub);
    const admissions: Array<ReturnType<ReturnType<typeof record>['since']>> = [];
    const settlements: Array<ReturnType<ReturnType<typeof record>['since']>> = [];
    for (let i = 0; i < 4; i++) {
      let open!: () => void;
      fake.faults.push({ kind: 'gate', open: new Promise<void>((r) => (open = r)) });
      const upstreamBefore = fake.requests.length;
      const start = seen.mark();
      const answer = client.chat.completions.create(request).withResponse();
      // Admission is over once the upstream has the request.
      await until('the upstream has the request', async () => fake.requests.length > upstreamBefore);
      const admitted = seen.mark();
      admissions.push(seen.since(start));
      open();
      const { response } = await answer;
      assert.equal(response.status, 200);
      assert.ok(response.headers.get('x-ratelimit-remaining-requests'));
      await gw.gateway.ledger.flush();
      await turn();
      await turn();
      settlements.push(seen.since(admitted));
    }
    // Once a second the wallet renews its lease and reads the balance again: the quietest request is
    // the one without that.
    const admission = admissions.reduce((a, b) => (b.commands.length < a.commands.length ? b : a));
    const settlement = settlements.reduce((a, b) => (b.commands.length < a.commands.length ? b : a));
    assert.equal(admission.commands.length, 1, `admission sent:\n${show(admission.commands)}`);
    assert.equal(admission.writes, 1, `admission round trips: ${admission.writes}`);
    assert.equal(admission.commands[0]!.name, 'evalsha');
    // The settle (wallet and tpm together), the ledger's in-flight mark and its written mark.
    assert.equal(settlement.commands.length, 3, `settlement sent:\n${show(settlement.commands)}`);
  });

  test('a metered key refused for rate holds no money: its one command is all it sends', async () => {
    const { key } = await gw.createKey({ account_id: await account(10), rpm: 1, tpm: 1_000_000 });
    const first = await gw.call('/v1/chat/completions', { method: 'POST', key, json: request });
    assert.equal(first.status, 200);
    await gw.gateway.ledger.flush();
    await turn();
    await turn();
    const seen = record(hub!);
    const start = seen.mark();
    const upstreamBefore = fake.requests.length;
    const refused = await gw.call('/v1/chat/completions', { method: 'POST', key, json: request });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '1');
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    // The refused window's headers only.
    assert.equal(refused.headers.get('x-ratelimit-limit-tokens'), null);
    await turn();
    await turn();
    const sent = withoutHeartbeat(seen.since(start).commands);
    // One script, for the rate window and the balance together; no reservation to release afterwards.
    assert.equal(sent.length, 1, show(sent));
    assert.ok(
      sent[0]!.args.some((a) => a.includes(':rl:')) && sent[0]!.args.some((a) => a.includes(':w:a:')),
    );
    assert.equal(fake.requests.length, upstreamBefore);
  });

  test('a metered key refused for money counts against rpm but not tpm; a tpm refusal tells the tokens window', async () => {
    const { id, key } = await gw.createKey({ account_id: await account(0.000001), rpm: 10, tpm: 5000 });
    const refused = await gw.call('/v1/chat/completions', { method: 'POST', key, json: request });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'insufficient_credits');
    assert.equal(await windowTotal(id, 'r'), 1);
    // Counted at admission, given back once refused (at the end of that turn).
    await until('the tokens given back', async () => (await windowTotal(id, 't')) === 0);
    // Refused on a balance read more than a second ago: read again and decided again, counted once.
    await new Promise((r) => setTimeout(r, 1100));
    const again = await gw.call('/v1/chat/completions', { method: 'POST', key, json: request });
    assert.equal(again.status, 403);
    assert.equal(await windowTotal(id, 'r'), 2);
    await until('the tokens given back', async () => (await windowTotal(id, 't')) === 0);

    const funded = await gw.createKey({ account_id: await account(10), rpm: 10, tpm: 100 });
    const big = { ...request, max_tokens: 200 };
    const ok = await gw.call('/v1/chat/completions', { method: 'POST', key: funded.key, json: big });
    assert.equal(ok.status, 200);
    const tokensRefused = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key: funded.key,
      json: big,
    });
    assert.equal(tokensRefused.status, 429);
    assert.equal(tokensRefused.headers.get('x-ratelimit-limit-tokens'), '100');
    assert.equal(tokensRefused.headers.get('x-ratelimit-limit-requests'), null);
    // Refused for tokens: not counted as a request either.
    assert.equal(await windowTotal(funded.id, 'r'), 1);
  });
});
