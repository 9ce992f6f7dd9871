// The ledger row of an outcome: charges by status, the default account, price versions only where priced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chargeOf, ledgerRow, type Outcome } from '../../src/accounting/ledger-record.js';
import type { Metered } from '../../src/accounting/meter.js';
import type { ApiKey } from '../../src/auth/authenticator.js';
import { DEFAULT_ACCOUNT_ID } from '../../src/store/schema.js';

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
