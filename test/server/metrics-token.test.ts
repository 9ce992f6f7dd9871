// TOKGATE_METRICS_TOKEN: /metrics needs the token; /ready keeps its status code public and tells its
// details only to the token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

const TOKEN = 'metrics-token-for-the-scraper';
let gw: TestGateway;

before(async () => {
  gw = await startTestGateway({ TOKGATE_METRICS_TOKEN: TOKEN });
});
after(() => gw.close());

test('/metrics needs the token, in any case of the Bearer scheme; the admin key is not it', async () => {
  assert.equal((await fetch(`${gw.url}/metrics`)).status, 401);
  assert.equal((await gw.call('/metrics', { key: ADMIN_KEY })).status, 401);
  const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: `bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /tokgate_requests_total/);
});

test('/ready: the status for anyone, the details for the token', async () => {
  const open = await fetch(`${gw.url}/ready`);
  assert.equal(open.status, 200);
  assert.deepEqual(await readJson(open), { status: 'ready' });
  const detailed = await readJson(await gw.call('/ready', { key: TOKEN }));
  assert.equal(detailed.status, 'ready');
  assert.equal(detailed.database, 'ok');
  assert.ok(detailed.ledger);
});
