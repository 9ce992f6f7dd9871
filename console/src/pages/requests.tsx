// The request log: filter by key, model, status and time; a request's detail with the API it came through,
// tokens, cost, latency, time to first token, the provider that served it and every upstream attempt.
import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';
import { RequestTable } from '../components/request-table.js';
import { Badge, Empty, ErrorBox, Link, Loading, PageHeader, Panel, StatusBadge } from '../components/ui.js';
import { DASH, dateTime, doorLabel, int, ms, unitsLabel, usd } from '../format.js';
import { useAsync } from '../hooks.js';
import { navigate, useRoute } from '../router.js';
import { useSession } from '../session.js';
import type { Attempt, RequestDetail } from '../types.js';

const FILTERS = ['key_id', 'model', 'status', 'from', 'to', 'limit'] as const;
type FilterName = (typeof FILTERS)[number];

/** datetime-local value (local time) → ISO instant for the API. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const value = new Date(local);
  return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
}

function RequestList() {
  const { api, admin } = useSession();
  const { search } = useRoute();
  const filters = Object.fromEntries(FILTERS.map((name) => [name, search.get(name) ?? ''])) as Record<
    FilterName,
    string
  >;
  const queryKey = FILTERS.map((name) => filters[name]).join('|');

  const setFilter = (name: FilterName, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    const text = next.toString();
    navigate(`/requests${text ? `?${text}` : ''}`, { replace: true });
  };

  const records = useAsync(
    () =>
      api.requests(admin, {
        limit: filters.limit || 100,
        key_id: filters.key_id || undefined,
        model: filters.model || undefined,
        status: filters.status || undefined,
        from: toIso(filters.from),
        to: toIso(filters.to),
      }),
    [api, admin, queryKey],
  );
  const options = useAsync(async () => {
    const [keys, models] = await Promise.all([
      admin ? api.keys().catch(() => []) : Promise.resolve([]),
      api.models().catch(() => []),
    ]);
    return { keys, models: models.map((model) => model.id) };
  }, [api, admin]);
  const keyNames = useMemo(
    () => new Map((options.data?.keys ?? []).map((key) => [key.id, key.name])),
    [options.data],
  );
  const filtered = FILTERS.some((name) => name !== 'limit' && filters[name]);

  return (
    <>
      <PageHeader
        title="Requests"
        description="Every call made through the gateway, newest first."
        actions={
          <button type="button" class="btn" onClick={records.reload}>
            Refresh
          </button>
        }
      />
      <form class="filters" aria-label="Filter requests" onSubmit={(event) => event.preventDefault()}>
        {admin && (
          <div class="field">
            <label for="filter-key">Key</label>
            <select
              id="filter-key"
              value={filters.key_id}
              onChange={(e) => setFilter('key_id', e.currentTarget.value)}
            >
              <option value="">All keys</option>
              {(options.data?.keys ?? []).map((key) => (
                <option key={key.id} value={key.id}>
                  {key.name}
                  {key.revoked_at ? ' (revoked)' : ''}
                </option>
              ))}
            </select>
          </div>
        )}
        <div class="field">
          <label for="filter-model">Model</label>
          <select
            id="filter-model"
            value={filters.model}
            onChange={(e) => setFilter('model', e.currentTarget.value)}
          >
            <option value="">All models</option>
            {[...new Set([...(options.data?.models ?? []), ...(filters.model ? [filters.model] : [])])].map(
              (id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ),
            )}
          </select>
        </div>
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={filters.status}
            onChange={(e) => setFilter('status', e.currentTarget.value)}
          >
            <option value="">Any status</option>
            <option value="ok">OK</option>
            <option value="error">Error</option>
            <option value="aborted">Aborted</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-from">From</label>
          <input
            id="filter-from"
            type="datetime-local"
            value={filters.from}
            onChange={(e) => setFilter('from', e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="filter-to">To</label>
          <input
            id="filter-to"
            type="datetime-local"
            value={filters.to}
            onChange={(e) => setFilter('to', e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="filter-limit">Show</label>
          <select
            id="filter-limit"
            value={filters.limit || '100'}
            onChange={(e) => setFilter('limit', e.currentTarget.value)}
          >
            <option value="50">50</option>
            <option value="100">100</option>
            <option value="500">500</option>
          </select>
        </div>
        {filtered && (
          <button
            type="button"
            class="btn btn-ghost filters-clear"
            onClick={() => navigate('/requests', { replace: true })}
          >
            Clear filters
          </button>
        )}
      </form>
      <Panel>
        {records.error ? (
          <ErrorBox error={records.error} onRetry={records.reload} title="Could not load requests" />
        ) : !records.data ? (
          <Loading label="Loading requests…" />
        ) : records.data.length === 0 ? (
          <Empty title={filtered ? 'No request matches these filters.' : 'No requests yet.'}>
            {filtered
              ? 'Try a wider time range or another status.'
              : 'Requests appear here as soon as a key is used.'}
          </Empty>
        ) : (
          <>
            <p class="table-caption muted" aria-live="polite">
              {records.data.length} request{records.data.length === 1 ? '' : 's'}
            </p>
            <RequestTable records={records.data} {...(admin ? { keyNames } : {})} />
          </>
        )}
      </Panel>
    </>
  );
}

function Prop(props: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/** What became of an attempt, from its HTTP status (499: the client went away first). */
function attemptOutcome(status: number | undefined): string {
  if (status === undefined) return DASH;
  return status === 200 ? 'ok' : status === 499 ? 'aborted' : 'error';
}

function Attempts(props: { attempts: Attempt[] | undefined }) {
  const attempts = props.attempts;
  if (attempts === undefined) return <p class="muted">Attempts are shown to administrators only.</p>;
  if (attempts.length === 0) {
    return <p class="muted">Served on the first attempt: no retries or fallbacks.</p>;
  }
  const omitted = attempts.find((attempt) => typeof attempt.omitted === 'number')?.omitted;
  const listed = attempts.filter((attempt) => attempt.omitted === undefined);
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Provider</th>
            <th scope="col">Upstream model</th>
            <th scope="col">Outcome</th>
            <th scope="col">HTTP</th>
            <th scope="col">Error</th>
            <th scope="col" class="num">
              Latency
            </th>
          </tr>
        </thead>
        <tbody>
          {listed.map((attempt, index) => {
            const outcome = attemptOutcome(attempt.status);
            return (
              <tr key={index}>
                <td>{index + 1}</td>
                <td>{attempt.provider ?? DASH}</td>
                <td class="mono">{attempt.upstream_model ?? DASH}</td>
                <td>{outcome === DASH ? DASH : <StatusBadge status={outcome} />}</td>
                <td>{attempt.status ?? DASH}</td>
                <td>{attempt.code ?? DASH}</td>
                <td class="num">{ms(attempt.ms)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {omitted !== undefined && (
        <p class="table-caption muted">
          {omitted} more attempt{omitted === 1 ? '' : 's'} not recorded (the list was too long).
        </p>
      )}
    </div>
  );
}

function RequestView(props: {
  record: RequestDetail;
  keyName: string | undefined;
  accountName: string | undefined;
}) {
  const { record } = props;
  const total =
    record.prompt_tokens === null && record.completion_tokens === null
      ? null
      : (record.prompt_tokens ?? 0) + (record.completion_tokens ?? 0);
  return (
    <>
      <PageHeader
        title={record.model}
        description={`Request ${record.id}`}
        badges={
          <span class="header-badges">
            <StatusBadge status={record.status} />
            {record.stream && <Badge tone="info">stream</Badge>}
          </span>
        }
      />
      <dl class="stats">
        <div class="stat">
          <dt>Cost</dt>
          <dd>
            <span class="stat-value">{usd(record.cost_usd)}</span>
            <span class="stat-detail">{record.cost_usd === null ? 'model has no price' : 'charged'}</span>
          </dd>
        </div>
        <div class="stat">
          <dt>Latency</dt>
          <dd>
            <span class="stat-value">{ms(record.latency_ms)}</span>
            <span class="stat-detail">until the last byte</span>
          </dd>
        </div>
        <div class="stat">
          <dt>Time to first token</dt>
          <dd>
            <span class="stat-value">{ms(record.ttft_ms)}</span>
            <span class="stat-detail">{record.stream ? 'streamed' : 'not streamed'}</span>
          </dd>
        </div>
        <div class="stat">
          <dt>Tokens</dt>
          <dd>
            <span class="stat-value">{int(total)}</span>
            <span class="stat-detail">
              {int(record.prompt_tokens)} in · {int(record.completion_tokens)} out
            </span>
          </dd>
        </div>
      </dl>
      <div class="grid-2">
        <Panel title="Request">
          <dl class="props">
            <Prop label="Time">{dateTime(record.created_at)}</Prop>
            <Prop label="API">{doorLabel(record.door)}</Prop>
            {record.unit ? <Prop label="Billed">{unitsLabel(record.units, record.unit)}</Prop> : null}
            <Prop label="Model">
              <span class="mono">{record.model}</span>
            </Prop>
            <Prop label="Provider">{record.provider ?? DASH}</Prop>
            <Prop label="Upstream model">
              <span class="mono">{record.upstream_model ?? DASH}</span>
            </Prop>
            <Prop label="Key">{record.key_id ? (props.keyName ?? record.key_id) : 'admin key'}</Prop>
            <Prop label="Account">
              {record.account_id ? (
                props.accountName ? (
                  <Link to={`/accounts/${record.account_id}`}>{props.accountName}</Link>
                ) : (
                  record.account_id
                )
              ) : (
                DASH
              )}
            </Prop>
            <Prop label="HTTP status">{record.http_status ?? DASH}</Prop>
            <Prop label="Error">{record.error_code ?? DASH}</Prop>
          </dl>
        </Panel>
        <Panel title="Tokens">
          <dl class="props">
            <Prop label="Prompt">{int(record.prompt_tokens)}</Prop>
            <Prop label="Cached prompt">{int(record.cached_tokens)}</Prop>
            <Prop label="Completion">{int(record.completion_tokens)}</Prop>
            <Prop label="Reasoning">{int(record.reasoning_tokens)}</Prop>
            <Prop label="Counted by">
              {record.usage_source === 'provider'
                ? 'the provider'
                : record.usage_source === 'estimated'
                  ? 'the gateway (estimate)'
                  : DASH}
            </Prop>
          </dl>
        </Panel>
      </div>
      <Panel title="Attempts">
        <Attempts attempts={record.attempts} />
      </Panel>
    </>
  );
}

function RequestDetailPage(props: { requestId: string }) {
  const { api, admin } = useSession();
  const { requestId } = props;
  const detail = useAsync(async () => {
    const [keys, accounts] = admin
      ? await Promise.all([api.keys().catch(() => []), api.accounts().catch(() => [])])
      : [[], []];
    // Tenants have no per-request route: their own log holds the same record (without attempts).
    const record: RequestDetail | undefined = admin
      ? await api.requestDetail(requestId)
      : (await api.requests(false, { limit: 1000 })).find((r) => r.id === requestId);
    const keyName = keys.find((key) => key.id === record?.key_id)?.name;
    const accountName = accounts.find((account) => account.id === record?.account_id)?.name;
    return { record, keyName, accountName };
  }, [api, admin, requestId]);

  return (
    <>
      <p class="crumbs">
        <Link to="/requests">← Requests</Link>
      </p>
      {detail.error ? (
        <ErrorBox error={detail.error} onRetry={detail.reload} title="Could not load the request" />
      ) : !detail.data ? (
        <Loading label="Loading request…" />
      ) : !detail.data.record ? (
        <Empty title="No request with this id in your log." />
      ) : (
        <RequestView
          record={detail.data.record}
          keyName={detail.data.keyName}
          accountName={detail.data.accountName}
        />
      )}
    </>
  );
}

export function RequestsPage(props: { requestId: string | undefined }) {
  return props.requestId ? <RequestDetailPage requestId={props.requestId} /> : <RequestList />;
}
