// Start-up mistakes as a user makes them: real `tokgate` processes, each mistake one line on stderr naming the
// setting, what is wrong and the fix, exit code 78, no stack trace; `tokgate config check` without starting.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tokgate-config-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function yamlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with only the given environment (and PATH); `serve` would listen on a free port. */
async function tokgate(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      NODE_OPTIONS: '',
      DATABASE_URL: 'sqlite::memory:',
      TOKGATE_CONFIG: '',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // A mistake stops the process before it listens; a test that expects one never needs to kill it.
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** The one line a mistake prints, with exit code 78 and nothing that looks like a stack trace. */
function assertConfigError(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 78, `exit code; stderr: ${run.stderr}`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^tokgate: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:/);
}

/** `${inner}` as the YAML writes it. */
const ref = (inner: string) => `\${${inner}}`;

const STRONG_ADMIN_KEY = 'sk-admin-0123456789abcdefghijklmnopqrstuvwxyz';

const CATALOGUE: Array<{ mistake: string; env: Record<string, string>; line: RegExp }> = [
  {
    mistake: 'a YAML syntax error names the file and the line',
    env: { TOKGATE_CONFIG: yamlFile('syntax.yaml', 'server:\n  port: 8080\n  host: a: b\n') },
    line: /syntax\.yaml: YAML syntax error: .* at line 3, column \d+; fix the file/,
  },
  {
    mistake: 'a route naming a provider that is not enabled',
    env: { TOKGATE_CONFIG: yamlFile('route.yaml', 'routes:\n  smart: [nowhere/model]\n') },
    line: /routes\.smart: deployment 'nowhere\/model' names provider 'nowhere', which is not enabled; set its API key variable/,
  },
  {
    mistake: 'a base URL that is not a URL names the variable',
    env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'not-a-url' },
    line: /OPENAI_BASE_URL: 'not-a-url' is not a URL; set an http\(s\) URL/,
  },
  {
    mistake: 'a base URL of another scheme',
    env: { ANTHROPIC_API_KEY: 'sk-x', ANTHROPIC_BASE_URL: 'ftp://example.com' },
    line: /ANTHROPIC_BASE_URL: a URL must start with http:\/\/ or https:\/\//,
  },
  {
    mistake: 'a port out of range',
    env: { PORT: '99999' },
    line: /PORT: '99999' is not a port number from 0 to 65535/,
  },
  {
    mistake: 'a port that is not a number',
    env: { PORT: 'http' },
    line: /PORT: 'http' is not a port number/,
  },
  {
    mistake: 'a DATABASE_URL of an unsupported database (the URL itself is not repeated)',
    env: { DATABASE_URL: 'mysql://root:hunter2@x/db' },
    line: /DATABASE_URL: the scheme 'mysql:' is not supported; use sqlite:.* or postgres:\/\//,
  },
  {
    mistake: 'a REDIS_URL that is not one',
    env: { REDIS_URL: 'localhost:6379' },
    line: /REDIS_URL: not a Redis URL; use redis:\/\/host:6379/,
  },
  {
    mistake: 'LOG_LEVEL=verbose, checked before the logger sees it',
    env: { LOG_LEVEL: 'verbose' },
    line: /LOG_LEVEL: 'verbose' is not a log level; use one of fatal, error, warn, info, debug, trace, silent/,
  },
  {
    mistake: 'an unset variable in the YAML names the setting that uses it',
    env: {
      TOKGATE_CONFIG: yamlFile(
        'unset.yaml',
        `providers:\n  my-vllm:\n    base_url: http://127.0.0.1:1/v1\n    api_key: ${ref('VLLM_SECRET_NOT_SET')}\n`,
      ),
    },
    line: /unset\.yaml: providers\.my-vllm\.api_key uses \$\{VLLM_SECRET_NOT_SET\}, which is not set; set VLLM_SECRET_NOT_SET, or write \$\{VLLM_SECRET_NOT_SET:-default\}/,
  },
  {
    mistake: 'a YAML value of the wrong type names its path',
    env: { TOKGATE_CONFIG: yamlFile('type.yaml', 'server:\n  port: eighty\n') },
    line: /type\.yaml: server\.port: .*; fix the file/,
  },
  {
    mistake: 'Vertex AI with GOOGLE_APPLICATION_CREDENTIALS naming a file that is not there',
    env: { GOOGLE_VERTEX_PROJECT: 'p', GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'no-such-key.json') },
    line: /GOOGLE_APPLICATION_CREDENTIALS \(.*no-such-key\.json\) cannot be read: ENOENT/,
  },
  {
    mistake: 'Vertex AI on the metadata server, no project set, and no metadata server to name it',
    env: { GOOGLE_VERTEX_LOCATION: 'us-east5', GCE_METADATA_HOST: '127.0.0.1:1' },
    line: /Vertex AI: GOOGLE_VERTEX_PROJECT is not set and the metadata server \(127\.0\.0\.1:1\) did not name the project \(.*\); set GOOGLE_VERTEX_PROJECT$/,
  },
  {
    mistake: 'a weak TOKGATE_ADMIN_KEY',
    env: { TOKGATE_ADMIN_KEY: 'abc' },
    line: /TOKGATE_ADMIN_KEY: too weak \(3 characters\); use at least 32 characters/,
  },
  {
    mistake: 'a long admin key that is one character repeated',
    env: { TOKGATE_ADMIN_KEY: 'a'.repeat(40) },
    line: /TOKGATE_ADMIN_KEY: too weak/,
  },
  {
    mistake: 'TOKGATE_CONFIG pointing at no file',
    env: { TOKGATE_CONFIG: join(dir, 'missing.yaml') },
    line: /TOKGATE_CONFIG: the file .*missing\.yaml does not exist/,
  },
];

// Each case is its own process (about a second of start-up each): four at a time.
describe('every start-up mistake: one line, exit 78', { concurrency: 4 }, () => {
  for (const { mistake, env, line } of CATALOGUE) {
    test(`serve: ${mistake}`, async () => {
      assertConfigError(await tokgate(['serve'], env), line);
    });
  }
});

describe('tokgate config check', { concurrency: 4 }, () => {
  test('the same mistakes, without starting', async () => {
    for (const { env, line } of CATALOGUE.slice(0, 3))
      assertConfigError(await tokgate(['config', 'check'], env), line);
  });

  test('--config names the file to check (over TOKGATE_CONFIG)', async () => {
    const bad = yamlFile('check-bad.yaml', 'routes:\n  smart: [nowhere/model]\n');
    assertConfigError(await tokgate(['config', 'check', '--config', bad]), /routes\.smart/);
  });

  test('a valid configuration: exit 0 and a one-line summary; a default fills an unset variable', async () => {
    const file = yamlFile(
      'good.yaml',
      [
        'providers:',
        '  my-vllm:',
        `    base_url: ${ref('MY_VLLM_URL:-http://127.0.0.1:9/v1')}`,
        `    api_key: ${ref('MY_VLLM_KEY:-')}`,
        'routes:',
        '  smart: [my-vllm/llama, openai/gpt-4o]',
        '',
      ].join('\n'),
    );
    const run = await tokgate(['config', 'check', '--config', file], {
      OPENAI_API_KEY: 'sk-x',
      TOKGATE_ADMIN_KEY: STRONG_ADMIN_KEY,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, run.stdout);
    assert.match(lines[0]!, /^tokgate: configuration OK: /);
    assert.match(lines[0]!, /providers: .*openai.*my-vllm|providers: .*my-vllm.*openai/);
    assert.match(lines[0]!, /1 route;/);
    assert.match(lines[0]!, /admin key from TOKGATE_ADMIN_KEY/);
    assert.ok(!run.stdout.includes(STRONG_ADMIN_KEY), 'the admin key is never printed');
  });

  test('a mistake the routes find when built (mixing kinds of model) is caught too', async () => {
    const file = yamlFile('kinds.yaml', 'routes:\n  mixed: [openai/gpt-4o, openai/text-embedding-3-small]\n');
    assertConfigError(
      await tokgate(['config', 'check', '--config', file], { OPENAI_API_KEY: 'sk-x' }),
      /routes\.mixed: a route may not mix kinds of model/,
    );
  });
});
