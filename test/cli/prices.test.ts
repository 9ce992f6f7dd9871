// `tokgate prices diff|import|versions` on the database a running gateway uses (SQLite and PostgreSQL): the
// diff prints what would change and writes nothing, a malformed file is one line naming the entry and the
// field (exit 2, nothing recorded), an import is a new version that the running gateway applies by itself.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tokgate-cli-prices-'));

/** LiteLLM's file (an excerpt) with gpt-4o at $1 / $2 per million. */
const litellm = JSON.parse(readFileSync(new URL('../fixtures/litellm-prices.json', import.meta.url), 'utf8'));
Object.assign(litellm['gpt-4o'], { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 });
const goodFile = join(dir, 'prices.json');
writeFileSync(goodFile, JSON.stringify(litellm));
const badFile = join(dir, 'bad.json');
writeFileSync(
  badFile,
  JSON.stringify({ ...litellm, 'gpt-4o': { ...litellm['gpt-4o'], output_cost_per_token: -2 } }),
);
const notJson = join(dir, 'not.json');
writeFileSync(notJson, '{"gpt-4o": ');

for (const database of DATABASES) {
  // SQLite: the gateway finds the version by polling (quickly, for the test). PostgreSQL with Redis: it
  // never polls in the test's time, so only the CLI's notice over Redis can tell it.
  const viaRedis = database.name === 'postgres';
  const redis = viaRedis
    ? { REDIS_URL: 'redis://127.0.0.1:6379', TOKGATE_REDIS_PREFIX: `tg-cli-prices-${process.pid}:` }
    : {};
  describe(`tokgate prices on ${database.name} (gateway told ${viaRedis ? 'over Redis' : 'by polling'})`, () => {
    let fake: FakeOpenAI;
    let db: TestDatabase;
    let gw: TestGateway;
    let databaseUrl: string;

    const tokgate = (...args: string[]) =>
      run(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
        env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, TOKGATE_CONFIG: '', ...redis },
      });
    const gpt4o = async () => {
      const res = await gw.call('/admin/models', { key: ADMIN_KEY });
      return (await readJson(res)).data.find((m: { id: string }) => m.id === 'openai/gpt-4o');
    };

    before(async () => {
      fake = await startFakeOpenAI();
      db = await database.create();
      databaseUrl = database.name === 'sqlite' ? `sqlite:${join(dir, 'tokgate.db')}` : db.url;
      gw = await startTestGateway(
        { OPENAI_API_KEY: 'up', OPENAI_BASE_URL: fake.url, DATABASE_URL: databaseUrl, ...redis },
        { pricePollMs: viaRedis ? 3_600_000 : 200 },
      );
    });
    after(async () => {
      await gw.close();
      await fake.close();
      await db.drop();
    });

    test('diff prints the changes and writes nothing; --json is the admin API’s shape', async () => {
      const { stdout } = await tokgate('prices', 'diff', goodFile);
      assert.match(stdout, /^~ openai\/gpt-4o {2}input 2\.5 → 1, output 10 → 2$/m);
      assert.match(
        stdout,
        /^\+ openai\/gpt-4o-mini-2024-07-18 {2}input 0\.15, output 0\.6, cached_input 0\.075$/m,
      );
      // DALL·E 3, not in the built-in catalog (shut down at OpenAI), priced by the file per image.
      assert.match(
        stdout,
        /^\+ openai\/dall-e-3 {2}input 0, output 0, cached_input 0, per_image\.\*\.\* 0\.04$/m,
      );
      assert.match(stdout, /^2 added, \d+ changed, 0 removed, \d+ unchanged$/m);
      assert.match(stdout, /^entries not imported: .*1 provider not served by tokgate/m);
      const json = JSON.parse((await tokgate('prices', 'diff', goodFile, '--json')).stdout);
      assert.equal(json.format, 'litellm');
      assert.equal(json.added, 2);
      assert.equal((await tokgate('prices', 'versions')).stdout.trim().split('\n').length, 1, 'no version');
    });

    test('a malformed file, or one that is not JSON: one line, exit 2, nothing recorded', async () => {
      await assert.rejects(
        tokgate('prices', 'import', badFile),
        (error: { code: number; stderr: string }) => {
          assert.equal(error.code, 2);
          assert.match(
            error.stderr,
            /^tokgate prices import: Invalid price file: entry 'gpt-4o': field 'output_cost_per_token': .+\nUsage: tokgate prices import FILE/,
          );
          return true;
        },
      );
      await assert.rejects(
        tokgate('prices', 'import', notJson),
        (error: { code: number; stderr: string }) => {
          assert.equal(error.code, 2);
          assert.match(error.stderr, /not\.json is not JSON/);
          return true;
        },
      );
      await assert.rejects(tokgate('prices', 'import'), (error: { code: number }) => error.code === 2);
      assert.equal((await tokgate('prices', 'versions')).stdout.trim().split('\n').length, 1, 'no version');
    });

    test('import records version 1, which the running gateway applies and charges', async () => {
      const { stdout } = await tokgate('prices', 'import', goodFile, '--source', 'litellm@main');
      const version = `import-1@${new Date().toISOString().slice(0, 10)}`;
      assert.match(
        stdout,
        new RegExp(`^recorded price version 1 \\(${version}\\): 15 models, litellm format$`, 'm'),
      );
      const versions = (await tokgate('prices', 'versions')).stdout;
      assert.match(versions, new RegExp(`^1 +${version} +litellm +15 +litellm@main `, 'm'));

      for (let i = 0; i < 300 && (await gpt4o()).price_version !== version; i++)
        await new Promise((r) => setTimeout(r, 100));
      const listed = await gpt4o();
      assert.equal(listed.price_version, version);
      assert.equal(listed.price.input, 1);
      const { key } = await gw.createKey();
      const answer = await gw.client(key).chat.completions.create({
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const usage = answer.usage as unknown as {
        prompt_tokens: number;
        completion_tokens: number;
        cost: number;
      };
      assert.equal(usage.cost, (usage.prompt_tokens + 2 * usage.completion_tokens) / 1e6);
    });
  });
}
