// Property-based fuzzing of every input a client controls: the chat body (mutations of valid requests and
// arbitrary JSON, on several providers), the admin bodies, the query parameters, and malformed HTTP. On
// SQLite and on PostgreSQL. For every input: no 5xx, errors in the API's shape with no
// stack trace or internal path; afterwards the gateway is healthy, answers, and its ledger writes.
// Seeded, so a failure reproduces (FUZZ_SEED); FUZZ_RUNS scales it (default 1500 a property: 12,000 inputs,
// about 20 s here for both databases).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic.js';
import { type FakeGoogle, startFakeGoogle } from '../fakes/google.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { DATABASES, type TestDatabase } from '../support/databases.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { rawExchange } from '../support/raw-http.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);

/** What must hold of every answer, whatever was sent. */
function assertSound(status: number, text: string, what: string): void {
  // No 5xx at all: the fakes answer sensible requests, and nonsense never reaches them.
  assert.ok(status < 500, `${what}: ${status} ${text.slice(0, 300)}`);
  assert.doesNotMatch(text, /\n\s+at [\w.<>]+ \(|node_modules|\/src\/|\/work\//, `${what}: internals leaked`);
  if (status < 400) return;
  const body = JSON.parse(text) as { error?: Record<string, unknown> };
  assert.equal(typeof body.error?.message, 'string', `${what}: error shape ${text.slice(0, 200)}`);
  assert.equal(typeof body.error?.type, 'string', `${what}: error type`);
  assert.ok('param' in body.error! && 'code' in body.error!, `${what}: param and code`);
}

const MODELS = [
  'openai/gpt-4o',
  'anthropic/claude-sonnet-4-5',
  'google/gemini-2.0-flash',
  'nope/model',
  'openai',
  '',
];

// JSON values of every kind, including the awkward ones: U+0000, lone surrogates, huge numbers, deep-ish.
const awkwardString = fc.oneof(
  fc.string(),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '../..', 'x'.repeat(5000), '%00', '\r\n', '1e309', '-0'),
);
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(9e15, -1, 0, 2 ** 53, 1e308),
    awkwardString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(awkwardString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const validChat = fc.record({
  model: fc.constantFrom(...MODELS.slice(0, 3)),
  messages: fc.constant([
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hello' },
  ]),
  stream: fc.boolean(),
});

const CHAT_FIELDS = [
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'n',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'tools',
  'tool_choice',
  'response_format',
  'seed',
  'user',
  'metadata',
  'logit_bias',
  'reasoning_effort',
  'models',
  'presence_penalty',
];
const MESSAGE_PATHS = ['role', 'content', 'tool_calls', 'tool_call_id', 'name'];

/** A valid request with one to three fields (or message fields) replaced by anything. */
const mutatedChat = fc
  .tuple(
    validChat,
    fc.array(fc.tuple(fc.constantFrom(...CHAT_FIELDS), json), { minLength: 1, maxLength: 3 }),
    fc.option(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.constantFrom(...MESSAGE_PATHS), json)),
  )
  .map(([base, fields, messageField]) => {
    const body: Record<string, unknown> = { ...base, messages: base.messages.map((m) => ({ ...m })) };
    for (const [field, value] of fields) body[field] = value;
    if (messageField && Array.isArray(body.messages)) {
      const [index, path, value] = messageField;
      const message = body.messages[index];
      if (message && typeof message === 'object') (message as Record<string, unknown>)[path] = value;
    }
    return body;
  });

const MALFORMED_HTTP = [
  'GARBAGE\r\n\r\n',
  'GET / HTTP/9.9\r\n\r\n',
  'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
  'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  'GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n',
  `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'GET /v1/%zz HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /v1/models\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
];

for (const database of DATABASES) {
  describe(`fuzz on ${database.name}`, () => {
    let db: TestDatabase;
    let gw: TestGateway;
    let openai: FakeOpenAI;
    let anthropic: FakeAnthropic;
    let google: FakeGoogle;
    let tenant: string;

    before(async () => {
      db = await database.create();
      [openai, anthropic, google] = await Promise.all([
        startFakeOpenAI(),
        startFakeAnthropic(),
        startFakeGoogle(),
      ]);
      gw = await startTestGateway({
        DATABASE_URL: db.url,
        OPENAI_API_KEY: 'up',
        OPENAI_BASE_URL: openai.url,
        ANTHROPIC_API_KEY: 'up',
        ANTHROPIC_BASE_URL: anthropic.url,
        GEMINI_API_KEY: 'up',
        GEMINI_BASE_URL: google.url,
        LOG_LEVEL: 'warn',
      });
      tenant = (await gw.createKey({ name: 'fuzz', tpm: 10_000_000 })).key;
    });
    after(async () => {
      await gw.close();
      await Promise.all([openai.close(), anthropic.close(), google.close()]);
      await db.drop();
    });

    const post = async (path: string, body: unknown, key = ADMIN_KEY, method = 'POST') => {
      const res = await fetch(`${gw.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };

    test('chat bodies: valid requests with fields replaced by anything', async () => {
      await fc.assert(
        fc.asyncProperty(mutatedChat, async (body) => {
          const { status, text } = await post('/v1/chat/completions', body, tenant);
          if (status === 200 && body.stream === true) assert.match(text, /^(data: |: )/);
          else assertSound(status, text, JSON.stringify(body).slice(0, 200));
        }),
        { numRuns: RUNS, seed: SEED },
      );
    });

    test('chat bodies: any JSON at all, and any model id', async () => {
      await fc.assert(
        fc.asyncProperty(json, fc.oneof(fc.constantFrom(...MODELS), awkwardString), async (body, model) => {
          const withModel =
            body && typeof body === 'object' && !Array.isArray(body) ? { ...body, model } : body;
          const { status, text } = await post('/v1/chat/completions', withModel, tenant);
          assertSound(status, text, JSON.stringify(withModel).slice(0, 200));
        }),
        { numRuns: RUNS, seed: SEED },
      );
    });

    test('admin bodies', async () => {
      const account = JSON.parse((await post('/admin/accounts', { name: 'fuzzed', credits_usd: 1 })).text);
      const key = JSON.parse((await post('/admin/keys', { name: 'fuzzed' })).text);
      const targets: Array<[string, string]> = [
        ['POST', '/admin/accounts'],
        ['POST', '/admin/keys'],
        ['PATCH', `/admin/keys/${key.id}`],
        ['PATCH', `/admin/accounts/${account.id}`],
        ['POST', `/admin/accounts/${account.id}/credits`],
      ];
      const fields = [
        'name',
        'credits_usd',
        'amount_usd',
        'note',
        'account_id',
        'models',
        'budget_usd',
        'rpm',
        'tpm',
        'expires_at',
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...targets),
          fc.oneof(json, fc.dictionary(fc.constantFrom(...fields), json, { maxKeys: 4 })),
          async ([method, path], body) => {
            const { status, text } = await post(path, body, ADMIN_KEY, method);
            assertSound(status, text, `${method} ${path} ${JSON.stringify(body).slice(0, 200)}`);
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
    });

    test('query parameters', async () => {
      const paths = ['/admin/usage', '/admin/requests', '/v1/usage', '/v1/requests'];
      const params = ['from', 'to', 'limit', 'group_by', 'key_id', 'account_id', 'model', 'status'];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          fc.dictionary(fc.constantFrom(...params), awkwardString, { maxKeys: 4 }),
          async (path, query) => {
            const search = new URLSearchParams(query).toString();
            const res = await fetch(`${gw.url}${path}?${search}`, {
              headers: { authorization: `Bearer ${ADMIN_KEY}` },
            });
            assertSound(res.status, await res.text(), `${path}?${search.slice(0, 200)}`);
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
    });

    test('malformed HTTP gets a 4xx in the API’s shape, or the connection closed', async () => {
      let answered = 0;
      for (const request of MALFORMED_HTTP) {
        const answer = await rawExchange(gw.url, request);
        if (answer === '') continue;
        answered++;
        const status = Number(answer.slice(9, 12));
        assert.ok(
          status >= 400 && status < 500,
          `${JSON.stringify(request.slice(0, 60))}: ${answer.slice(0, 100)}`,
        );
        assertSound(status, answer.slice(answer.indexOf('\r\n\r\n') + 4), request.slice(0, 60));
      }
      // Silence is allowed for a request, not for all of them: most get an answer to check.
      assert.ok(
        answered >= MALFORMED_HTTP.length / 2,
        `only ${answered} of ${MALFORMED_HTTP.length} answered`,
      );
    });

    test('afterwards the gateway is healthy, answers, and its ledger writes', async () => {
      assert.equal((await fetch(`${gw.url}/health`)).status, 200);
      const ok = await post(
        '/v1/chat/completions',
        { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        tenant,
      );
      assert.equal(ok.status, 200);
      await gw.gateway.ledger.flush();
      const ready = JSON.parse((await post('/ready', undefined, ADMIN_KEY, 'GET')).text);
      assert.equal(ready.status, 'ready');
      assert.equal(ready.ledger.buffered, 0);
      assert.equal(ready.ledger.dead_letters, 0, 'every fuzzed row was storable');
    });
  });
}
