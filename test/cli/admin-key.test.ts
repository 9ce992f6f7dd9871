// `tokgate admin-key rotate` against two gateways sharing one PostgreSQL database (and, in the second case,
// one Redis): the new key is printed once and works on both; the old one stops working on both, without a
// restart.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.js';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;
const run = promisify(execFile);

interface Replica {
  url: string;
  gateway: Gateway;
}

async function startReplica(env: Record<string, string>, announce: (key: string) => void): Promise<Replica> {
  const config = loadConfig({ TOKGATE_CONFIG: '', ...env });
  const gateway = await createGateway(config, {
    log: pino({ level: 'silent' }),
    announceAdminKey: announce,
  });
  await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = gateway.app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, gateway };
}

const status = async (replica: Replica, key: string) =>
  (await fetch(`${replica.url}/admin/keys`, { headers: { authorization: `Bearer ${key}` } })).status;

/** Waits until `key` is refused (401) by the replica; the test's own timeout bounds the wait. */
async function untilRefused(replica: Replica, key: string): Promise<void> {
  while ((await status(replica, key)) !== 401) await new Promise((r) => setTimeout(r, 50));
}

async function rotate(env: Record<string, string>) {
  return run(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, 'admin-key', 'rotate'], {
    env: { PATH: process.env.PATH, TOKGATE_CONFIG: '', ...env },
  });
}

for (const withRedis of [false, true]) {
  describe(`admin-key rotate, two gateways on one PostgreSQL${withRedis ? ' and one Redis' : ''}`, () => {
    let db: TestDatabase;
    const replicas: Replica[] = [];
    let generated: string | undefined;
    const env: Record<string, string> = {};

    before(async () => {
      db = await createPostgresDatabase();
      env.DATABASE_URL = db.url;
      if (withRedis) {
        env.REDIS_URL = 'redis://127.0.0.1:6379';
        env.TOKGATE_REDIS_PREFIX = `tokgate-test-${randomBytes(4).toString('hex')}:`;
      }
      for (let i = 0; i < 2; i++)
        replicas.push(
          await startReplica(env, (key) => {
            generated = key;
          }),
        );
    });
    after(async () => {
      for (const replica of replicas) await replica.gateway.close();
      await db.drop();
    });

    test('the new key is printed once and works everywhere; the old one is refused everywhere', async () => {
      assert.ok(generated, 'the first gateway generated an admin key');
      for (const replica of replicas) assert.equal(await status(replica, generated), 200);

      let published: Promise<string> | undefined;
      let subscriber: Redis | undefined;
      if (withRedis) {
        subscriber = new Redis(env.REDIS_URL!);
        await subscriber.subscribe(`${env.TOKGATE_REDIS_PREFIX}invalidate`);
        published = new Promise((resolve) =>
          subscriber!.once('message', (_c, message: string) => resolve(message)),
        );
      }
      const { stdout, stderr } = await rotate(env);
      const rotated = stdout.trim();
      assert.match(rotated, /^sk-tg-admin-[A-Za-z0-9]{40}$/);
      assert.match(stderr, /shown only now/);
      if (published) {
        assert.deepEqual(
          JSON.parse(await published).event,
          { kind: 'admin' },
          'replicas are told over Redis',
        );
        await subscriber!.quit();
      }

      for (const replica of replicas) {
        await untilRefused(replica, generated);
        assert.equal(await status(replica, rotated), 200);
      }
      const stored = await replicas[0]!.gateway.store.getSetting('admin_key_hash');
      assert.ok(stored && !stored.includes(rotated), 'only a hash is stored');

      // Again: the key rotated a moment ago is replaced in turn.
      const again = (await rotate(env)).stdout.trim();
      assert.notEqual(again, rotated);
      for (const replica of replicas) {
        await untilRefused(replica, rotated);
        assert.equal(await status(replica, again), 200);
      }
    });
  });
}

test('with TOKGATE_ADMIN_KEY set the key comes from the environment: rotate refuses, exit 78', async () => {
  await assert.rejects(
    rotate({ DATABASE_URL: 'sqlite::memory:', TOKGATE_ADMIN_KEY: 'sk-admin-0123456789abcdefghijklmnop' }),
    (error: { code: number; stderr: string; stdout: string }) => {
      assert.equal(error.code, 78);
      assert.match(
        error.stderr,
        /^tokgate: TOKGATE_ADMIN_KEY: set, so the admin key comes from the environment/,
      );
      assert.equal(error.stderr.trim().split('\n').length, 1);
      assert.equal(error.stdout, '');
      return true;
    },
  );
});
