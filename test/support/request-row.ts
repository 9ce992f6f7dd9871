// A ledger row for tests that write the ledger directly: an answered gpt-4o request, under a unique id.
import { randomBytes } from 'node:crypto';
import type { RequestRow } from '../../src/store/schema.js';

let seq = 0;

export function requestRow(over: Partial<RequestRow> = {}): RequestRow {
  seq += 1;
  return {
    id: `req_test_${process.pid}_${randomBytes(3).toString('hex')}_${seq}`,
    created_at: Date.now(),
    key_id: null,
    account_id: 'acct_default',
    model: 'openai/gpt-4o',
    provider: 'openai',
    upstream_model: 'gpt-4o',
    status: 'ok',
    http_status: 200,
    stream: 0,
    prompt_tokens: 4,
    cached_tokens: null,
    completion_tokens: 11,
    reasoning_tokens: null,
    usage_source: 'provider',
    cost_micros: 10,
    latency_ms: 3,
    ttft_ms: null,
    error_code: null,
    attempts: null,
    price_version: null,
    door: 'chat completion',
    units: null,
    unit: null,
    upstream_cost_micros: 10,
    ...over,
  };
}
