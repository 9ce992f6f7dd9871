// The ledger row of an outcome: charges by status, the default account, price versions only where priced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chargeOf,
  LEDGER_TEXT_LIMITS,
  ledgerRow,
  type Outcome,
  storableRow,
  storableText,
} from '../../src/accounting/ledger-record.js';
import type { Metered } from '../../src/accounting/meter.js';
import type { ApiKey } from '../../src/auth/authenticator.js';
import { DEFAULT_ACCOUNT_ID, type RequestRow } from '../../src/store/schema.js';

const metered = (costMicros: number | undefined): Metered => ({
  usage: {
    prompt_tokens: 10,
    completion_tokens: 5,
    total_tokens: 15,
    prompt_tokens_details: { cached_tokens: 4 },
    completion_tokens_details: { reasoning_tokens: 2 },
  },
  source: 'provider',
  costMicros,
});

const key = { id: 'key_1', accountId: 'acct_a' } as ApiKey;

const outcome = (over: Partial<Outcome> = {}): Outcome => ({
  id: 'req_1',
  createdAt: 1_700_000_000_000,
  principal: { kind: 'key', key },
  model: 'openai/gpt-4o',
  door: 'messages',
  servedBy: { provider: 'openai', upstreamModel: 'gpt-4o-2024-08-06', priceVersion: 'builtin@2025-11-01' },
  status: 'ok',
  httpStatus: 200,
  stream: true,
  metered: metered(1234),
  latencyMs: 12.6,
  ttftMs: 3.4,
  errorCode: null,
  attempts: [],
  ...over,
});

test('an answered request: every usage column, its cost and price version, rounded times', () => {
  const row = ledgerRow(outcome());
  assert.deepEqual(row, {
    id: 'req_1',
    created_at: 1_700_000_000_000,
    key_id: 'key_1',
    account_id: 'acct_a',
    model: 'openai/gpt-4o',
    provider: 'openai',
    upstream_model: 'gpt-4o-2024-08-06',
    status: 'ok',
    http_status: 200,
    stream: 1,
    prompt_tokens: 10,
    cached_tokens: 4,
    completion_tokens: 5,
    reasoning_tokens: 2,
    usage_source: 'provider',
    cost_micros: 1234,
    latency_ms: 13,
    ttft_ms: 3,
    error_code: null,
    attempts: null,
    price_version: 'builtin@2025-11-01',
    door: 'messages',
    units: null,
    unit: null,
    upstream_cost_micros: 1234,
  });
});

test('failures cost nothing: 0 once usage was measured, null when nothing was', () => {
  assert.equal(chargeOf('error', metered(999)), 0);
  assert.equal(chargeOf('error', undefined), null);
  const row = ledgerRow(
    outcome({ status: 'error', httpStatus: 502, metered: undefined, errorCode: 'upstream_error' }),
  );
  assert.equal(row.cost_micros, null);
  assert.equal(row.prompt_tokens, null);
  assert.equal(row.usage_source, null);
  assert.equal(row.price_version, null);
  assert.equal(row.error_code, 'upstream_error');
});

test('an aborted stream pays for what was generated; an unpriced model has no cost and no price version', () => {
  assert.equal(chargeOf('aborted', metered(50)), 50);
  const unpriced = ledgerRow(outcome({ metered: metered(undefined) }));
  assert.equal(unpriced.cost_micros, null);
  assert.equal(unpriced.price_version, null);
  assert.equal(unpriced.prompt_tokens, 10);
});

test('the admin key is charged to the default account; attempts are stored as JSON', () => {
  const attempts = [{ deployment: 'openai/gpt-4o', status: 502 }];
  const row = ledgerRow(outcome({ principal: { kind: 'admin' }, attempts }));
  assert.equal(row.key_id, null);
  assert.equal(row.account_id, DEFAULT_ACCOUNT_ID);
  assert.deepEqual(JSON.parse(row.attempts!), attempts);
});

// ---- Storable rows: one odd value must not make a batch unwritable (PostgreSQL refuses U+0000 in text,
// lone surrogates, integers out of range). ----

const base = (): RequestRow => ledgerRow(outcome());
const unstorable =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not reach the database
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('control characters and lone surrogates become U+FFFD; pairs and ordinary text are kept', () => {
  assert.equal(storableText('openai/gpt\u0000-4o', 256), 'openai/gpt\ufffd-4o');
  assert.equal(storableText('a\tb\nc\u007f\u0085', 256), 'a\ufffdb\ufffdc\ufffd\ufffd');
  assert.equal(storableText('x\ud800y\udc00z', 256), 'x\ufffdy\ufffdz');
  assert.equal(storableText('tail\ud83d', 256), 'tail\ufffd');
  assert.equal(storableText('emoji 😀 ü 模型', 256), 'emoji 😀 ü 模型');
});

test('long text is cut to its limit and ends in …, never in half a surrogate pair', () => {
  const cut = storableText('m'.repeat(10 * 1024 * 1024), 256);
  assert.equal(cut.length, 256);
  assert.ok(cut.endsWith('…'));
  // The cut would fall between the halves of 😀: the whole pair goes.
  const emoji = storableText(`${'a'.repeat(254)}😀😀`, 256);
  assert.ok(emoji.length <= 256);
  assert.ok(!unstorable.test(emoji));
  assert.equal(emoji, `${'a'.repeat(254)}…`);
  assert.equal(storableText('short', 256), 'short');
});

test('every text column is cleaned and capped to its documented limit', () => {
  const long = 'x\u0000'.repeat(50_000);
  const row = storableRow({
    ...base(),
    id: long,
    key_id: long,
    account_id: long,
    model: long,
    provider: long,
    upstream_model: long,
    usage_source: long,
    error_code: long,
    price_version: long,
    door: long,
    unit: long,
  });
  for (const [column, limit] of Object.entries(LEDGER_TEXT_LIMITS)) {
    const value = row[column as keyof RequestRow];
    if (column === 'attempts' || column === 'status') continue;
    assert.equal(typeof value, 'string', column);
    assert.equal((value as string).length, limit, column);
    assert.ok(!unstorable.test(value as string), column);
  }
  assert.equal(LEDGER_TEXT_LIMITS.model, 256);
  assert.equal(LEDGER_TEXT_LIMITS.error_code, 64);
});

test('a 10 MB or NUL-holding model id through ledgerRow and storableRow (as the ledger queues it): the row is storable', () => {
  const huge = storableRow(ledgerRow(outcome({ model: `openai/${'a'.repeat(10 * 1024 * 1024)}` })));
  assert.equal(huge.model.length, 256);
  assert.ok(huge.model.startsWith('openai/aaa'));
  const nul = storableRow(
    ledgerRow(outcome({ model: 'openai/gpt-4o\u0000evil', errorCode: 'bad\u0000code' })),
  );
  assert.equal(nul.model, 'openai/gpt-4o\ufffdevil');
  assert.equal(nul.error_code, 'bad\ufffdcode');
});

test('numbers: finite integers within their column, required ones never missing', () => {
  const row = storableRow({
    ...base(),
    created_at: 1_700_000_000_000.6,
    prompt_tokens: Number.POSITIVE_INFINITY,
    completion_tokens: Number.NaN,
    cached_tokens: 2 ** 40,
    reasoning_tokens: -(2 ** 40),
    latency_ms: Number.NaN,
    ttft_ms: 12.5,
    http_status: Number.NaN,
    cost_micros: 2 ** 60,
  });
  assert.equal(row.created_at, 1_700_000_000_001);
  assert.equal(row.prompt_tokens, null, 'not finite: unknown, not 0');
  assert.equal(row.completion_tokens, null);
  assert.equal(row.cached_tokens, 2_147_483_647, 'PostgreSQL integer');
  assert.equal(row.reasoning_tokens, -2_147_483_648);
  assert.equal(row.latency_ms, 0, 'a required column gets 0');
  assert.equal(row.http_status, 0);
  assert.equal(row.ttft_ms, 13);
  assert.equal(row.cost_micros, Number.MAX_SAFE_INTEGER, 'bigint, as a safe integer');
  const noTime = storableRow({ ...base(), created_at: Number.NaN }, 42);
  assert.equal(noTime.created_at, 42);
  assert.equal(storableRow({ ...base(), cost_micros: Number.NEGATIVE_INFINITY }).cost_micros, null);
});

test('attempts JSON over its limit keeps the attempts that fit, and says how many it left out', () => {
  const attempts = Array.from({ length: 200 }, (_, i) => ({
    deployment: `openai/gpt-4o-${i}`,
    provider: 'openai',
    upstream_model: 'g'.repeat(1000),
    status: 502,
    code: 'upstream_error',
    ms: 12,
  }));
  const row = storableRow(ledgerRow(outcome({ attempts })));
  assert.ok(row.attempts!.length <= LEDGER_TEXT_LIMITS.attempts);
  const parsed = JSON.parse(row.attempts!) as Array<Record<string, unknown>>;
  const last = parsed.at(-1)!;
  assert.ok(typeof last.omitted === 'number' && last.omitted > 0);
  assert.equal(parsed.length - 1 + (last.omitted as number), 200, 'kept + omitted = all');
  assert.equal(parsed[0]!.deployment, 'openai/gpt-4o-0');
  assert.equal((parsed[0]!.upstream_model as string).length, 256, 'long strings inside are cut too');
  // Short attempts are kept exactly; text that is not JSON and too long is dropped rather than cut invalid.
  const small = [{ deployment: 'openai/gpt-4o', status: 200 }];
  assert.deepEqual(JSON.parse(ledgerRow(outcome({ attempts: small })).attempts!), small);
  assert.equal(storableRow({ ...base(), attempts: `[${'x'.repeat(5000)}` }).attempts, null);
});

test('storableRow is idempotent and leaves an ordinary row as it was', () => {
  const ordinary = base();
  assert.deepEqual(storableRow(ordinary), ordinary);
  const odd = storableRow({ ...base(), model: `a\u0000${'b'.repeat(1000)}`, prompt_tokens: 1e12 });
  assert.deepEqual(storableRow(odd), odd);
});
