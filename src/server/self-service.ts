// Self-service for the calling key: GET /v1/key, /v1/usage, /v1/requests and /v1/statement (its account's). The admin key sees a short
// description of itself (the console uses it to tell admin from tenant).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Ledger } from '../accounting/ledger.js';
import { notFound } from '../core/errors.js';
import { DEFAULT_ACCOUNT_ID } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { accountObject } from './admin-accounts.js';
import { keyObject } from './admin-keys.js';
import { type RequestListQuery, requestObject, requestQuery } from './admin-requests.js';
import { refuseNul } from './nul-guard.js';
import { parseGroupBy, parseWindow, usageObject } from './query.js';
import { accountStatement, parseFormat, statementCsv, tenantStatement } from './statement.js';

export function registerSelfServiceRoutes(app: FastifyInstance, store: Store, ledger: Ledger): void {
  app.get('/v1/key', async (request: FastifyRequest) => {
    const principal = request.principal!;
    if (principal.kind === 'admin') return { object: 'admin', name: 'admin', account_id: DEFAULT_ACCOUNT_ID };
    await ledger.flush();
    const [key, account] = await Promise.all([
      store.getKey(principal.key.id),
      store.getAccount(principal.key.accountId),
    ]);
    if (!key || !account) throw notFound('This key no longer exists.');
    return { ...keyObject(key), account: accountObject(account) };
  });

  app.get<{ Querystring: { from?: string; to?: string; group_by?: string; model?: string } }>(
    '/v1/usage',
    { preHandler: refuseNul },
    async (request) => {
      const principal = request.principal!;
      await ledger.flush();
      const rows = await store.usage({
        ...parseWindow(request.query),
        groupBy: parseGroupBy(request.query.group_by),
        ...(principal.kind === 'key' ? { keyId: principal.key.id } : { accountId: DEFAULT_ACCOUNT_ID }),
        ...(request.query.model ? { model: request.query.model } : {}),
      });
      return { object: 'list', data: rows.map(usageObject) };
    },
  );

  // The key's account's statement, as the admin's (GET /admin/accounts/{id}/statement) without upstream costs.
  app.get<{ Querystring: { from?: string; to?: string; format?: string } }>(
    '/v1/statement',
    { preHandler: refuseNul },
    async (request, reply) => {
      const principal = request.principal!;
      const format = parseFormat(request.query.format);
      await ledger.flush();
      const accountId = principal.kind === 'key' ? principal.key.accountId : DEFAULT_ACCOUNT_ID;
      const statement = await accountStatement(store, accountId, request.query);
      if (format === 'json') return tenantStatement(statement);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statement-${statement.account_id}.csv"`)
        .send(statementCsv(statement));
    },
  );

  app.get<{ Querystring: RequestListQuery }>('/v1/requests', { preHandler: refuseNul }, async (request) => {
    const principal = request.principal!;
    const filter = requestQuery(request.query, principal.kind === 'key' ? { keyId: principal.key.id } : {});
    if (principal.kind === 'admin') filter.accountId = DEFAULT_ACCOUNT_ID;
    await ledger.flush();
    return { object: 'list', data: (await store.listRequests(filter)).map(requestObject) };
  });
}
