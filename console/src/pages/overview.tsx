// Overview: spend and tokens per day, per model and per key, the balance, and the request totals at a glance.
import { useMemo, useState } from 'preact/hooks';
import { BarChart, type Series } from '../components/chart.js';
import { RequestTable } from '../components/request-table.js';
import { Empty, ErrorBox, Link, Loading, PageHeader, Panel, Stat } from '../components/ui.js';
import { compact, int, lastDays, ms, percent, shortDay, usd } from '../format.js';
import { useAsync } from '../hooks.js';
import { useSession } from '../session.js';
import type { UsageRow } from '../types.js';

const RANGES = [7, 30, 90] as const;
type Range = (typeof RANGES)[number];

interface Totals {
  spend: number;
  requests: number;
  errors: number;
  prompt: number;
  completion: number;
  avgLatency: number | null;
}

function totalsOf(rows: UsageRow[]): Totals {
  const totals: Totals = { spend: 0, requests: 0, errors: 0, prompt: 0, completion: 0, avgLatency: null };
  let latencySum = 0;
  let latencyWeight = 0;
  for (const row of rows) {
    totals.spend += row.cost_usd ?? 0;
    totals.requests += row.requests;
    totals.errors += row.errors;
    totals.prompt += row.prompt_tokens;
    totals.completion += row.completion_tokens;
    // The average latency of all requests: each group's average weighted by its request count.
    if (row.avg_latency_ms !== null) {
      latencySum += row.avg_latency_ms * row.requests;
      latencyWeight += row.requests;
    }
  }
  totals.avgLatency = latencyWeight > 0 ? latencySum / latencyWeight : null;
  return totals;
}

/** The biggest `limit` groups by spend (then requests), the rest summed as "Other". */
function topGroups(rows: UsageRow[], name: (group: string) => string, limit = 8) {
  const sorted = [...rows].sort((a, b) => (b.cost_usd ?? 0) - (a.cost_usd ?? 0) || b.requests - a.requests);
  const top = sorted.slice(0, limit);
  const rest = sorted.slice(limit);
  const labels = top.map((row) => name(row.group));
  const spend = top.map((row) => row.cost_usd ?? 0);
  const requests = top.map((row) => row.requests);
  if (rest.length > 0) {
    labels.push(`Other (${rest.length})`);
    spend.push(rest.reduce((sum, row) => sum + (row.cost_usd ?? 0), 0));
    requests.push(rest.reduce((sum, row) => sum + row.requests, 0));
  }
  return { labels, spend, requests };
}

const usdAxis = (value: number) => usd(value);
const tokenAxis = (value: number) => compact(value);
const countAxis = (value: number) => int(value);

export function OverviewPage() {
  const { api, admin, self } = useSession();
  const [range, setRange] = useState<Range>(30);
  const days = useMemo(() => lastDays(range), [range]);
  const from = days[0]!;

  const usage = useAsync(async () => {
    const [byDay, byModel, byKey, keys, accounts] = await Promise.all([
      api.usage(admin, { from, group_by: 'day' }),
      api.usage(admin, { from, group_by: 'model' }),
      admin ? api.usage(admin, { from, group_by: 'key' }) : Promise.resolve([]),
      admin ? api.keys() : Promise.resolve([]),
      admin ? api.accounts() : Promise.resolve([]),
    ]);
    return { byDay, byModel, byKey, keys, accounts };
  }, [api, admin, from]);
  const recent = useAsync(() => api.requests(admin, { limit: 6 }), [api, admin]);

  const view = useMemo(() => {
    if (!usage.data) return undefined;
    const { byDay, byModel, byKey, keys, accounts } = usage.data;
    const perDay = new Map(byDay.map((row) => [row.group.slice(0, 10), row]));
    const dayRows = days.map((day) => perDay.get(day));
    const keyNames = new Map(keys.map((key) => [key.id, key.name]));
    const daySpend: Series[] = [{ label: 'Spend', values: dayRows.map((row) => row?.cost_usd ?? 0) }];
    const dayTokens: Series[] = [
      { label: 'Prompt tokens', values: dayRows.map((row) => row?.prompt_tokens ?? 0), color: '#4f46e5' },
      {
        label: 'Completion tokens',
        values: dayRows.map((row) => row?.completion_tokens ?? 0),
        color: '#a5b4fc',
      },
    ];
    const models = topGroups(byModel, (group) => group);
    // Requests made with the admin key itself (the playground) are grouped as 'admin'.
    const perKey = topGroups(
      byKey,
      (group) => keyNames.get(group) ?? (group === 'admin' ? 'Admin key' : group),
    );
    const balances = accounts.filter((account) => account.balance_usd !== null);
    return {
      totals: totalsOf(byDay),
      labels: days.map(shortDay),
      daySpend,
      dayTokens,
      models,
      modelSpend: [{ label: 'Spend', values: models.spend }] as Series[],
      modelRequests: [{ label: 'Requests', values: models.requests }] as Series[],
      perKey,
      keySpend: [{ label: 'Spend', values: perKey.spend }] as Series[],
      balance: admin
        ? balances.length > 0
          ? balances.reduce((sum, account) => sum + (account.balance_usd ?? 0), 0)
          : null
        : (self?.account?.balance_usd ?? null),
      accountCount: accounts.length,
      activeKeys: keys.filter((key) => !key.revoked_at).length,
    };
  }, [usage.data, days, admin, self]);

  const rangePicker = (
    <fieldset class="segmented">
      <legend class="sr-only">Time range</legend>
      {RANGES.map((value) => (
        <label key={value} class={value === range ? 'active' : ''}>
          <input
            type="radio"
            name="range"
            value={value}
            checked={value === range}
            onChange={() => setRange(value)}
          />
          {value} days
        </label>
      ))}
    </fieldset>
  );

  return (
    <>
      <PageHeader
        title="Overview"
        description={
          admin ? 'Usage across every account and key.' : `Usage of the key “${self?.name ?? ''}”.`
        }
        actions={rangePicker}
      />
      {usage.error ? (
        <ErrorBox error={usage.error} onRetry={usage.reload} title="Could not load usage" />
      ) : !view ? (
        <Loading label="Loading usage…" />
      ) : (
        <>
          <dl class="stats" aria-label={`Last ${range} days`}>
            <Stat label="Spend" value={usd(view.totals.spend)} detail={`last ${range} days`} />
            <Stat
              label="Requests"
              value={int(view.totals.requests)}
              detail={`${compact(view.totals.prompt + view.totals.completion)} tokens`}
            />
            <Stat
              label="Errors"
              value={int(view.totals.errors)}
              detail={`${percent(view.totals.errors, view.totals.requests)} of requests`}
              {...(view.totals.errors > 0 ? { tone: 'bad' as const } : {})}
            />
            <Stat label="Avg latency" value={ms(view.totals.avgLatency)} detail="per request" />
            <Stat
              label={admin ? 'Prepaid balance' : 'Balance'}
              value={view.balance === null ? 'Unlimited' : usd(view.balance)}
              detail={
                admin
                  ? `${view.accountCount} account${view.accountCount === 1 ? '' : 's'}, ${view.activeKeys} active key${view.activeKeys === 1 ? '' : 's'}`
                  : view.balance === null
                    ? 'no prepaid limit'
                    : (self?.account?.name ?? 'account')
              }
              {...(view.balance !== null && view.balance <= 0 ? { tone: 'bad' as const } : {})}
            />
          </dl>

          <div class="grid-2">
            <Panel title="Spend per day">
              {view.totals.requests === 0 ? (
                <Empty title="No requests in this period.">Spend appears here once requests are made.</Empty>
              ) : (
                <BarChart
                  title="Spend per day"
                  labels={view.labels}
                  series={view.daySpend}
                  format={usdAxis}
                />
              )}
            </Panel>
            <Panel title="Tokens per day">
              {view.totals.requests === 0 ? (
                <Empty title="No tokens in this period." />
              ) : (
                <BarChart
                  title="Tokens per day"
                  labels={view.labels}
                  series={view.dayTokens}
                  format={tokenAxis}
                  stacked
                  integer
                />
              )}
            </Panel>
            <Panel title="Spend by model">
              {view.models.labels.length === 0 ? (
                <Empty title="No model was used in this period." />
              ) : (
                <BarChart
                  title="Spend by model"
                  labels={view.models.labels}
                  series={view.modelSpend}
                  format={usdAxis}
                  horizontal
                  height={Math.max(140, view.models.labels.length * 34 + 40)}
                />
              )}
            </Panel>
            {admin ? (
              <Panel title="Spend by key">
                {view.perKey.labels.length === 0 ? (
                  <Empty title="No key was used in this period." />
                ) : (
                  <BarChart
                    title="Spend by key"
                    labels={view.perKey.labels}
                    series={view.keySpend}
                    format={usdAxis}
                    horizontal
                    height={Math.max(140, view.perKey.labels.length * 34 + 40)}
                  />
                )}
              </Panel>
            ) : (
              <Panel title="Requests by model">
                {view.models.labels.length === 0 ? (
                  <Empty title="No requests in this period." />
                ) : (
                  <BarChart
                    title="Requests by model"
                    labels={view.models.labels}
                    series={view.modelRequests}
                    format={countAxis}
                    horizontal
                    integer
                    height={Math.max(140, view.models.labels.length * 34 + 40)}
                  />
                )}
              </Panel>
            )}
          </div>
        </>
      )}

      <Panel title="Recent requests" actions={<Link to="/requests">View all</Link>}>
        {recent.error ? (
          <ErrorBox error={recent.error} onRetry={recent.reload} />
        ) : !recent.data ? (
          <Loading />
        ) : recent.data.length === 0 ? (
          <Empty title="No requests yet.">
            Send a request with an API key, or try a model in the <Link to="/playground">playground</Link>.
          </Empty>
        ) : (
          <RequestTable records={recent.data} compact />
        )}
      </Panel>
    </>
  );
}
