// The package as a user installs it: `npm pack`, a global install of the tarball into a temporary prefix,
// `tokgate serve` from there (the console, a chat against a fake OpenAI upstream), and `npm ci --omit=dev &&
// npm start` in the unpacked tarball, where SIGTERM to npm stops the server (no orphan left listening).
//
// Cost: about 30-60 s and ~60 MB of temporary files. It packs with the pack lifecycle's own scripts (prepack,
// postpack: the lockfile shipped as npm-shrinkwrap.json) but not `prepare`, the build, which `npm test` has
// just run (dist/ and console/dist/ must be current). Installs resolve from npm's cache (--prefer-offline).
// Install scripts are skipped: the only one among the dependencies is better-sqlite3's native build (minutes
// of C++ where its prebuilt binary cannot be downloaded), so this machine's own build of the same version is
// copied in; the package itself must have no install hooks, which is asserted.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};
const work = mkdtempSync(join(tmpdir(), 'tokgate-package-'));
const ADMIN_KEY = 'sk-admin-package-test-0123456789abcdef';
let fake: FakeOpenAI;
let tarball: string;

const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: { ...process.env, npm_config_update_notifier: 'false' },
    maxBuffer: 16 * 1024 * 1024,
  });

/** This checkout's build of better-sqlite3's native module, into an installed copy of the same version. */
function provideSqliteBinary(modules: string): void {
  const from = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  const to = join(modules, 'better-sqlite3/build/Release');
  mkdirSync(to, { recursive: true });
  cpSync(from, join(to, 'better_sqlite3.node'));
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Starts `command` and waits for the gateway's "listening" line. */
async function start(command: string, args: string[], cwd: string, port: number) {
  const child = spawn(command, args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(cwd, 'data', 'tokgate.db')}`,
      TOKGATE_ADMIN_KEY: ADMIN_KEY,
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      npm_config_update_notifier: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  while (!output.includes('tokgate listening')) {
    if (child.exitCode !== null) throw new Error(`${command} exited ${child.exitCode}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output };
}

async function chat(base: string): Promise<string | null | undefined> {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
  const answer = await client.chat.completions.create({
    model: 'openai/gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
  });
  return answer.choices[0]?.message.content;
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

before(async () => {
  fake = await startFakeOpenAI();
  for (const built of ['dist/cli/index.js', 'console/dist/index.html'])
    assert.ok(
      existsSync(join(root, built)),
      `${built} is missing: run npm run build && npm run build:console`,
    );
  await npm(['run', 'prepack', '--silent'], root);
  try {
    const packed = await npm(['pack', '--ignore-scripts', '--pack-destination', work], root);
    tarball = join(work, packed.stdout.trim().split('\n').at(-1)!);
  } finally {
    await npm(['run', 'postpack', '--silent'], root);
  }
});
after(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

test('the tarball holds dist/, the built console, README, LICENSE and the lockfile; no tests, benchmarks or sources', async () => {
  const { stdout } = await run('tar', ['tzf', tarball]);
  const files = stdout.trim().split('\n');
  for (const needed of [
    'package/dist/cli/index.js',
    'package/dist/limits/lua/admit.lua',
    'package/console/dist/index.html',
    'package/README.md',
    'package/LICENSE',
    'package/package.json',
    'package/npm-shrinkwrap.json',
  ])
    assert.ok(files.includes(needed), `${needed} is in the package`);
  const unwanted = files.filter((f) => /^package\/(test|bench|src|deploy|console\/src)\//.test(f));
  assert.deepEqual(unwanted, []);
  assert.ok(!files.some((f) => f.endsWith('.map') || f.endsWith('.ts')), 'no sources or source maps');
  assert.ok(!existsSync(join(root, 'npm-shrinkwrap.json')), 'postpack removed the copy of the lockfile');
  for (const hook of ['preinstall', 'install', 'postinstall'])
    assert.equal(pkg.scripts[hook], undefined, `no ${hook} script runs when the package is installed`);
});

test('npm i -g of the tarball: tokgate --version, then serve: /console, / and a chat', async () => {
  const prefix = join(work, 'prefix');
  await npm(
    ['install', '--global', '--prefix', prefix, tarball, '--prefer-offline', '--ignore-scripts'],
    work,
  );
  provideSqliteBinary(join(prefix, 'lib/node_modules/tokgate/node_modules'));
  const bin = join(prefix, 'bin/tokgate');

  assert.equal((await run(bin, ['--version'])).stdout.trim(), pkg.version);

  const cwd = mkdtempSync(join(work, 'global-'));
  const port = await freePort();
  const server = await start(bin, ['serve'], cwd, port);
  const base = `http://127.0.0.1:${port}`;
  try {
    const page = await fetch(`${base}/console`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<html/i);
    const home = await fetch(`${base}/`, { redirect: 'manual' });
    assert.equal(home.status, 302);
    assert.equal(home.headers.get('location'), '/console');
    assert.match((await chat(base)) ?? '', /fake upstream/);
  } finally {
    assert.equal(await stop(server.child), 0, server.output());
  }
});

test('npm ci --omit=dev && npm start in the unpacked tarball: no build at install; SIGTERM to npm stops the server', async () => {
  const dir = join(work, 'unpacked');
  mkdirSync(dir);
  await run('tar', ['xzf', tarball, '-C', dir, '--strip-components=1']);
  await npm(['ci', '--omit=dev', '--prefer-offline', '--ignore-scripts'], dir);
  // Dev dependencies stayed out: nothing at run time may need them.
  const installed = readdirSync(join(dir, 'node_modules'));
  for (const dev of ['typescript', 'tsx', 'vite', 'openai', '@biomejs'])
    assert.ok(!installed.includes(dev), dev);
  provideSqliteBinary(join(dir, 'node_modules'));
  // `prepare` in the unpacked package builds nothing (there is no src/): it is the one npm ci would run.
  await npm(['run', 'prepare'], dir);
  assert.ok(!existsSync(join(dir, 'src')));

  const port = await freePort();
  const server = await start('npm', ['start'], dir, port);
  const base = `http://127.0.0.1:${port}`;
  assert.match((await chat(base)) ?? '', /fake upstream/);
  // npm hands SIGTERM to its child, which is the server itself (`exec`): when npm has exited, so has the
  // server, having finished its work; a server orphaned behind npm would still be listening.
  assert.equal(await stop(server.child), 0, server.output());
  await assert.rejects(fetch(`${base}/health`), 'nothing listens on the port once npm has exited');
});
