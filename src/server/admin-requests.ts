// GET /admin/requests: the most recent ledger rows, newest first.
import type { FastifyInstance } from 'fastify';
import { microsToUsd } from '../accounting/pricing.js';
import { invalidRequest } from '../core/errors.js';
import type { RequestRow, Store } from '../store/store.js';

export function requestObject(row: RequestRow) {
  return {
    id: row.id,
    object: 'request',
    created_at: new Date(row.created_at).toISOString(),
    key_id: row.key_id,
    account_id: row.account_id,
    model: row.model,
    provider: row.provider,
    upstream_model: row.upstream_model,
    status: row.status,
    http_status: row.http_status,
    stream: row.stream === 1,
    prompt_tokens: row.prompt_tokens,
    cached_tokens: row.cached_tokens,
    completion_tokens: row.completion_tokens,
    reasoning_tokens: row.reasoning_tokens,
    usage_source: row.usage_source,
    cost_usd: row.cost_micros === null ? null : microsToUsd(row.cost_micros),
    latency_ms: row.latency_ms,
    ttft_ms: row.ttft_ms,
    error_code: row.error_code,
  };
}

export function registerAdminRequestRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: { limit?: string; key_id?: string } }>('/admin/requests', async (request) => {
    const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw invalidRequest("Invalid 'limit': expected an integer from 1 to 1000.", 'limit', 'invalid_value');
    }
    const rows = await store.listRequests({
      limit,
      ...(request.query.key_id ? { keyId: request.query.key_id } : {}),
    });
    return { object: 'list', data: rows.map(requestObject) };
  });
}
