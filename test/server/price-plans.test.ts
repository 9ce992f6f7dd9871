// Price plans end to end (issue 20), on SQLite and on PostgreSQL: /admin/plans CRUD, an account put on a
// plan, every rule (global, glob, exact, fixed price) charged on the chat, streaming and embeddings doors,
// the ledger row carrying the tenant's cost and the list-price upstream cost, holds at the plan's price,
// GET /v1/models showing the tenant's prices in OpenRouter's `pricing` shape, and a change made on one
// replica reaching another over Redis.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fixedPrice } from '../../src/accounting/plans.js';
import { costMicros } from '../../src/accounting/pricing.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { gatewayOnDatabase } from '../support/database-gateway.js';
import { createPostgresDatabase, DATABASES, type TestDatabase } from '../support/databases.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

const micros = (usd: number) => Math.round(usd * 1e6);

for (const database of DATABASES) {
  describe(`price plans on ${database.name}`, () => {
    const setup = gatewayOnDatabase(database);

    const admin = async (method: string, path: string, json?: unknown) => {
      const res = await setup.gw.call(path, {
        method,
        key: ADMIN_KEY,
        ...(json === undefined ? {} : { json }),
      });
      return { status: res.status, body: await readJson(res) };
    };
    const listPrice = (model: string) => setup.gw.gateway.router.catalog.get(model)!.price!;
    /** The request's ledger row as the admin sees it. */
    const row = async (requestId: string) => {
      await setup.gw.gateway.ledger.flush();
      const { status, body } = await admin('GET', `/admin/requests/${requestId}`);
      assert.equal(status, 200);
      return body;
    };
    const chat = async (key: string, model: string, extra: Record<string, unknown> = {}) => {
      const res = await setup.gw.call('/v1/chat/completions', {
        method: 'POST',
        key,
        json: {
          model,
          messages: [{ role: 'user', content: 'price this answer please' }],
          max_tokens: 9,
          ...extra,
        },
      });
      return { res, id: res.headers.get('x-request-id')! };
    };

    test('plans: created, listed, read, changed, refused when invalid, deleted only when unused', async () => {
      const created = await admin('POST', '/admin/plans', {
        name: 'crud',
        multiplier: 1.3,
        multipliers: { 'openai/*': 0.8 },
        prices: { 'openai/gpt-4o': { input: 1, output: 4, cached_input: 0.5 } },
      });
      assert.equal(created.status, 201);
      assert.match(created.body.id, /^plan_/);
      assert.equal(created.body.object, 'plan');
      assert.deepEqual(created.body.multipliers, { 'openai/*': 0.8 });
      assert.equal(created.body.accounts, 0);
      assert.equal((await admin('POST', '/admin/plans', { name: 'crud' })).status, 409, 'names are unique');
      for (const bad of [
        { name: 'x', multiplier: -1 },
        { name: 'x', multipliers: { 'openai/*': 'cheap' } },
        { name: 'x', prices: { 'openai/*': { input: 1, output: 1 } } },
        { name: 'x', prices: { 'openai/gpt-4o': { input: 1 } } },
        { name: 'x', surprise: true },
        { name: '' },
      ]) {
        const refused = await admin('POST', '/admin/plans', bad);
        assert.equal(refused.status, 400, JSON.stringify(bad));
        assert.equal(refused.body.error.type, 'invalid_request_error');
      }
      const listed = await admin('GET', '/admin/plans');
      assert.ok(listed.body.data.some((p: { id: string }) => p.id === created.body.id));
      assert.equal((await admin('GET', '/admin/plans/crud')).body.id, created.body.id, 'by name too');
      const changed = await admin('PATCH', `/admin/plans/${created.body.id}`, { multiplier: 2, prices: {} });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.multiplier, 2);
      assert.deepEqual(changed.body.prices, {});
      assert.deepEqual(changed.body.multipliers, { 'openai/*': 0.8 }, 'what the patch leaves out stays');

      const acct = (await admin('POST', '/admin/accounts', { name: 'on crud' })).body;
      const assigned = await admin('PATCH', `/admin/accounts/${acct.id}`, { plan_id: 'crud' });
      assert.equal(assigned.status, 200);
      assert.equal(assigned.body.plan_id, created.body.id);
      const unknown = await admin('PATCH', `/admin/accounts/${acct.id}`, { plan_id: 'plan_nope' });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.param, 'plan_id');
      assert.equal((await admin('GET', `/admin/plans/${created.body.id}`)).body.accounts, 1);
      const inUse = await admin('DELETE', `/admin/plans/${created.body.id}`);
      assert.equal(inUse.status, 409);
      assert.equal(inUse.body.error.code, 'plan_in_use');
      await admin('PATCH', `/admin/accounts/${acct.id}`, { plan_id: null });
      assert.equal((await admin('DELETE', `/admin/plans/${created.body.id}`)).status, 200);
      assert.equal((await admin('GET', `/admin/plans/${created.body.id}`)).status, 404);
    });

    test('every rule charged as documented; the row carries the charge and the list-price upstream cost', async () => {
      const plan = (
        await admin('POST', '/admin/plans', {
          name: 'rules',
          multiplier: 2,
          multipliers: { 'openai/gpt-4.1*': 1.5, 'openai/gpt-4.1-mini': 0.5 },
          prices: { 'openai/gpt-4o': { input: 1, output: 3 } },
        })
      ).body;
      const acct = (await admin('POST', '/admin/accounts', { name: 'tenant', credits_usd: 5 })).body;
      await admin('PATCH', `/admin/accounts/${acct.id}`, { plan_id: plan.id });
      const { key } = await setup.gw.createKey({ account_id: acct.id });

      const cases: Array<[string, (list: number, usage: Usage) => number]> = [
        ['openai/gpt-4o-mini', (list) => Math.round(list * 2)], // global
        ['openai/gpt-4.1', (list) => Math.round(list * 1.5)], // glob
        ['openai/gpt-4.1-mini', (list) => Math.round(list * 0.5)], // exact id beats the glob
        ['openai/gpt-4o', (_list, usage) => costMicros(fixedPrice({ input: 1, output: 3 }) as never, usage)!], // fixed
      ];
      for (const [model, expected] of cases) {
        for (const stream of [false, true]) {
          const { res, id } = await chat(
            key,
            model,
            stream ? { stream: true, stream_options: { include_usage: true } } : {},
          );
          assert.equal(res.status, 200);
          const text = await res.text();
          const told = stream
            ? JSON.parse(
                text
                  .split('\n')
                  .filter((l) => l.startsWith('data: {'))
                  .at(-1)!
                  .slice(6),
              ).usage.cost
            : JSON.parse(text).usage.cost;
          const r = await row(id);
          const usage = {
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            total_tokens: 0,
          };
          const list = costMicros(listPrice(model), usage)!;
          assert.ok(list > 0, 'a cost to multiply');
          assert.equal(micros(r.upstream_cost_usd), list, `${model}: upstream at list price`);
          assert.equal(micros(r.cost_usd), expected(list, usage), `${model}: the plan's price`);
          assert.equal(micros(told), micros(r.cost_usd), `${model}: the answer tells what the row charged`);
          assert.notEqual(micros(r.cost_usd), list, `${model}: the plan changed the charge`);
        }
      }

      // Another door: embeddings take the global multiplier.
      const res = await setup.gw.call('/v1/embeddings', {
        method: 'POST',
        key,
        json: {
          model: 'openai/text-embedding-3-small',
          input: 'embed these words at the plan price '.repeat(800),
        },
      });
      assert.equal(res.status, 200);
      const e = await row(res.headers.get('x-request-id')!);
      assert.ok(e.upstream_cost_usd > 0, JSON.stringify(e));
      assert.equal(micros(e.cost_usd), Math.round(micros(e.upstream_cost_usd) * 2));

      // The Messages and Responses doors: the same pipeline, the same charge (the global multiplier).
      for (const [path, body] of [
        [
          '/v1/messages',
          {
            model: 'openai/gpt-4o-mini',
            max_tokens: 9,
            messages: [{ role: 'user', content: 'via messages' }],
          },
        ],
        ['/v1/responses', { model: 'openai/gpt-4o-mini', input: 'via responses', max_output_tokens: 16 }],
      ] as const) {
        const answer = await setup.gw.call(path, { method: 'POST', key, json: body });
        assert.equal(answer.status, 200, path);
        const id = answer.headers.get('x-request-id') ?? answer.headers.get('request-id');
        const r = await row(id!);
        assert.ok(r.upstream_cost_usd > 0, path);
        assert.equal(micros(r.cost_usd), Math.round(micros(r.upstream_cost_usd) * 2), path);
      }

      // The balance moved by what the tenant was charged, and the margin is a query over the rows.
      const requests = (await admin('GET', '/admin/requests?limit=100')).body.data.filter(
        (r: { account_id: string }) => r.account_id === acct.id,
      );
      const charged = requests.reduce((sum: number, r: { cost_usd: number }) => sum + micros(r.cost_usd), 0);
      const account = (await admin('GET', `/admin/accounts/${acct.id}`)).body;
      assert.equal(micros(account.spend_usd), charged);
      const statement = (await admin('GET', `/admin/accounts/${acct.id}/statement`)).body;
      assert.equal(statement.plan_id, plan.id);
      assert.equal(micros(statement.spend_total_usd), charged);
      const upstream = requests.reduce(
        (s: number, r: { upstream_cost_usd: number }) => s + micros(r.upstream_cost_usd),
        0,
      );
      assert.equal(micros(statement.upstream_total_usd), upstream);

      // The tenant's own statement: the same charges, never what they cost upstream.
      const own_ = await readJson(await setup.gw.call('/v1/statement', { key }));
      assert.equal(own_.account_id, acct.id);
      assert.equal(micros(own_.spend_total_usd), charged);
      assert.equal('upstream_total_usd' in own_, false);
      for (const line of own_.spend) assert.equal('upstream_cost_usd' in line, false);
      const csv = await setup.gw.call('/v1/statement?format=csv', { key });
      assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
      assert.match(await csv.text(), /^type,date,model,id,note,requests,amount_usd\r\n/);

      // A tenant's own rows show what it paid, never what it cost upstream.
      const own = await readJson(await setup.gw.call('/v1/requests', { key }));
      assert.ok(own.data.length > 0);
      for (const r of own.data) assert.equal('upstream_cost_usd' in r, false);
    });

    test('an account on no plan pays list prices, and the row says the same for both', async () => {
      const { key } = await setup.gw.createKey();
      const { res, id } = await chat(key, 'openai/gpt-4o-mini');
      assert.equal(res.status, 200);
      const r = await row(id);
      assert.ok(r.cost_usd > 0);
      assert.equal(r.upstream_cost_usd, r.cost_usd);
    });

    test('holds are at the plan price: a balance the list price fits, the plan price does not', async () => {
      const plan = (await admin('POST', '/admin/plans', { name: 'dear', multiplier: 1000 })).body;
      const acct = (await admin('POST', '/admin/accounts', { name: 'small', credits_usd: 0.001 })).body;
      const { key } = await setup.gw.createKey({ account_id: acct.id });
      const before = setup.fake.requests.length;
      const cheap = await chat(key, 'openai/gpt-4o-mini', { max_tokens: 20 });
      assert.equal(cheap.res.status, 200, 'at list price it fits');
      await admin('PATCH', `/admin/accounts/${acct.id}`, { plan_id: plan.id });
      const sent = setup.fake.requests.length;
      assert.equal(sent, before + 1);
      const dear = await chat(key, 'openai/gpt-4o-mini', { max_tokens: 20 });
      assert.equal(dear.res.status, 403);
      const body = await readJson(dear.res);
      assert.match(body.error.message, /credits|balance/i);
      assert.equal(setup.fake.requests.length, sent, 'a refused request sends nothing upstream');
    });

    test('GET /v1/models: the tenant key sees its prices in OpenRouter’s pricing shape', async () => {
      const plan = (
        await admin('POST', '/admin/plans', {
          name: 'listing',
          multiplier: 2,
          prices: { 'openai/gpt-4o': { input: 1, output: 3, cached_input: 0.25 } },
        })
      ).body;
      const acct = (await admin('POST', '/admin/accounts', { name: 'lister' })).body;
      await admin('PATCH', `/admin/accounts/${acct.id}`, { plan_id: plan.id });
      const { key } = await setup.gw.createKey({ account_id: acct.id });
      const { key: plain } = await setup.gw.createKey();
      type Listed = { id: string; pricing?: Record<string, string> };
      const models = async (k: string) => {
        const { data } = (await readJson(await setup.gw.call('/v1/models', { key: k }))) as {
          data: Listed[];
        };
        return new Map(data.map((m) => [m.id, m]));
      };
      const mine = await models(key);
      const listed = await models(plain);
      // gpt-4o-mini: $0.15 / $0.60 per million, ×2.
      assert.deepEqual(listed.get('openai/gpt-4o-mini')?.pricing, {
        prompt: '0.00000015',
        completion: '0.0000006',
        request: '0',
        input_cache_read: '0.000000075',
      });
      assert.deepEqual(mine.get('openai/gpt-4o-mini')?.pricing, {
        prompt: '0.0000003',
        completion: '0.0000012',
        request: '0',
        input_cache_read: '0.00000015',
      });
      assert.deepEqual(mine.get('openai/gpt-4o')?.pricing, {
        prompt: '0.000001',
        completion: '0.000003',
        request: '0',
        input_cache_read: '0.00000025',
      });
      const one = await readJson(await setup.gw.call('/v1/models/openai/gpt-4o', { key }));
      assert.equal(one.pricing.prompt, '0.000001');
      // The official client reads the list as ever.
      const page = await setup.gw.client(key).models.list();
      assert.ok(page.data.some((m) => m.id === 'openai/gpt-4o'));
    });
  });
}

type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

describe('price plans across replicas (PostgreSQL + Redis)', () => {
  let fake: FakeOpenAI;
  let db: TestDatabase;
  let a: TestGateway;
  let b: TestGateway;

  before(async () => {
    fake = await startFakeOpenAI();
    db = await createPostgresDatabase();
    const env = {
      OPENAI_API_KEY: 'up',
      OPENAI_BASE_URL: fake.url,
      DATABASE_URL: db.url,
      REDIS_URL: process.env.TOKGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379',
      TOKGATE_REDIS_PREFIX: `tokgate-test-plans-${randomBytes(4).toString('hex')}:`,
    };
    // Cached plans are trusted for an hour: only Redis can tell a replica of a change in time.
    a = await startTestGateway(env, { planRefreshMs: 3_600_000 });
    b = await startTestGateway(env, { planRefreshMs: 3_600_000 });
  });
  after(async () => {
    await a.close();
    await b.close();
    await fake.close();
    await db.drop();
  });

  /** Asks until `check` holds (Redis delivers in the background). */
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail('the other replica never saw the change');
  }

  test('a plan changed or assigned on one replica is what the other charges, told over Redis', async () => {
    const admin = async (gw: TestGateway, method: string, path: string, json?: unknown) =>
      readJson(await gw.call(path, { method, key: ADMIN_KEY, ...(json === undefined ? {} : { json }) }));
    const plan = await admin(a, 'POST', '/admin/plans', { name: 'fleet', multiplier: 2 });
    const acct = await admin(a, 'POST', '/admin/accounts', { name: 'fleet tenant' });
    const { key } = await a.createKey({ account_id: acct.id });
    const prompt = async (gw: TestGateway) =>
      (await readJson(await gw.call('/v1/models/openai/gpt-4o-mini', { key }))).pricing.prompt as string;
    assert.equal(await prompt(b), '0.00000015', 'on no plan: list price');

    await admin(a, 'PATCH', `/admin/accounts/${acct.id}`, { plan_id: plan.id });
    assert.equal(await prompt(a), '0.0000003', 'the replica that changed it at once');
    await eventually(async () => (await prompt(b)) === '0.0000003');
    await admin(a, 'PATCH', `/admin/plans/${plan.id}`, { multiplier: 4 });
    await eventually(async () => (await prompt(b)) === '0.0000006');

    // What B charges is the plan's price, and the row it writes says both.
    const res = await b.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'across the fleet' }] },
    });
    assert.equal(res.status, 200);
    await b.gateway.ledger.flush();
    const row = await admin(a, 'GET', `/admin/requests/${res.headers.get('x-request-id')}`);
    assert.ok(row.upstream_cost_usd > 0);
    assert.equal(micros(row.cost_usd), micros(row.upstream_cost_usd) * 4);
  });
});
