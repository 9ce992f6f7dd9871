// Account statements: GET /admin/accounts/{id}/statement?from=&to=&format=json|csv and `tokgate accounts
// statement`. Opening balance, every credit entry, spend per UTC day and model, closing balance, all from
// the credit entries and the ledger rows, so they reconcile to the micro-dollar: opening + credits − spend
// = closing, and one window's closing is the next one's opening.
import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../accounting/ledger.js';
import { microsToUsd } from '../accounting/pricing.js';
import { invalidRequest, notFound } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { creditObject } from './admin-accounts.js';
import { parseWindow } from './query.js';

export type StatementFormat = 'json' | 'csv';

export function parseFormat(value: string | undefined): StatementFormat {
  if (value === undefined || value === '' || value === 'json') return 'json';
  if (value === 'csv') return 'csv';
  throw invalidRequest(
    `Invalid 'format': '${value}'. Supported values are 'json' and 'csv'.`,
    'format',
    'invalid_value',
  );
}

/** The statement of `accountId` over the window `query` names (the last 30 days by default). */
export async function accountStatement(
  store: Store,
  accountId: string,
  query: { from?: string; to?: string },
) {
  const { from, to } = parseWindow(query);
  const account = await store.getAccount(accountId);
  if (!account) throw notFound(`No account with id '${accountId}'.`);
  const { openingMicros, credits, spend } = await store.statement(accountId, from, to);
  let creditMicros = 0;
  for (const c of credits) creditMicros += c.amount_micros;
  let spendMicros = 0;
  let upstreamMicros = 0;
  for (const s of spend) {
    spendMicros += s.costMicros;
    upstreamMicros += s.upstreamMicros;
  }
  const closingMicros = openingMicros + creditMicros - spendMicros;
  return {
    object: 'statement',
    account_id: account.id,
    name: account.name,
    metering: account.credits_micros === null ? 'unmetered' : 'prepaid',
    plan_id: account.plan_id,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    opening_balance_usd: microsToUsd(openingMicros),
    credits: credits.map(creditObject),
    credits_total_usd: microsToUsd(creditMicros),
    spend: spend.map((s) => ({
      day: s.day,
      model: s.model,
      requests: s.requests,
      cost_usd: microsToUsd(s.costMicros),
      // What the same requests cost the operator upstream, at list price (the margin is the difference).
      upstream_cost_usd: microsToUsd(s.upstreamMicros),
    })),
    spend_total_usd: microsToUsd(spendMicros),
    upstream_total_usd: microsToUsd(upstreamMicros),
    closing_balance_usd: microsToUsd(closingMicros),
  };
}

export type Statement = Awaited<ReturnType<typeof accountStatement>>;

/** A statement as its tenant sees it: what it paid, not what its requests cost the operator upstream. */
export function tenantStatement(statement: Statement) {
  const { upstream_total_usd: _total, spend, ...rest } = statement;
  return { ...rest, spend: spend.map(({ upstream_cost_usd: _cost, ...line }) => line) };
}

const csvCell = (value: string | number | null) => {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** One line per item: `type,date,model,id,note,requests,amount_usd` (spend as a negative amount). */
export function statementCsv(statement: Statement): string {
  const lines: Array<Array<string | number | null>> = [
    ['type', 'date', 'model', 'id', 'note', 'requests', 'amount_usd'],
    ['opening_balance', statement.from, null, null, null, null, statement.opening_balance_usd],
  ];
  for (const c of statement.credits)
    lines.push(['credit', c.created_at, null, c.id, c.note, null, c.amount_usd]);
  for (const s of statement.spend)
    lines.push(['spend', s.day, s.model, null, null, s.requests, s.cost_usd === 0 ? 0 : -s.cost_usd]);
  lines.push(['closing_balance', statement.to, null, null, null, null, statement.closing_balance_usd]);
  return `${lines.map((line) => line.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

export function registerStatementRoute(app: FastifyInstance, store: Store, ledger: Ledger): void {
  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string; format?: string } }>(
    '/admin/accounts/:id/statement',
    async (request, reply) => {
      const format = parseFormat(request.query.format);
      await ledger.flush();
      const statement = await accountStatement(store, request.params.id, request.query);
      if (format === 'json') return statement;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statement-${statement.account_id}.csv"`)
        .send(statementCsv(statement));
    },
  );
}
