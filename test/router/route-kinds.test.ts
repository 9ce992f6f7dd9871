// A route serves one door: mixing kinds of model (chat, embedding, rerank) in one is a config error at
// start, while models the catalog does not know (no kind) may join any route.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelCatalog } from '../../src/catalog/catalog.js';
import { loadConfig } from '../../src/config/config.js';
import type { Provider } from '../../src/core/types.js';
import { Router } from '../../src/router/router.js';

const provider: Provider = {
  id: 'openai',
  format: 'openai',
  complete: () => Promise.reject(new Error('not called')),
  stream: () => {
    throw new Error('not called');
  },
};

function routerWith(routes: string[]): Router {
  const dir = mkdtempSync(join(tmpdir(), 'tokgate-route-kinds-'));
  const path = join(dir, 'tokgate.yaml');
  writeFileSync(path, ['routes:', ...routes].join('\n'));
  const config = loadConfig({ TOKGATE_CONFIG: path });
  return new Router(new Map([['openai', provider]]), new ModelCatalog(), config.routing);
}

test('a route mixing a chat model and an embedding model is refused at start, naming both', () => {
  assert.throws(
    () => routerWith(['  mixed:', '    deployments: [openai/text-embedding-3-small, openai/gpt-4o]']),
    /routes\.mixed: a route may not mix kinds of model \('openai\/text-embedding-3-small' is embedding, 'openai\/gpt-4o' is chat\)/,
  );
});

test('routes of one kind, or with models the catalog does not know, are accepted', () => {
  const router = routerWith([
    '  embed:',
    '    deployments: [openai/text-embedding-3-small, openai/text-embedding-3-large, openai/my-own-embedder]',
    '  chat:',
    '    deployments: [openai/gpt-4o, openai/gpt-4o-mini]',
  ]);
  assert.deepEqual(router.routes.names(), ['embed', 'chat']);
});
