// The gateway's HTTP API as the console sees it: the admin and self-service routes, with the signed-in key.
import type {
  Account,
  ApiKey,
  CreditEntry,
  KeyInfo,
  ModelCatalog,
  ModelKind,
  Plan,
  PlanBody,
  PublicModel,
  RequestDetail,
  RequestRecord,
  Statement,
  UsageFilter,
  UsageRow,
} from './types.js';

/** An error the gateway answered (`{"error":{message,...}}`), or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function errorMessage(status: number, body: unknown): { message: string; code: string | null } {
  if (body && typeof body === 'object' && 'error' in body) {
    const error = (body as { error: unknown }).error;
    if (error && typeof error === 'object') {
      const { message, code } = error as { message?: unknown; code?: unknown };
      if (typeof message === 'string' && message)
        return { message, code: typeof code === 'string' ? code : null };
    }
  }
  if (status === 404) return { message: 'This endpoint is not available on this gateway.', code: null };
  return { message: `The gateway answered HTTP ${status}.`, code: null };
}

export type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(
  key: string,
  method: string,
  path: string,
  options: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('Could not reach the gateway. Check that it is running.', 0);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const { message, code } = errorMessage(res.status, body);
    throw new ApiError(message, res.status, code);
  }
  return body as T;
}

interface List<T> {
  data: T[];
}

const statementPath = (accountId: string | undefined) =>
  accountId === undefined ? '/v1/statement' : `/admin/accounts/${encodeURIComponent(accountId)}/statement`;

/** Every call the console makes, bound to one key. */
export function createApi(key: string) {
  const get = <T>(path: string, query?: Query) => request<T>(key, 'GET', path, query ? { query } : {});
  const send = <T>(method: string, path: string, body?: unknown) =>
    request<T>(key, method, path, body === undefined ? {} : { body });
  const id = encodeURIComponent;

  return {
    key,
    whoami: () => get<KeyInfo>('/v1/key'),

    accounts: async () => (await get<List<Account>>('/admin/accounts')).data,
    account: (accountId: string) => get<Account>(`/admin/accounts/${id(accountId)}`),
    createAccount: (body: { name: string; credits_usd?: number }) =>
      send<Account>('POST', '/admin/accounts', body),
    updateAccount: (
      accountId: string,
      body: {
        name?: string;
        metering?: Account['metering'];
        low_balance_usd?: number | null;
        plan_id?: string | null;
      },
    ) => send<Account>('PATCH', `/admin/accounts/${id(accountId)}`, body),
    /** An account's statement (admin), or the signed-in key's own account's (no account id). */
    statement: (accountId: string | undefined, query: { from?: string; to?: string }) =>
      get<Statement>(statementPath(accountId), query),
    /** The statement as CSV text (downloaded by the page). */
    statementCsv: async (accountId: string | undefined, query: { from?: string; to?: string }) => {
      const res = await fetch(withQuery(statementPath(accountId), { ...query, format: 'csv' }), {
        headers: { authorization: `Bearer ${key}` },
      });
      if (!res.ok) throw new ApiError(`The gateway answered HTTP ${res.status}.`, res.status);
      return res.text();
    },

    plans: async () => (await get<List<Plan>>('/admin/plans')).data,
    createPlan: (body: PlanBody) => send<Plan>('POST', '/admin/plans', body),
    updatePlan: (planId: string, body: PlanBody) => send<Plan>('PATCH', `/admin/plans/${id(planId)}`, body),
    deletePlan: (planId: string) => send<unknown>('DELETE', `/admin/plans/${id(planId)}`),
    addCredits: (accountId: string, body: { amount_usd: number; note?: string }) =>
      send<unknown>('POST', `/admin/accounts/${id(accountId)}/credits`, body),
    credits: async (accountId: string) =>
      (await get<List<CreditEntry>>(`/admin/accounts/${id(accountId)}/credits`)).data,

    keys: async () => (await get<List<ApiKey>>('/admin/keys')).data,
    createKey: (body: Record<string, unknown>) => send<ApiKey & { key: string }>('POST', '/admin/keys', body),
    updateKey: (keyId: string, body: Record<string, unknown>) =>
      send<ApiKey>('PATCH', `/admin/keys/${id(keyId)}`, body),
    revokeKey: (keyId: string) => send<ApiKey>('DELETE', `/admin/keys/${id(keyId)}`),

    usage: async (admin: boolean, filter: UsageFilter) =>
      (await get<List<UsageRow>>(admin ? '/admin/usage' : '/v1/usage', { ...filter })).data,
    requests: async (admin: boolean, query: Query) =>
      (await get<List<RequestRecord>>(admin ? '/admin/requests' : '/v1/requests', query)).data,
    requestDetail: (requestId: string) => get<RequestDetail>(`/admin/requests/${id(requestId)}`),

    catalog: () => get<ModelCatalog>('/admin/models'),
    /** The models the key may use; of one kind only when given (`?kind=`, the gateway's catalog kinds). */
    models: async (kind?: ModelKind) =>
      (await get<List<PublicModel>>('/v1/models', kind ? { kind } : undefined)).data,
  };
}

export type Api = ReturnType<typeof createApi>;
