// /console static serving: cache headers, client routes, missing assets, path traversal, and the 503 when
// the console was never built. Runs against a throwaway dist folder, so it needs no Vite build.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { registerConsoleRoutes } from '../../src/server/console.js';
import { errorHandler } from '../../src/server/errors.js';

const INDEX = '<!doctype html><script type="module" src="/console/assets/index-abc123.js"></script>';

async function appFor(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler(errorHandler(pino({ level: 'silent' }), 1024));
  registerConsoleRoutes(app, distDir);
  await app.ready();
  return app;
}

describe('console static serving', () => {
  let root: string;
  let app: FastifyInstance;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tokgate-console-'));
    mkdirSync(join(root, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(root, 'dist', 'index.html'), INDEX);
    writeFileSync(join(root, 'dist', 'assets', 'index-abc123.js'), 'console.log(1);');
    writeFileSync(join(root, 'dist', 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(root, 'secret.txt'), 'outside dist');
    app = await appFor(join(root, 'dist'));
  });

  after(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('index.html at /console and every client route, revalidated', async () => {
    for (const url of ['/console', '/console/', '/console/keys', '/console/requests/req_123?status=ok']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, INDEX, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    }
  });

  test('a revalidation with the same etag is a 304', async () => {
    const first = await app.inject({ url: '/console' });
    const etag = String(first.headers.etag);
    assert.match(etag, /^W\/"/);
    const again = await app.inject({ url: '/console/keys', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  test('hashed assets are cached for a year; unhashed files are revalidated', async () => {
    const js = await app.inject({ url: '/console/assets/index-abc123.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, 'console.log(1);');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    const icon = await app.inject({ url: '/console/favicon.svg' });
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'no-cache');
    const head = await app.inject({ method: 'HEAD', url: '/console/assets/index-abc123.js' });
    assert.equal(head.statusCode, 200);
  });

  test('a missing asset is a 404 error body, never index.html', async () => {
    const res = await app.inject({ url: '/console/assets/index-old.js' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.type, 'not_found_error');
  });

  test('paths cannot leave the dist folder', async () => {
    for (const url of [
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/assets/../../secret.txt',
      '/console/assets/%2e%2e/%2e%2e/secret.txt',
      '/console/..%2fsecret.txt',
    ]) {
      const res = await app.inject({ url });
      assert.notEqual(res.body, 'outside dist', url);
    }
  });

  test('without a build, /console explains how to build it (503)', async () => {
    const bare = await appFor(join(root, 'missing'));
    const res = await bare.inject({ url: '/console/keys' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.message, 'console not built: run npm run build:console');
    await bare.close();
  });
});
