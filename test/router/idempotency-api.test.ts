// Idempotency-Key through the API: a retried request gets the first answer without a second upstream call or
// a second bill; a concurrent duplicate waits for the first; another body is a 409; keys are per principal;
// failures are not kept; streaming requests ignore the key.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { readJson } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';
import { type Routed, startRouted } from './support.js';

describe('Idempotency-Key', () => {
  let r: Routed;
  let n = 0;
  before(async () => {
    r = await startRouted({ models: { 'a/idem': { price: { input: 1, output: 2 } } } });
  });
  after(async () => {
    await r.close();
  });
  beforeEach(() => {
    r.a.options = {};
    r.a.faults.length = 0;
  });

  const body = (content = 'Hi', extra: Record<string, unknown> = {}) => ({
    model: 'a/idem',
    messages: [{ role: 'user', content }],
    ...extra,
  });
  const send = (json: unknown, idempotencyKey: string, key = r.key) =>
    r.gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json,
      headers: { 'idempotency-key': idempotencyKey },
    });
  const freshKey = () => `key-${process.pid}-${n++}`;
  const rowCount = async () => {
    await r.gw.gateway.ledger.flush();
    return (await r.gw.gateway.store.listRequests({ limit: 1_000 })).length;
  };

  test('a retry gets the first answer: one upstream call, one ledger row', async () => {
    const k = freshKey();
    const calls = r.a.requests.length;
    const rows = await rowCount();
    const first = await send(body(), k);
    assert.equal(first.status, 200);
    const firstText = await first.text();
    const second = await send(body(), k);
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('x-tokgate-idempotent-replay'), 'true');
    assert.equal(first.headers.get('x-tokgate-idempotent-replay'), null);
    assert.equal(await second.text(), firstText);
    assert.equal(second.headers.get('x-tokgate-deployment'), 'a/idem');
    assert.notEqual(second.headers.get('x-request-id'), first.headers.get('x-request-id'));
    assert.equal(r.a.requests.length - calls, 1);
    assert.equal((await rowCount()) - rows, 1, 'billed once');
  });

  test('a concurrent duplicate waits for the first and gets its answer', async () => {
    r.a.options = { firstByteDelayMs: 200 };
    const k = freshKey();
    const calls = r.a.requests.length;
    const [one, two] = await Promise.all([send(body(), k), send(body(), k)]);
    assert.equal(one.status, 200);
    assert.equal(two.status, 200);
    assert.equal(await one.text(), await two.text());
    assert.equal(
      [one, two].filter((res) => res.headers.get('x-tokgate-idempotent-replay') === 'true').length,
      1,
    );
    assert.equal(r.a.requests.length - calls, 1);
  });

  test('the same key with another body is a 409', async () => {
    const k = freshKey();
    await (await send(body('Hi'), k)).arrayBuffer();
    const res = await send(body('Something else'), k);
    assert.equal(res.status, 409);
    const error = await readJson(res);
    assertMatchesSchema('ErrorResponse', error);
    assert.equal(error.error.code, 'idempotency_key_reused');
  });

  test('keys are scoped by principal', async () => {
    const k = freshKey();
    const other = (await r.gw.createKey()).key;
    const calls = r.a.requests.length;
    await (await send(body(), k)).arrayBuffer();
    const res = await send(body(), k, other);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-tokgate-idempotent-replay'), null);
    await res.arrayBuffer();
    assert.equal(r.a.requests.length - calls, 2);
  });

  test('a failure is not kept: the retry runs', async () => {
    const k = freshKey();
    r.a.faults.push({ kind: 'status', status: 500 });
    const failed = await send(body(), k);
    assert.equal(failed.status, 502);
    await failed.arrayBuffer();
    const retried = await send(body(), k);
    assert.equal(retried.status, 200);
    assert.equal(retried.headers.get('x-tokgate-idempotent-replay'), null);
    await retried.arrayBuffer();
  });

  test('streaming requests ignore the key (and say so); a malformed key is a 400', async () => {
    const k = freshKey();
    const calls = r.a.requests.length;
    for (let i = 0; i < 2; i++) {
      const res = await send(body('Hi', { stream: true }), k);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('x-tokgate-warnings') ?? '', /Idempotency-Key is ignored/);
      await res.text();
    }
    assert.equal(r.a.requests.length - calls, 2);
    const bad = await send(body(), 'has spaces in it');
    assert.equal(bad.status, 400);
  });
});
