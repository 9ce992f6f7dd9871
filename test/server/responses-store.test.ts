// Stored responses on both databases: the write-behind queue, account scoping, deletion and retention; and a
// conversation continued through a gateway that keeps its state on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import pino from 'pino';
import { StoredResponses } from '../../src/server/responses/stored-responses.js';
import { Store } from '../../src/store/store.js';
import { DEFAULT_REPLY, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { startTestGateway } from '../support/gateway.js';

const DAY_MS = 86_400_000;
const silent = pino({ level: 'silent' });

const entry = (id: string, accountId: string) => ({
  id,
  accountId,
  model: 'openai/gpt-4o',
  input: [{ id: 'msg_in', type: 'message', role: 'user', content: 'hi' }],
  response: { id, object: 'response', output: [] },
});

for (const { name, create } of DATABASES) {
  describe(`stored responses on ${name}`, () => {
    let database: TestDatabase;
    let store: Store;
    let stored: StoredResponses;

    before(async () => {
      database = await create();
      store = await Store.open(database.url);
      stored = new StoredResponses(store, DAY_MS, silent);
    });

    after(async () => {
      await stored.close();
      await store.close();
      await database.drop();
    });

    test('readable at once (queued), then from the database; only by its own account', async () => {
      stored.put(entry('resp_a', 'acct_1'));
      const queued = await stored.get('resp_a', 'acct_1');
      assert.deepEqual(queued?.input, entry('resp_a', 'acct_1').input);
      assert.equal(await stored.get('resp_a', 'acct_2'), undefined);
      await stored.flush();
      const row = await store.getStoredResponse('resp_a', 'acct_1', 0);
      assert.equal(row?.account_id, 'acct_1');
      const read = await stored.get('resp_a', 'acct_1');
      assert.deepEqual(read?.response, entry('resp_a', 'acct_1').response);
      assert.equal(await stored.get('resp_a', 'acct_2'), undefined);
    });

    test('deleted only by its own account; a queued one never comes back', async () => {
      stored.put(entry('resp_b', 'acct_1'));
      assert.equal(await stored.delete('resp_b', 'acct_2'), false);
      assert.equal(await stored.delete('resp_b', 'acct_1'), true);
      await stored.flush();
      assert.equal(await stored.get('resp_b', 'acct_1'), undefined);
      assert.equal(await stored.delete('resp_b', 'acct_1'), false);
    });

    test('written once by id, also while a query-builder transaction holds the connection', async () => {
      const row = (id: string, response_json: string) => ({
        id,
        account_id: 'acct_1',
        created_at: Date.now(),
        model: 'openai/gpt-4o',
        input_json: '[]',
        response_json,
      });
      await store.insertStoredResponses([
        row('resp_once', '{"first":true}'),
        row('resp_once', '{"again":true}'),
      ]);
      await store.insertStoredResponses([row('resp_once', '{"later":true}')]);
      assert.equal(
        (await store.getStoredResponse('resp_once', 'acct_1', 0))?.response_json,
        '{"first":true}',
      );
      // The builder is private to the store; an admin operation's transaction is what this stands for.
      const builder = (store as unknown as { db: Kysely<unknown> }).db;
      let written: Promise<void> | undefined;
      await builder.transaction().execute(async (tx) => {
        await sql`select 1`.execute(tx);
        written = store.insertStoredResponses([row('resp_beside', '{}')]);
        await sql`select 1`.execute(tx);
      });
      await written;
      assert.ok(await store.getStoredResponse('resp_beside', 'acct_1', 0));
    });

    test('older than the retention: not read, and pruned', async () => {
      const old = Date.now() - 2 * DAY_MS;
      await store.insertStoredResponses([
        {
          id: 'resp_old',
          account_id: 'acct_1',
          created_at: old,
          model: 'openai/gpt-4o',
          input_json: '[]',
          response_json: '{}',
        },
      ]);
      assert.equal(await stored.get('resp_old', 'acct_1'), undefined);
      assert.equal(await store.pruneStoredResponses(Date.now() - DAY_MS), 1);
      assert.equal(await store.getStoredResponse('resp_old', 'acct_1', 0), undefined);
      assert.ok(await store.getStoredResponse('resp_a', 'acct_1', 0));
    });
  });
}

describe('a gateway on PostgreSQL', () => {
  let fake: FakeOpenAI;
  let database: TestDatabase;

  before(async () => {
    fake = await startFakeOpenAI();
    database = await DATABASES.find((d) => d.name === 'postgres')!.create();
  });

  after(async () => {
    await fake.close();
    await database.drop();
  });

  test('previous_response_id continues a conversation kept there, also after a restart', async () => {
    const env = {
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      DATABASE_URL: database.url,
      TOKGATE_SPOOL_DIR: 'off',
    };
    const gw = await startTestGateway(env);
    const key = (await gw.createKey()).key;
    let first: { id: string };
    try {
      const client = gw.client(key);
      first = await client.responses.create({ model: 'openai/gpt-4o', input: 'One.' });
      // Closed at once: the queued write is flushed on shutdown.
    } finally {
      await gw.close();
    }
    const again = await startTestGateway(env);
    try {
      const client = again.client(key);
      const second = await client.responses.create({
        model: 'openai/gpt-4o-mini',
        previous_response_id: first.id,
        input: 'Two.',
      });
      // Passed through to OpenAI's Responses API: the conversation the gateway kept, spelled out as input
      // items without the ids it gave them (OpenAI never stored them).
      const upstream = fake.requests.at(-1)!;
      assert.equal(upstream.path, '/v1/responses');
      const body = upstream.body as { input: unknown[]; previous_response_id?: unknown; model: string };
      assert.equal(body.model, 'gpt-4o-mini');
      assert.equal(body.previous_response_id, undefined);
      assert.deepEqual(body.input, [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'One.' }] },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: DEFAULT_REPLY, annotations: [], logprobs: [] }],
        },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Two.' }] },
      ]);
      assert.equal((await client.responses.retrieve(second.id)).previous_response_id, first.id);
    } finally {
      await again.close();
    }
  });
});
