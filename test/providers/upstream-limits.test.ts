// What an upstream can no longer do to the gateway or its tenants: flood it with an answer of any size
// (cut at the limit, the connection closed, not retried), or make it repeat a credential to a tenant
// (the gateway's own keys and anything shaped like one are masked).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

const PROVIDER_KEY = 'plain-upstream-secret-zzz9';

let fake: FakeOpenAI;
let gw: TestGateway;

before(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    OPENAI_API_KEY: PROVIDER_KEY,
    OPENAI_BASE_URL: fake.url,
    TOKGATE_MAX_UPSTREAM_ANSWER_MB: '1',
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

const chat = (extra: Record<string, unknown> = {}) =>
  gw.call('/v1/chat/completions', {
    method: 'POST',
    key: ADMIN_KEY,
    json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra },
  });

describe('answers larger than the limit', () => {
  test('a JSON answer over the limit is a 502, tried once, and the gateway goes on', async () => {
    const huge = JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'x'.repeat(3 * 1024 * 1024) },
          finish_reason: 'stop',
        },
      ],
    });
    const before = fake.requests.length;
    fake.faults.push({ kind: 'status', status: 200, body: huge });
    const res = await chat();
    assert.equal(res.status, 502);
    assert.equal((await readJson(res)).error.code, 'upstream_answer_too_large');
    assert.equal(fake.requests.length, before + 1, 'not retried');
    assert.equal((await chat()).status, 200, 'the next request is served');
  });

  test('a stream over the limit ends with an in-band error, never [DONE]', async () => {
    fake.options.reply = 'y'.repeat(2 * 1024 * 1024);
    try {
      const res = await chat({ stream: true });
      const text = await res.text();
      if (res.status === 200) {
        assert.match(text, /upstream_answer_too_large/);
        assert.doesNotMatch(text, /\[DONE\]/);
      } else {
        assert.equal(res.status, 502);
        assert.match(text, /upstream_answer_too_large/);
      }
    } finally {
      delete fake.options.reply;
    }
  });
});

describe('credentials in upstream errors', () => {
  test('the provider key quoted by the upstream is masked to its last four characters', async () => {
    fake.faults.push({
      kind: 'status',
      status: 401,
      body: {
        error: { message: `Incorrect API key provided: ${PROVIDER_KEY}.`, type: 'invalid_request_error' },
      },
    });
    const res = await chat();
    const text = await res.text();
    assert.equal(res.status, 502);
    assert.ok(!text.includes(PROVIDER_KEY), text);
    assert.match(text, /\*{8}zzz9/);
    const logged = gw.logs.join('');
    assert.ok(!logged.includes(PROVIDER_KEY), 'nor is it in the log');
  });

  test('anything shaped like a key is masked too', async () => {
    const foreign = 'sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789';
    fake.faults.push({
      kind: 'status',
      status: 400,
      body: { error: { message: `The key ${foreign} has no access`, type: 'invalid_request_error' } },
    });
    const text = await (await chat()).text();
    assert.ok(!text.includes(foreign), text);
    assert.match(text, /\*{8}6789/);
  });
});
