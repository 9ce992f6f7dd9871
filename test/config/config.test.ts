// The config loader: every setting the gateway reads from the environment or the YAML file, validated once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

// TOKGATE_CONFIG '' reads no file (not even ./tokgate.yaml).
const load = (env: Record<string, string>) => loadConfig({ TOKGATE_CONFIG: '', ...env });

const dir = mkdtempSync(join(tmpdir(), 'tokgate-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function yamlFile(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('LOG_LEVEL', () => {
  test("is one of pino's levels: info by default, the file's server.log_level, LOG_LEVEL over both", () => {
    assert.equal(load({}).logLevel, 'info');
    assert.equal(load({ LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.equal(load({ LOG_LEVEL: 'silent' }).logLevel, 'silent');
    const file = yamlFile('server:\n  log_level: warn\n');
    assert.equal(load({ TOKGATE_CONFIG: file }).logLevel, 'warn');
    assert.equal(load({ TOKGATE_CONFIG: file, LOG_LEVEL: 'error' }).logLevel, 'error');
  });

  test('anything else is a config error naming the variable and the allowed levels', () => {
    assert.throws(
      () => load({ LOG_LEVEL: 'verbose' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          "LOG_LEVEL: 'verbose' is not a log level; use one of fatal, error, warn, info, debug, trace, silent",
    );
    assert.throws(() => load({ LOG_LEVEL: 'INFO' }), ConfigError);
    assert.throws(
      () => load({ TOKGATE_CONFIG: yamlFile('server:\n  log_level: verbose\n') }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('log_level'),
    );
  });
});

describe('TOKGATE_SPOOL_DIR', () => {
  test('a directory, or off; by default beside a SQLite file, ./data/spool with PostgreSQL, none in memory', () => {
    assert.equal(load({ TOKGATE_SPOOL_DIR: '/var/spool/tokgate' }).spoolDir, '/var/spool/tokgate');
    assert.equal(load({ TOKGATE_SPOOL_DIR: 'spool-here' }).spoolDir, resolve('spool-here'));
    assert.equal(load({ TOKGATE_SPOOL_DIR: 'off' }).spoolDir, undefined);
    assert.equal(load({}).spoolDir, resolve('data', 'spool'));
    assert.equal(load({ DATABASE_URL: 'sqlite:/srv/db/tokgate.db' }).spoolDir, '/srv/db/spool');
    assert.equal(load({ DATABASE_URL: 'sqlite::memory:' }).spoolDir, undefined);
    assert.equal(load({ DATABASE_URL: 'postgres://db/tokgate' }).spoolDir, resolve('data', 'spool'));
  });
});

describe('TOKGATE_LEDGER_STALL_SECONDS', () => {
  test('60 s by default, seconds (fractions too), 0 turns the check off; anything else stops the start', () => {
    assert.equal(load({}).ledgerStallMs, 60_000);
    assert.equal(load({ TOKGATE_LEDGER_STALL_SECONDS: '5' }).ledgerStallMs, 5_000);
    assert.equal(load({ TOKGATE_LEDGER_STALL_SECONDS: '0.5' }).ledgerStallMs, 500);
    assert.equal(load({ TOKGATE_LEDGER_STALL_SECONDS: '0' }).ledgerStallMs, 0);
    for (const bad of ['-1', 'soon', 'Infinity'])
      assert.throws(
        () => load({ TOKGATE_LEDGER_STALL_SECONDS: bad }),
        (error: unknown) =>
          error instanceof ConfigError && error.message.includes('TOKGATE_LEDGER_STALL_SECONDS'),
      );
  });
});

describe('TOKGATE_LEDGER_FLUSH_MS', () => {
  test('100 ms by default, whole milliseconds from 1 to 60000; anything else stops the start', () => {
    assert.equal(load({}).ledgerFlushMs, 100);
    assert.equal(load({ TOKGATE_LEDGER_FLUSH_MS: '5000' }).ledgerFlushMs, 5000);
    assert.equal(load({ TOKGATE_LEDGER_FLUSH_MS: '1' }).ledgerFlushMs, 1);
    for (const bad of ['0', '-5', '2.5', '60001', 'often'])
      assert.throws(
        () => load({ TOKGATE_LEDGER_FLUSH_MS: bad }),
        (error: unknown) => error instanceof ConfigError && error.message.includes('TOKGATE_LEDGER_FLUSH_MS'),
      );
  });
});

describe('TOKGATE_RESPONSES_RETENTION_DAYS', () => {
  test('30 days by default, any positive number of days; anything else stops the start', () => {
    assert.equal(load({}).responsesRetentionDays, 30);
    assert.equal(load({ TOKGATE_RESPONSES_RETENTION_DAYS: '7' }).responsesRetentionDays, 7);
    assert.equal(load({ TOKGATE_RESPONSES_RETENTION_DAYS: '0.5' }).responsesRetentionDays, 0.5);
    for (const bad of ['0', '-1', 'forever'])
      assert.throws(
        () => load({ TOKGATE_RESPONSES_RETENTION_DAYS: bad }),
        (error: unknown) =>
          error instanceof ConfigError && error.message.includes('TOKGATE_RESPONSES_RETENTION_DAYS'),
      );
  });
});

describe('images: uploads, URLs and their store', () => {
  test('defaults: 25 MiB and 16 files, an hour, the folder beside the SQLite file, no bucket', () => {
    const { images, uploads } = load({ DATABASE_URL: 'sqlite:/srv/tokgate/data.db' });
    assert.deepEqual(uploads, { maxFileBytes: 26_214_400, maxFiles: 16 });
    assert.equal(images.urlTtlSeconds, 3600);
    assert.equal(images.dir, '/srv/tokgate/images');
    assert.equal(images.s3, undefined);
    assert.equal(images.publicUrl, undefined);
  });

  test('TOKGATE_IMAGE_STORE=s3://bucket/prefix with AWS credentials; without them, or malformed, the start stops', () => {
    const env = {
      TOKGATE_IMAGE_STORE: 's3://my-bucket/images/tokgate/',
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_REGION: 'eu-central-1',
      TOKGATE_PUBLIC_URL: 'https://gw.example.com/',
    };
    const { images } = load(env);
    assert.deepEqual(images.s3, {
      bucket: 'my-bucket',
      prefix: 'images/tokgate',
      endpoint: 'https://s3.eu-central-1.amazonaws.com',
      region: 'eu-central-1',
      accessKeyId: 'AKID',
      secretAccessKey: 'secret',
      sessionToken: undefined,
    });
    assert.equal(images.publicUrl, 'https://gw.example.com');
    for (const bad of [
      { ...env, AWS_SECRET_ACCESS_KEY: '' },
      { ...env, TOKGATE_IMAGE_STORE: 'gs://bucket' },
      { ...env, TOKGATE_PUBLIC_URL: 'gw.example.com' },
      { TOKGATE_MAX_UPLOAD_BYTES: '-1' },
    ])
      assert.throws(() => load(bad), ConfigError);
  });
});

describe('TOKGATE_REDIS_PREFIX', () => {
  test('prefixes Redis keys; tokgate: by default', () => {
    assert.equal(load({}).redisPrefix, 'tokgate:');
    assert.equal(load({ TOKGATE_REDIS_PREFIX: 'blue:' }).redisPrefix, 'blue:');
  });
});

describe('routing limits', () => {
  test("Envoy's defaults: 1024 in flight and 1024 queued per deployment, a 10 s queue wait, a 20 % retry budget", () => {
    const { slots, retryBudget } = load({}).routing;
    assert.deepEqual(slots, {
      maxInFlight: 1024,
      maxQueued: 1024,
      queueTimeoutMs: 10_000,
      perDeployment: {},
    });
    assert.deepEqual(retryBudget, { percent: 20, minConcurrency: 3 });
  });

  test('set in routing:, and per deployment in routes:, the same wherever a deployment is named', () => {
    const path = yamlFile(
      [
        'routes:',
        '  smart:',
        '    - { model: a/x, max_in_flight: 8 }',
        '    - b/x',
        '  other: { deployments: [{ model: a/x, max_in_flight: 8, weight: 2 }] }',
        'routing:',
        '  max_in_flight: 64',
        '  max_queued: 0',
        '  queue_timeout_ms: 500',
        '  retry_budget: { percent: 50, min_concurrency: 1 }',
      ].join('\n'),
    );
    const { slots, retryBudget } = load({ TOKGATE_CONFIG: path }).routing;
    assert.deepEqual(slots, {
      maxInFlight: 64,
      maxQueued: 0,
      queueTimeoutMs: 500,
      perDeployment: { 'a/x': 8 },
    });
    assert.deepEqual(retryBudget, { percent: 50, minConcurrency: 1 });

    const conflict = yamlFile(
      [
        'routes:',
        '  one: [{ model: a/x, max_in_flight: 8 }]',
        '  two: [{ model: a/x, max_in_flight: 9 }]',
      ].join('\n'),
    );
    assert.throws(
      () => load({ TOKGATE_CONFIG: conflict }),
      (error: unknown) =>
        error instanceof ConfigError && /routes\.two: 'a\/x' has max_in_flight 9/.test(error.message),
    );
    assert.throws(() => load({ TOKGATE_CONFIG: yamlFile('routing: { max_in_flight: 0 }') }), ConfigError);
  });
});

describe('OpenAI-compatible vendors from the environment', () => {
  test("Cloudflare's account id goes into its URL; missing or odd, the start stops", () => {
    const providers = load({ CLOUDFLARE_API_TOKEN: 'cf-token', CLOUDFLARE_ACCOUNT_ID: 'abc123' }).providers;
    const cloudflare = providers.find((p) => p.id === 'cloudflare');
    assert.equal(cloudflare?.baseUrl, 'https://api.cloudflare.com/client/v4/accounts/abc123/ai/v1');
    assert.equal(cloudflare?.apiKey, 'cf-token');
    assert.throws(
      () => load({ CLOUDFLARE_API_TOKEN: 'cf-token' }),
      (error: unknown) => error instanceof ConfigError && /CLOUDFLARE_ACCOUNT_ID/.test(error.message),
    );
    assert.throws(() => load({ CLOUDFLARE_API_KEY: 'k', CLOUDFLARE_ACCOUNT_ID: '../x' }), ConfigError);
    // A base URL of one's own (an AI Gateway, a test) needs no account id.
    const own = load({ CLOUDFLARE_API_KEY: 'k', CLOUDFLARE_BASE_URL: 'http://127.0.0.1:9/v1/' }).providers;
    assert.equal(own.find((p) => p.id === 'cloudflare')?.baseUrl, 'http://127.0.0.1:9/v1');
  });

  test('the first of a vendor’s key variables that is set enables it; local servers need only their URL', () => {
    const byId = (env: Record<string, string>) => new Map(load(env).providers.map((p) => [p.id, p]));
    assert.equal(byId({ DEEPINFRA_TOKEN: 't' }).get('deepinfra')?.apiKey, 't');
    assert.equal(byId({ DEEPINFRA_API_KEY: 'a', DEEPINFRA_TOKEN: 't' }).get('deepinfra')?.apiKey, 'a');
    assert.equal(byId({ ZHIPUAI_API_KEY: 'z' }).get('zhipu')?.baseUrl, 'https://api.z.ai/api/paas/v4');
    assert.equal(
      byId({ LLAMA_API_KEY: 'k' }).has('llamacpp'),
      false,
      'a key alone does not enable a local server',
    );
    const local = byId({ LLAMACPP_BASE_URL: 'http://127.0.0.1:8081/v1', LLAMA_API_KEY: 'k' }).get('llamacpp');
    assert.equal(local?.apiKey, 'k');
    assert.equal(local?.free, true);
  });
});

describe('audio: upload limits and the audio-only providers', () => {
  test('25 MiB per file and 16 files by default; TOKGATE_MAX_UPLOAD_BYTES/FILES set them; junk stops the start', () => {
    assert.deepEqual(load({}).uploads, { maxFileBytes: 26_214_400, maxFiles: 16 });
    assert.deepEqual(load({ TOKGATE_MAX_UPLOAD_BYTES: '1000', TOKGATE_MAX_UPLOAD_FILES: '2' }).uploads, {
      maxFileBytes: 1000,
      maxFiles: 2,
    });
    assert.throws(() => load({ TOKGATE_MAX_UPLOAD_BYTES: '-1' }), ConfigError);
    assert.throws(() => load({ TOKGATE_MAX_UPLOAD_FILES: 'many' }), ConfigError);
  });

  test('DEEPGRAM_API_KEY and ELEVENLABS_API_KEY enable them at their vendors’ roots (or their BASE_URLs)', () => {
    const config = load({
      DEEPGRAM_API_KEY: 'dg',
      ELEVENLABS_API_KEY: 'el',
      ELEVENLABS_BASE_URL: 'http://127.0.0.1:9/',
    });
    const deepgram = config.providers.find((p) => p.id === 'deepgram');
    const elevenlabs = config.providers.find((p) => p.id === 'elevenlabs');
    assert.deepEqual(
      [deepgram?.format, deepgram?.baseUrl, deepgram?.apiKey],
      ['deepgram', 'https://api.deepgram.com', 'dg'],
    );
    assert.deepEqual(
      [elevenlabs?.format, elevenlabs?.baseUrl, elevenlabs?.apiKey],
      ['elevenlabs', 'http://127.0.0.1:9', 'el'],
    );
  });
});
