// A gateway on one of the test databases, with a fake OpenAI upstream: the setup every suite that runs
// the money paths on SQLite and on PostgreSQL shares. Started before the enclosing describe block's tests,
// stopped after them.
import { after, before } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import type { DATABASES, TestDatabase } from './databases.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export interface DatabaseGateway {
  /** Set once the block's `before` has run. */
  gw: TestGateway;
  fake: FakeOpenAI;
  db: TestDatabase;
}

export function gatewayOnDatabase(database: (typeof DATABASES)[number]): DatabaseGateway {
  const setup = {} as DatabaseGateway;
  before(async () => {
    setup.fake = await startFakeOpenAI();
    setup.db = await database.create();
    setup.gw = await startTestGateway({
      OPENAI_API_KEY: 'up',
      OPENAI_BASE_URL: setup.fake.url,
      DATABASE_URL: setup.db.url,
    });
  });
  after(async () => {
    await setup.gw?.close();
    await setup.fake?.close();
    await setup.db?.drop();
  });
  return setup;
}
