// Low-balance webhooks (issue 20) against a local receiver: an account's balance falls below its threshold
// by spending, one delivery is recorded (once per crossing), signed with HMAC-SHA256 over `<t>.<body>`,
// retried with backoff past the receiver's failures, every attempt recorded; a top-up re-arms it.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

const SECRET = 'whsec-test-0123456789';
const MODEL = 'openai/metered-model';
const COST = 26; // µ$ per request: 4 prompt tokens at $1/M + 11 completion tokens at $2/M

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('low-balance webhooks', () => {
  let fake: FakeOpenAI;
  let gw: TestGateway;
  let receiver: Server;
  const received: Received[] = [];
  /** Statuses the receiver answers with, one per request; 200 once empty. */
  const answers: number[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await new Promise((r) => receiver.once('listening', r));
    const port = (receiver.address() as AddressInfo).port;
    fake = await startFakeOpenAI();
    const dir = mkdtempSync(join(tmpdir(), 'tokgate-webhook-'));
    const config = join(dir, 'tokgate.yaml');
    writeFileSync(
      config,
      `models:\n  ${MODEL}:\n    max_output_tokens: 64\n    price: { input: 1, output: 2 }\n`,
    );
    gw = await startTestGateway({
      OPENAI_API_KEY: 'up',
      OPENAI_BASE_URL: fake.url,
      TOKGATE_CONFIG: config,
      TOKGATE_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/tokgate`,
      TOKGATE_WEBHOOK_SECRET: SECRET,
      TOKGATE_WEBHOOK_RETRY_MS: '20',
    });
  });
  after(async () => {
    await gw.close();
    await fake.close();
    receiver.close();
  });

  const admin = async (method: string, path: string, json?: unknown) => {
    const res = await gw.call(path, { method, key: ADMIN_KEY, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: await readJson(res) };
  };
  const spend = async (key: string) => {
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 11 },
    });
    assert.equal(res.status, 200);
    await gw.gateway.ledger.flush();
  };
  const deliveries = async (accountId: string) =>
    (await admin('GET', `/admin/webhook-deliveries?account_id=${accountId}`)).body.data;
  /** Sweeps and sends until `done` (each tick is one round; retries wait their backoff). */
  async function tickUntil(what: string, done: () => Promise<boolean>) {
    for (let round = 0; round < 500; round++) {
      await gw.gateway.lowBalance.tick();
      if (await done()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`never: ${what}`);
  }

  test('fires once per crossing, signed, retried past failures with every attempt recorded', async () => {
    const acct = (await admin('POST', '/admin/accounts', { name: 'low', credits_usd: 1000 / 1e6 })).body;
    const set = await admin('PATCH', `/admin/accounts/${acct.id}`, { low_balance_usd: 950 / 1e6 });
    assert.equal(set.status, 200);
    assert.equal(set.body.low_balance_usd, 950 / 1e6);
    const { key } = await gw.createKey({ account_id: acct.id });

    await spend(key); // 974 µ$ left: above the threshold
    await gw.gateway.lowBalance.tick();
    assert.equal((await deliveries(acct.id)).length, 0);

    answers.push(500, 503); // the receiver fails twice, then takes it
    await spend(key);
    await spend(key); // 922 µ$ left: below
    await tickUntil(
      'the delivery is delivered',
      async () => (await deliveries(acct.id))[0]?.status === 'delivered',
    );
    await gw.gateway.lowBalance.tick();
    const [delivery, ...more] = await deliveries(acct.id);
    assert.equal(more.length, 0, 'one delivery per crossing');
    assert.deepEqual(
      delivery.attempts.map((a: { status: number }) => a.status),
      [500, 503, 200],
    );
    assert.equal(delivery.payload.type, 'account.low_balance');
    assert.equal(Math.round(delivery.payload.data.balance_usd * 1e6), 1000 - 3 * COST);
    assert.equal(Math.round(delivery.payload.data.threshold_usd * 1e6), 950);

    const mine = received.filter((r) => r.headers['x-tokgate-delivery'] === delivery.id);
    assert.equal(mine.length, 3);
    for (const r of mine) {
      assert.equal(r.headers['x-tokgate-event'], 'account.low_balance');
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-tokgate-signature'])) ?? [];
      assert.ok(t && v1, 'a signature header');
      const expected = createHmac('sha256', SECRET).update(`${t}.${r.body}`).digest('hex');
      assert.equal(v1, expected, 'the HMAC-SHA256 of "<t>.<body>"');
      assert.equal(r.body, mine[0]!.body, 'the same body every attempt');
      assert.notEqual(createHmac('sha256', 'another secret').update(`${t}.${r.body}`).digest('hex'), v1);
    }

    // A top-up above the threshold re-arms it; the next crossing fires again.
    await admin('POST', `/admin/accounts/${acct.id}/credits`, { amount_usd: 100 / 1e6 });
    await gw.gateway.lowBalance.tick();
    assert.equal((await deliveries(acct.id)).length, 1);
    for (let i = 0; i < 3; i++) await spend(key); // 1022 − 78 = 944 µ$: below again
    await tickUntil('a second delivery', async () => (await deliveries(acct.id)).length === 2);
  });

  test('a receiver that never takes it: the delivery is given up after the attempts, each recorded', async () => {
    const acct = (await admin('POST', '/admin/accounts', { name: 'down', credits_usd: 1 })).body;
    answers.push(...Array.from({ length: 8 }, () => 500));
    await admin('PATCH', `/admin/accounts/${acct.id}`, { low_balance_usd: 2 });
    await tickUntil('given up', async () => (await deliveries(acct.id))[0]?.status === 'failed');
    const [delivery] = await deliveries(acct.id);
    assert.equal(delivery.attempts.length, 8);
    assert.ok(delivery.attempts.every((a: { status: number }) => a.status === 500));
    const bad = await admin('PATCH', `/admin/accounts/${acct.id}`, { low_balance_usd: -1 });
    assert.equal(bad.status, 400);
  });
});
