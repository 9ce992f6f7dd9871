// `tokgate accounts|keys|usage` on the database a running gateway uses: what the CLI does, the server sees.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;
const run = promisify(execFile);
const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'tokgate-cli-admin-')), 'tokgate.db')}`;
let fake: FakeOpenAI;
let gw: TestGateway;

async function tokgate(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, TOKGATE_CONFIG: '' },
  });
}

before(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ OPENAI_API_KEY: 'up', OPENAI_BASE_URL: fake.url, DATABASE_URL: databaseUrl });
});
after(async () => {
  await gw.close();
  await fake.close();
});

test('create an account with credit and a key on the CLI, spend through the SDK, see it in usage, revoke', async () => {
  const account = JSON.parse(
    (await tokgate('accounts', 'create', '--name', 'acme', '--credits', '1')).stdout,
  );
  assert.equal(account.balance_usd, 1);
  const created = await tokgate(
    'keys',
    'create',
    '--name',
    'cli-key',
    '--account',
    account.id,
    '--models',
    'openai/*',
  );
  const key = JSON.parse(created.stdout);
  assert.match(key.key, /^sk-tg-/);
  assert.match(created.stderr, /shown only now/);

  const client = gw.client(key.key);
  const answer = await client.chat.completions.create({
    model: 'openai/gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
  });
  const cost = (answer.usage as unknown as { cost: number }).cost;
  await gw.gateway.ledger.flush();

  const shown = JSON.parse((await tokgate('accounts', 'show', account.id)).stdout);
  assert.equal(shown.spend_usd, cost);
  assert.equal(shown.credits.length, 1);
  const topped = JSON.parse(
    (await tokgate('accounts', 'topup', account.id, '--amount', '2.5', '--note', 'invoice 7')).stdout,
  );
  assert.equal(topped.credits_usd, 3.5);
  const usage = (await tokgate('usage', '--account', account.id, '--group-by', 'model')).stdout;
  assert.match(usage, /openai\/gpt-4o\s+1\s+0\s+4\s+11/);
  assert.match((await tokgate('keys', 'list')).stdout, /cli-key/);

  await tokgate('keys', 'revoke', key.id);
  // The server re-reads keys at most a second after a change made elsewhere.
  await new Promise((r) => setTimeout(r, 1100));
  await assert.rejects(
    client.chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    OpenAI.AuthenticationError,
  );
  await assert.rejects(
    tokgate('accounts', 'topup', 'acct_nope', '--amount', '1'),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /No account/);
      return true;
    },
  );
});

test('metering on the CLI: a top-up of an unmetered account is refused until it is switched to prepaid', async () => {
  const account = JSON.parse((await tokgate('accounts', 'create', '--name', 'team')).stdout);
  assert.equal(account.metering, 'unmetered');
  await assert.rejects(
    tokgate('accounts', 'topup', account.id, '--amount', '5'),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /unmetered/);
      assert.match(error.stderr, /--metering prepaid/);
      return true;
    },
  );
  const switched = JSON.parse(
    (await tokgate('accounts', 'update', account.id, '--metering', 'prepaid')).stdout,
  );
  assert.equal(switched.metering, 'prepaid');
  assert.equal(switched.balance_usd, 0);
  const topped = JSON.parse((await tokgate('accounts', 'topup', account.id, '--amount', '5')).stdout);
  assert.equal(topped.balance_usd, 5);
  assert.match((await tokgate('accounts', 'show')).stdout, /metering[\s\S]*team\s+prepaid\s+5/);
  await assert.rejects(
    tokgate('accounts', 'update', account.id, '--metering', 'postpaid'),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /metering/);
      return true;
    },
  );
});

test('codes on the CLI: created once and shown once, listed without codes; a top-up with a key applies once', async () => {
  const made = await tokgate('codes', 'create', '--count', '3', '--amount', '1.5', '--note', 'launch');
  const codes = JSON.parse(made.stdout) as Array<{ code: string; amount_usd: number }>;
  assert.equal(codes.length, 3);
  assert.ok(codes.every((c) => /^tgc-/.test(c.code) && c.amount_usd === 1.5));
  assert.match(made.stderr, /shown only now/);
  const listed = (await tokgate('codes', 'list')).stdout;
  assert.match(listed, /launch/);
  for (const c of codes) assert.ok(!listed.includes(c.code));

  const account = JSON.parse(
    (await tokgate('accounts', 'create', '--name', 'idem', '--credits', '0')).stdout,
  );
  const once = ['accounts', 'topup', account.id, '--amount', '2', '--idempotency-key', 'inv-9'];
  assert.equal(JSON.parse((await tokgate(...once)).stdout).balance_usd, 2);
  const again = await tokgate(...once);
  assert.equal(JSON.parse(again.stdout).balance_usd, 2);
  assert.match(again.stderr, /nothing added/);
});

test('accounts statement on the CLI, as JSON and CSV, agrees with the account', async () => {
  const account = JSON.parse(
    (await tokgate('accounts', 'create', '--name', 'stmt', '--credits', '3')).stdout,
  );
  await tokgate('accounts', 'topup', account.id, '--amount', '1', '--note', 'second');
  const json = JSON.parse((await tokgate('accounts', 'statement', account.id)).stdout);
  assert.equal(json.opening_balance_usd, 0);
  assert.equal(json.credits_total_usd, 4);
  assert.equal(json.closing_balance_usd, 4);
  const csv = (await tokgate('accounts', 'statement', account.id, '--format', 'csv')).stdout;
  assert.match(csv, /^type,date,model,id,note,requests,amount_usd\r\n/);
  assert.match(csv, /\r\nclosing_balance,[^,]+,,,,,4\r\n$/);
  await assert.rejects(tokgate('accounts', 'statement', account.id, '--format', 'pdf'), /format/);
});
