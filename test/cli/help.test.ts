// `--help` on every command and subcommand, `--version`, and usage errors: real `tokgate` processes. Help goes
// to stdout with exit 0 and never runs the command (`serve --help` starts no server: the process ends).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { COMMANDS } from '../../src/cli/usage.js';

const CLI = new URL('../../src/cli/index.ts', import.meta.url).pathname;
const run = promisify(execFile);
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

async function tokgate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), CLI, ...args],
      {
        // A database URL nothing could open: help and usage errors never touch the database.
        env: { PATH: process.env.PATH, TOKGATE_CONFIG: '', DATABASE_URL: 'postgres://127.0.0.1:1/none' },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

const GROUPS = [
  ...new Set(
    Object.keys(COMMANDS)
      .filter((c) => c.includes(' '))
      .map((c) => c.split(' ')[0]!),
  ),
];

describe('--help on every command and group', { concurrency: 4 }, () => {
  for (const command of Object.keys(COMMANDS)) {
    test(`tokgate ${command} --help`, async () => {
      const { code, stdout, stderr } = await tokgate(...command.split(' '), '--help');
      assert.equal(code, 0, stderr);
      assert.ok(stdout.startsWith(`Usage: tokgate ${command}`), stdout);
      assert.equal(stderr, '');
    });
  }
  for (const group of GROUPS) {
    test(`tokgate ${group} -h lists its commands`, async () => {
      const { code, stdout } = await tokgate(group, '-h');
      assert.equal(code, 0);
      for (const sub of Object.keys(COMMANDS).filter((c) => c.startsWith(`${group} `)))
        assert.ok(stdout.includes(`  ${sub}`), `${sub} in:\n${stdout}`);
    });
  }
  test('tokgate --help lists every command, the options and the exit codes', async () => {
    const { code, stdout } = await tokgate('--help');
    assert.equal(code, 0);
    for (const command of Object.keys(COMMANDS)) assert.ok(stdout.includes(`  ${command}`), command);
    assert.match(stdout, /--version/);
    assert.match(stdout, /Exit codes: 0 ok, 1 runtime failure, 2 usage error, 78 configuration error/);
  });
  test('tokgate help keys create is keys create --help', async () => {
    assert.equal(
      (await tokgate('help', 'keys', 'create')).stdout,
      (await tokgate('keys', 'create', '--help')).stdout,
    );
  });
});

describe('--version and usage errors', { concurrency: 4 }, () => {
  test('tokgate --version and -v print the package version', async () => {
    assert.equal((await tokgate('--version')).stdout, `${version}\n`);
    assert.equal((await tokgate('-v')).stdout, `${version}\n`);
  });

  const USAGE_ERRORS: Array<{ args: string[]; line: RegExp; usage: string }> = [
    {
      args: ['keys', 'create', '--name', 'x', '--expires', 'next tuesday'],
      line: /^tokgate keys create: Invalid 'expires': expected an ISO date or unix seconds, got 'next tuesday'\.$/,
      usage: 'Usage: tokgate keys create --name NAME',
    },
    {
      args: ['keys', 'create', '--nmae', 'x'],
      line: /^tokgate keys create: Unknown option '--nmae'$/,
      usage: 'Usage: tokgate keys create',
    },
    {
      args: ['keys', 'revoke'],
      line: /^tokgate keys revoke: missing argument$/,
      usage: 'Usage: tokgate keys revoke ID',
    },
    {
      args: ['keys'],
      line: /^tokgate keys: 'keys' needs a command$/,
      usage: 'Usage: tokgate keys <create|list|revoke>',
    },
    {
      args: ['keys', 'frob'],
      line: /^tokgate keys: unknown keys command 'frob'$/,
      usage: 'Usage: tokgate keys',
    },
    {
      args: ['serve', '--port', '1'],
      line: /^tokgate serve: Unknown option '--port'$/,
      usage: 'Usage: tokgate serve',
    },
    {
      args: ['usage', '--group-by', 'week'],
      line: /^tokgate usage: Invalid 'group_by'/,
      usage: 'Usage: tokgate usage',
    },
    {
      args: ['frobnicate'],
      line: /^tokgate: unknown command 'frobnicate'$/,
      usage: 'Usage: tokgate <command>',
    },
  ];
  for (const { args, line, usage } of USAGE_ERRORS) {
    test(`tokgate ${args.join(' ')}: one line, the usage, exit 2`, async () => {
      const { code, stdout, stderr } = await tokgate(...args);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, '');
      const lines = stderr.trimEnd().split('\n');
      assert.match(lines[0]!, line);
      assert.ok(lines[1]?.startsWith(usage), stderr);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('a runtime failure (the database unreachable) is one line and exit 1', async () => {
    const { code, stderr } = await tokgate('keys', 'list');
    assert.equal(code, 1);
    assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
    assert.match(stderr, /^tokgate: /);
  });
});
