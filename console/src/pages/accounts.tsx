// Accounts and credits: balances, top-ups and their history. Tenants see their own account's balance.
import { useState } from 'preact/hooks';
import { Dialog } from '../components/dialog.js';
import {
  Badge,
  Empty,
  ErrorBox,
  Field,
  FormError,
  Link,
  Loading,
  PageHeader,
  Panel,
  Stat,
} from '../components/ui.js';
import { date, dateTime, parseNumber, usd } from '../format.js';
import { useAsync } from '../hooks.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';
import type { Account, Plan, Statement } from '../types.js';

function Balance(props: { account: Pick<Account, 'balance_usd'> }) {
  const balance = props.account.balance_usd;
  if (balance === null) return <Badge tone="neutral">No prepaid limit</Badge>;
  return <span class={balance <= 0 ? 'text-bad strong' : 'strong'}>{usd(balance)}</span>;
}

function MeteringBadge(props: { metering: Account['metering'] }) {
  return props.metering === 'prepaid' ? (
    <Badge tone="info">prepaid</Badge>
  ) : (
    <Badge tone="neutral">unmetered</Badge>
  );
}

/** Switches an account between prepaid and unmetered (a top-up needs prepaid). */
function MeteringSwitch(props: { account: Account; onDone: () => void }) {
  const { api } = useSession();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const to = props.account.metering === 'prepaid' ? 'unmetered' : 'prepaid';
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.updateAccount(props.account.id, { metering: to });
      props.onDone();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="form-stack">
      <p>
        This account is <MeteringBadge metering={props.account.metering} />.{' '}
        {to === 'prepaid'
          ? 'Its keys spend without limit; credit can be added once it is prepaid (its balance then starts at $0).'
          : 'Its keys spend its prepaid balance; unmetered, they would spend without limit.'}
      </p>
      <button type="button" class="btn" disabled={busy} onClick={submit}>
        {busy ? 'Switching…' : `Make it ${to}`}
      </button>
      <FormError error={error} />
    </div>
  );
}

function CreateAccountDialog(props: { open: boolean; onClose: () => void; onCreated: (a: Account) => void }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [credits, setCredits] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) {
      setError('Give the account a name.');
      return;
    }
    const amount = parseNumber(credits);
    if (amount !== undefined && (!Number.isFinite(amount) || amount < 0)) {
      setError('Starting credits must be a positive amount in USD.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      props.onCreated(
        await api.createAccount({
          name: name.trim(),
          ...(amount === undefined ? {} : { credits_usd: amount }),
        }),
      );
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.open} title="Create account" onClose={props.onClose}>
      <form class="form-stack" onSubmit={submit} noValidate>
        <Field id="account-name" label="Name" hint="A team, customer or project that pays for its keys.">
          <input
            id="account-name"
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
            aria-describedby="account-name-hint"
            required
          />
        </Field>
        <Field
          id="account-credits"
          label="Starting credits (USD)"
          hint="Leave empty for an account without a prepaid limit."
        >
          <input
            id="account-credits"
            inputMode="decimal"
            value={credits}
            placeholder="No prepaid limit"
            onInput={(event) => setCredits(event.currentTarget.value)}
            aria-describedby="account-credits-hint"
          />
        </Field>
        <FormError error={error} />
        <div class="dialog-foot">
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create account'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function AccountList() {
  const { api } = useSession();
  const accounts = useAsync(() => api.accounts(), [api]);
  const plans = useAsync(() => api.plans(), [api]);
  const planName = (id: string | null | undefined) =>
    id ? (plans.data?.find((p) => p.id === id)?.name ?? id) : undefined;
  const [creating, setCreating] = useState(false);

  return (
    <>
      <PageHeader
        title="Accounts"
        description="Each key belongs to an account; prepaid credits cap what its keys can spend together."
        actions={
          <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
            Create account
          </button>
        }
      />
      <Panel title="Accounts">
        {accounts.error ? (
          <ErrorBox error={accounts.error} onRetry={accounts.reload} title="Could not load accounts" />
        ) : !accounts.data ? (
          <Loading label="Loading accounts…" />
        ) : accounts.data.length === 0 ? (
          <Empty title="No accounts yet." />
        ) : (
          <div class="table-wrap">
            <table class="table table-hover">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Metering</th>
                  <th scope="col">Plan</th>
                  <th scope="col" class="num">
                    Credits
                  </th>
                  <th scope="col" class="num">
                    Spend
                  </th>
                  <th scope="col" class="num">
                    Balance
                  </th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {accounts.data.map((account) => (
                  <tr
                    key={account.id}
                    class="row-link"
                    onClick={(event) => {
                      if (!(event.target as HTMLElement).closest('a')) navigate(`/accounts/${account.id}`);
                    }}
                  >
                    <td>
                      <Link to={`/accounts/${account.id}`} class="strong">
                        {account.name}
                      </Link>
                      <span class="sub mono">{account.id}</span>
                    </td>
                    <td>
                      <MeteringBadge metering={account.metering} />
                    </td>
                    <td>{planName(account.plan_id) ?? <span class="muted">list prices</span>}</td>
                    <td class="num">{account.credits_usd === null ? '—' : usd(account.credits_usd)}</td>
                    <td class="num">{usd(account.spend_usd)}</td>
                    <td class="num">
                      <Balance account={account} />
                    </td>
                    <td class="nowrap">{date(account.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      {creating && (
        <CreateAccountDialog
          open
          onClose={() => setCreating(false)}
          onCreated={(account) => {
            setCreating(false);
            navigate(`/accounts/${account.id}`);
          }}
        />
      )}
    </>
  );
}

function TopUpForm(props: { accountId: string; onDone: () => void }) {
  const { api } = useSession();
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = parseNumber(amount);
    if (value === undefined || !Number.isFinite(value) || value === 0) {
      setError('Enter an amount in USD (negative to correct a mistake).');
      return;
    }
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await api.addCredits(props.accountId, {
        amount_usd: value,
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setAmount('');
      setNote('');
      setDone(`${usd(value)} added.`);
      props.onDone();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="topup" onSubmit={submit} noValidate>
      <Field id="topup-amount" label="Amount (USD)">
        <input
          id="topup-amount"
          inputMode="decimal"
          placeholder="50.00"
          value={amount}
          onInput={(event) => setAmount(event.currentTarget.value)}
        />
      </Field>
      <Field id="topup-note" label="Note">
        <input
          id="topup-note"
          placeholder="Invoice 2024-031 (optional)"
          value={note}
          onInput={(event) => setNote(event.currentTarget.value)}
        />
      </Field>
      <button type="submit" class="btn btn-primary" disabled={busy}>
        {busy ? 'Adding…' : 'Add credits'}
      </button>
      <FormError error={error} />
      <p class="notice" role="status" aria-live="polite">
        {done}
      </p>
    </form>
  );
}

/** Puts the account on a price plan, or back on list prices. */
function PlanChoice(props: { account: Account; onDone: () => void }) {
  const { api } = useSession();
  const plans = useAsync(() => api.plans(), [api]);
  const [choice, setChoice] = useState(props.account.plan_id ?? '');
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const current = plans.data?.find((p: Plan) => p.id === props.account.plan_id);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await api.updateAccount(props.account.id, { plan_id: choice === '' ? null : choice });
      setDone(choice === '' ? 'Now on list prices.' : 'Plan saved.');
      props.onDone();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  if (plans.error) return <ErrorBox error={plans.error} onRetry={plans.reload} />;
  if (!plans.data) return <Loading />;
  return (
    <form class="form-stack" onSubmit={submit} noValidate>
      <p>
        {current ? (
          <>
            Its keys pay the prices of the plan <span class="strong">{current.name}</span>.
          </>
        ) : (
          'Its keys pay list prices.'
        )}{' '}
        <Link to="/plans">Price plans</Link>
      </p>
      <Field id="account-plan" label="Plan">
        <select id="account-plan" value={choice} onChange={(event) => setChoice(event.currentTarget.value)}>
          <option value="">None (list prices)</option>
          {plans.data.map((plan) => (
            <option key={plan.id} value={plan.id}>
              {plan.name} (×{plan.multiplier})
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" class="btn" disabled={busy}>
        {busy ? 'Saving…' : 'Save plan'}
      </button>
      <FormError error={error} />
      <p class="notice" role="status" aria-live="polite">
        {done}
      </p>
    </form>
  );
}

/** The balance below which a webhook fires (empty: none). */
function LowBalanceForm(props: { account: Account; onDone: () => void }) {
  const { api } = useSession();
  const threshold = props.account.low_balance_usd;
  const [value, setValue] = useState(threshold == null ? '' : String(threshold));
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const amount = parseNumber(value);
    if (amount !== undefined && (!Number.isFinite(amount) || amount < 0)) {
      setError('The threshold is an amount in USD of at least 0 (empty: no alert).');
      return;
    }
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await api.updateAccount(props.account.id, { low_balance_usd: amount ?? null });
      setDone(amount === undefined ? 'No low-balance alert.' : `Alert below ${usd(amount)}.`);
      props.onDone();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form-stack" onSubmit={submit} noValidate>
      <p>
        {threshold == null
          ? 'No alert is set.'
          : `A webhook fires when the balance falls below ${usd(threshold)}.`}
      </p>
      <Field id="low-balance" label="Threshold (USD)" hint="Empty for no alert.">
        <input
          id="low-balance"
          inputMode="decimal"
          placeholder="No alert"
          value={value}
          aria-describedby="low-balance-hint"
          onInput={(event) => setValue(event.currentTarget.value)}
        />
      </Field>
      <button type="submit" class="btn" disabled={busy}>
        {busy ? 'Saving…' : 'Save threshold'}
      </button>
      <FormError error={error} />
      <p class="notice" role="status" aria-live="polite">
        {done}
      </p>
    </form>
  );
}

/** `YYYY-MM-DD` of a Date, in UTC (statements are by UTC day). */
const day = (at: Date) => at.toISOString().slice(0, 10);

/**
 * Opening balance, credits, spend per day and model, closing balance, over a window of days: an account's
 * (admin, with what its requests cost upstream), or the signed-in key's own account's (no `accountId`).
 */
function StatementPanel(props: { accountId?: string }) {
  const { api } = useSession();
  const [from, setFrom] = useState(() => day(new Date(Date.now() - 29 * 86_400_000)));
  const [to, setTo] = useState(() => day(new Date()));
  // The window's end is the end of its last day.
  const span = { from, to: day(new Date(Date.parse(to) + 86_400_000)) };
  const statement = useAsync<Statement>(
    () => api.statement(props.accountId, span),
    [api, props.accountId, from, to],
  );
  const [error, setError] = useState<string>();
  const download = async () => {
    setError(undefined);
    try {
      const csv = await api.statementCsv(props.accountId, span);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      link.download = `statement-${props.accountId ?? 'account'}-${from}-${to}.csv`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  const s = statement.data;
  return (
    <Panel title="Statement">
      <div class="topup">
        <Field id="statement-from" label="From">
          <input
            id="statement-from"
            type="date"
            value={from}
            onChange={(e) => setFrom(e.currentTarget.value)}
          />
        </Field>
        <Field id="statement-to" label="To">
          <input id="statement-to" type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </Field>
        <button type="button" class="btn" onClick={() => void download()}>
          Download CSV
        </button>
        <FormError error={error} />
      </div>
      {statement.error ? (
        <ErrorBox error={statement.error} onRetry={statement.reload} title="Could not load the statement" />
      ) : !s ? (
        <Loading />
      ) : (
        <>
          <dl class="stats">
            <Stat label="Opening balance" value={usd(s.opening_balance_usd)} detail={from} />
            <Stat label="Credits" value={usd(s.credits_total_usd)} detail={`${s.credits.length} entries`} />
            <Stat
              label="Spend"
              value={usd(s.spend_total_usd)}
              {...(s.upstream_total_usd === undefined
                ? {}
                : { detail: `cost upstream ${usd(s.upstream_total_usd)}` })}
            />
            <Stat label="Closing balance" value={usd(s.closing_balance_usd)} detail={to} />
          </dl>
          {s.spend.length === 0 ? (
            <Empty title="No spend in this window." />
          ) : (
            <div class="table-wrap">
              <table class="table" aria-label="Spend per day and model">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Model</th>
                    <th scope="col" class="num">
                      Requests
                    </th>
                    <th scope="col" class="num">
                      Charged
                    </th>
                    {s.upstream_total_usd !== undefined && (
                      <th scope="col" class="num">
                        Cost upstream
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {s.spend.map((line) => (
                    <tr key={`${line.day} ${line.model}`}>
                      <td class="nowrap">{line.day}</td>
                      <td class="mono">{line.model}</td>
                      <td class="num">{line.requests}</td>
                      <td class="num">{usd(line.cost_usd)}</td>
                      {s.upstream_total_usd !== undefined && (
                        <td class="num">{usd(line.upstream_cost_usd)}</td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </Panel>
  );
}

function AccountDetail(props: { accountId: string }) {
  const { api } = useSession();
  const { accountId } = props;
  const account = useAsync(() => api.account(accountId), [api, accountId]);
  const credits = useAsync(() => api.credits(accountId), [api, accountId]);
  const keys = useAsync(
    async () => (await api.keys()).filter((key) => key.account_id === accountId),
    [api, accountId],
  );
  const reload = () => {
    account.reload();
    credits.reload();
  };

  return (
    <>
      <p class="crumbs">
        <Link to="/accounts">← Accounts</Link>
      </p>
      {account.error ? (
        <ErrorBox error={account.error} onRetry={account.reload} title="Could not load the account" />
      ) : !account.data ? (
        <Loading label="Loading account…" />
      ) : (
        <>
          <PageHeader title={account.data.name} description={`Account ${account.data.id}`} />
          <dl class="stats stats-3">
            <Stat
              label="Credits"
              value={account.data.credits_usd === null ? 'No limit' : usd(account.data.credits_usd)}
              detail="added in total"
            />
            <Stat label="Spend" value={usd(account.data.spend_usd)} detail="by all its keys" />
            <Stat
              label="Balance"
              value={account.data.balance_usd === null ? 'Unlimited' : usd(account.data.balance_usd)}
              detail="credits minus spend"
              {...(account.data.balance_usd !== null && account.data.balance_usd <= 0
                ? { tone: 'bad' as const }
                : {})}
            />
          </dl>
          <div class="grid-2">
            <Panel title={account.data.metering === 'prepaid' ? 'Add credits' : 'Metering'}>
              {account.data.metering === 'prepaid' && <TopUpForm accountId={accountId} onDone={reload} />}
              <MeteringSwitch account={account.data} onDone={reload} />
            </Panel>
            <Panel title="Price plan">
              <PlanChoice account={account.data} onDone={reload} />
            </Panel>
            <Panel title="Low-balance alert">
              <LowBalanceForm account={account.data} onDone={reload} />
            </Panel>
            <Panel title="Keys">
              {keys.error ? (
                <ErrorBox error={keys.error} onRetry={keys.reload} />
              ) : !keys.data ? (
                <Loading />
              ) : keys.data.length === 0 ? (
                <Empty title="No keys in this account.">
                  <Link to="/keys">Create one on the Keys page.</Link>
                </Empty>
              ) : (
                <ul class="plain-list">
                  {keys.data.map((key) => (
                    <li key={key.id}>
                      <span>
                        <span class="strong">{key.name}</span> <span class="mono muted">{key.preview}</span>
                      </span>
                      <span>{key.revoked_at ? <Badge tone="bad">revoked</Badge> : usd(key.spend_usd)}</span>
                    </li>
                  ))}
                </ul>
              )}
            </Panel>
          </div>
        </>
      )}
      <StatementPanel accountId={accountId} />
      <Panel title="Credit history">
        {credits.error ? (
          <ErrorBox error={credits.error} onRetry={credits.reload} title="Could not load the history" />
        ) : !credits.data ? (
          <Loading />
        ) : credits.data.length === 0 ? (
          <Empty title="No credits added yet." />
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col" class="num">
                    Amount
                  </th>
                  <th scope="col">Note</th>
                </tr>
              </thead>
              <tbody>
                {credits.data.map((entry) => (
                  <tr key={entry.id}>
                    <td class="nowrap">{dateTime(entry.created_at)}</td>
                    <td class={`num ${entry.amount_usd < 0 ? 'text-bad' : 'text-good'}`}>
                      {entry.amount_usd > 0 ? '+' : ''}
                      {usd(entry.amount_usd)}
                    </td>
                    <td>{entry.note ?? <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </>
  );
}

function OwnAccount() {
  const { api } = useSession();
  const info = useAsync(() => api.whoami(), [api]);
  const account = info.data && info.data.object === 'api_key' ? info.data.account : undefined;
  return (
    <>
      <PageHeader
        title="Account"
        description="The account your key belongs to and what is left of its credits."
      />
      {info.error ? (
        <ErrorBox error={info.error} onRetry={info.reload} />
      ) : !info.data ? (
        <Loading />
      ) : !account ? (
        <Empty title="No account information for this key." />
      ) : (
        <>
          <dl class="stats stats-3">
            <Stat
              label="Credits"
              value={account.credits_usd === null ? 'No limit' : usd(account.credits_usd)}
              detail={account.name}
            />
            <Stat label="Spend" value={usd(account.spend_usd)} detail="by all the account's keys" />
            <Stat
              label="Balance"
              value={account.balance_usd === null ? 'Unlimited' : usd(account.balance_usd)}
              detail="credits minus spend"
              {...(account.balance_usd !== null && account.balance_usd <= 0 ? { tone: 'bad' as const } : {})}
            />
          </dl>
          <p class="muted">To add credits, ask the gateway's administrator.</p>
          <StatementPanel />
        </>
      )}
    </>
  );
}

export function AccountsPage(props: { accountId: string | undefined }) {
  const { admin } = useSession();
  if (!admin) return <OwnAccount />;
  return props.accountId ? <AccountDetail accountId={props.accountId} /> : <AccountList />;
}
