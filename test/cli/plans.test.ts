// `tokgate plans ...` and `tokgate accounts update --plan` on the database a running gateway uses: a plan
// made and assigned on the CLI is what the gateway charges and lists (read again within its refresh), a
// plan in use cannot be deleted, and malformed flags are usage errors (exit 2) before the database opens.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;
const run = promisify(execFile);
const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'tokgate-cli-plans-')), 'tokgate.db')}`;
let fake: FakeOpenAI;
let gw: TestGateway;

async function tokgate(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, TOKGATE_CONFIG: '' },
  });
}

/** A failed run's exit code and stderr. */
async function refused(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await tokgate(...args);
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
  assert.fail(`tokgate ${args.join(' ')} succeeded`);
}

before(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ OPENAI_API_KEY: 'up', OPENAI_BASE_URL: fake.url, DATABASE_URL: databaseUrl });
});
after(async () => {
  await gw.close();
  await fake.close();
});

/** Asks until `check` holds: the gateway reads plans changed elsewhere within its refresh (a second). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('the gateway never saw the change');
}

test('a plan made and assigned on the CLI is what the gateway lists and charges; in use, it stays', async () => {
  const created = JSON.parse(
    (
      await tokgate(
        'plans',
        'create',
        '--name',
        'resellers',
        '--multiplier',
        '1.5',
        '--rule',
        'openai/gpt-4.1*=2',
        '--rule',
        'openai/gpt-4.1-mini=0.5',
        '--price',
        'openai/gpt-4o=1,3,0.5',
        '--description',
        'the reseller tier',
      )
    ).stdout,
  );
  assert.match(created.id, /^plan_/);
  assert.deepEqual(created.multipliers, { 'openai/gpt-4.1*': 2, 'openai/gpt-4.1-mini': 0.5 });
  assert.deepEqual(created.prices, { 'openai/gpt-4o': { input: 1, output: 3, cached_input: 0.5 } });
  assert.match(
    (await tokgate('plans', 'list')).stdout,
    /resellers\s+1\.5\s+openai\/gpt-4\.1\*=2 .*openai\/gpt-4o\s+0/,
  );
  assert.equal(JSON.parse((await tokgate('plans', 'show', 'resellers')).stdout).id, created.id);

  const account = JSON.parse(
    (await tokgate('accounts', 'create', '--name', 'shop', '--credits', '2')).stdout,
  );
  const updated = JSON.parse((await tokgate('accounts', 'update', account.id, '--plan', 'resellers')).stdout);
  assert.equal(updated.plan_id, created.id);
  const { key } = await gw.createKey({ account_id: account.id });

  const pricing = async (model: string) =>
    (await readJson(await gw.call(`/v1/models/${model}`, { key }))).pricing as Record<string, string>;
  await eventually(async () => (await pricing('openai/gpt-4o')).prompt === '0.000001');
  assert.equal((await pricing('openai/gpt-4o-mini')).prompt, '0.000000225'); // $0.15 × 1.5
  assert.equal((await pricing('openai/gpt-4.1-mini')).prompt, '0.0000002'); // $0.40 × 0.5

  const res = await gw.call('/v1/chat/completions', {
    method: 'POST',
    key,
    json: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'a plan on the CLI' }] },
  });
  assert.equal(res.status, 200);
  const cost = (await readJson(res)).usage.cost;
  await gw.gateway.ledger.flush();
  const row = await readJson(
    await gw.call(`/admin/requests/${res.headers.get('x-request-id')}`, { key: ADMIN_KEY }),
  );
  assert.equal(row.cost_usd, cost);
  assert.equal(Math.round(row.upstream_cost_usd * 1e6 * 1.5), Math.round(cost * 1e6));

  const inUse = await refused('plans', 'delete', 'resellers');
  assert.equal(inUse.code, 2);
  assert.match(inUse.stderr, /1 account\(s\) are on the price plan 'resellers'/);

  const changed = JSON.parse(
    (await tokgate('plans', 'update', 'resellers', '--multiplier', '3', '--price', 'none')).stdout,
  );
  assert.equal(changed.multiplier, 3);
  assert.deepEqual(changed.prices, {});
  assert.deepEqual(changed.multipliers, { 'openai/gpt-4.1*': 2, 'openai/gpt-4.1-mini': 0.5 });
  await eventually(async () => (await pricing('openai/gpt-4o')).prompt === '0.0000075'); // $2.50 × 3

  await tokgate('accounts', 'update', account.id, '--plan', 'none');
  await eventually(async () => (await pricing('openai/gpt-4o')).prompt === '0.0000025');
  assert.equal(JSON.parse((await tokgate('plans', 'delete', 'resellers')).stdout).deleted, true);
  assert.equal((await refused('plans', 'show', 'resellers')).code, 2);
});

test('malformed plan flags are usage errors naming the flag and the command', async () => {
  for (const args of [
    ['plans', 'create', '--name', 'x', '--rule', 'openai/*'],
    ['plans', 'create', '--name', 'x', '--price', 'openai/gpt-4o=1'],
    ['plans', 'create', '--name', 'x', '--multiplier', 'cheap'],
    ['plans', 'create', '--name', 'x', '--price', 'openai/*=1,2'],
    ['plans', 'update'],
    ['accounts', 'update', 'acct_nope', '--plan', 'nope'],
  ]) {
    const { code, stderr } = await refused(...args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, /Usage: tokgate (plans|accounts) /, args.join(' '));
  }
  const help = (await tokgate('plans', 'create', '--help')).stdout;
  assert.match(help, /--rule GLOB=X/);
  assert.match((await tokgate('plans', '--help')).stdout, /plans delete/);
});
