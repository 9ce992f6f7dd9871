// GET /admin/requests: the most recent ledger rows, newest first.
import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../accounting/ledger.js';
import { microsToUsd } from '../accounting/pricing.js';
import { invalidRequest, notFound } from '../core/errors.js';
import type { RequestQuery as RequestFilter, RequestRow, Store } from '../store/store.js';
import { parseGroupBy, parseLimit, parseTime, parseWindow, usageObject } from './query.js';

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
    price_version: row.price_version,
    door: row.door,
    units: row.units,
    unit: row.unit,
  };
}

/**
 * A row as the admin sees it: also what it cost upstream at list price (`cost_usd` is what the tenant was
 * charged, after its price plan), so margin is their difference. A tenant's own rows do not show it.
 */
export function adminRequestObject(row: RequestRow) {
  return {
    ...requestObject(row),
    upstream_cost_usd: row.upstream_cost_micros === null ? null : microsToUsd(row.upstream_cost_micros),
  };
}

export function requestDetail(row: RequestRow) {
  return {
    ...adminRequestObject(row),
    attempts: row.attempts ? (JSON.parse(row.attempts) as unknown[]) : [],
  };
}

export type RequestListQuery = {
  limit?: string;
  key_id?: string;
  model?: string;
  status?: string;
  from?: string;
  to?: string;
};

/** The request-log filters from a query string; `scope` pins the key or account for self-service. */
export function requestQuery(query: RequestListQuery, scope: { keyId?: string } = {}): RequestFilter {
  const filter: RequestFilter = { limit: parseLimit(query.limit) };
  const keyId = scope.keyId ?? query.key_id;
  if (keyId) filter.keyId = keyId;
  if (query.model) filter.model = query.model;
  if (query.status) {
    if (!['ok', 'error', 'aborted'].includes(query.status)) {
      throw invalidRequest(
        `Invalid 'status': '${query.status}'. Supported values are: 'ok', 'error', and 'aborted'.`,
        'status',
        'invalid_value',
      );
    }
    filter.status = query.status;
  }
  const from = parseTime(query.from, 'from');
  const to = parseTime(query.to, 'to');
  if (from !== undefined) filter.from = from;
  if (to !== undefined) filter.to = to;
  return filter;
}

export function registerAdminRequestRoutes(app: FastifyInstance, store: Store, ledger: Ledger): void {
  app.get<{ Querystring: RequestListQuery }>('/admin/requests', async (request) => {
    const filter = requestQuery(request.query);
    await ledger.flush();
    return { object: 'list', data: (await store.listRequests(filter)).map(adminRequestObject) };
  });

  app.get<{ Params: { id: string } }>('/admin/requests/:id', async (request) => {
    await ledger.flush();
    const row = await store.getRequest(request.params.id);
    if (!row) throw notFound(`No request with id '${request.params.id}'.`);
    return requestDetail(row);
  });

  app.get<{
    Querystring: {
      key_id?: string;
      account_id?: string;
      model?: string;
      from?: string;
      to?: string;
      group_by?: string;
    };
  }>('/admin/usage', async (request) => {
    const { key_id, account_id, model } = request.query;
    await ledger.flush();
    const rows = await store.usage({
      ...parseWindow(request.query),
      groupBy: parseGroupBy(request.query.group_by),
      ...(key_id ? { keyId: key_id } : {}),
      ...(account_id ? { accountId: account_id } : {}),
      ...(model ? { model } : {}),
    });
    return { object: 'list', data: rows.map(usageObject) };
  });
}
