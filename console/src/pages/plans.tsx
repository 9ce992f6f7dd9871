// Price plans (admin): what the accounts on each pay over the list prices. A plan has a multiplier for
// every model, multipliers per glob or exact model id (the most specific wins), and fixed token prices.
import { useState } from 'preact/hooks';
import { Dialog } from '../components/dialog.js';
import { Badge, Empty, ErrorBox, Field, FormError, Loading, PageHeader, Panel } from '../components/ui.js';
import { date } from '../format.js';
import { useAsync } from '../hooks.js';
import { parsePrices, parseRules, pricesText, rulesText } from '../plan-text.js';
import { useSession } from '../session.js';
import type { Plan, PlanBody } from '../types.js';
import { NotFoundPage } from './not-found.js';

function PlanDialog(props: { plan: Plan | undefined; onClose: () => void; onSaved: (plan: Plan) => void }) {
  const { api } = useSession();
  const { plan } = props;
  const [name, setName] = useState(plan?.name ?? '');
  const [description, setDescription] = useState(plan?.description ?? '');
  const [multiplier, setMultiplier] = useState(String(plan?.multiplier ?? 1));
  const [rules, setRules] = useState(plan ? rulesText(plan.multipliers) : '');
  const [prices, setPrices] = useState(plan ? pricesText(plan.prices) : '');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const x = Number(multiplier);
    const multipliers = parseRules(rules);
    const fixed = parsePrices(prices);
    if (!name.trim()) return setError('Give the plan a name.');
    if (multiplier.trim() === '' || !Number.isFinite(x) || x < 0)
      return setError('The multiplier is a number of at least 0 (1 = list prices).');
    if ('error' in multipliers) return setError(String(multipliers.error));
    if ('error' in fixed) return setError(String(fixed.error));
    const body: PlanBody = {
      name: name.trim(),
      description: description.trim() || null,
      multiplier: x,
      multipliers,
      prices: fixed,
    };
    setBusy(true);
    setError(undefined);
    try {
      props.onSaved(plan ? await api.updatePlan(plan.id, body) : await api.createPlan(body));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open title={plan ? 'Edit price plan' : 'Create price plan'} onClose={props.onClose} wide>
      <form class="form-stack" onSubmit={submit} noValidate>
        <Field id="plan-name" label="Name">
          <input id="plan-name" value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </Field>
        <Field id="plan-description" label="Description">
          <input
            id="plan-description"
            value={description}
            placeholder="Optional"
            onInput={(event) => setDescription(event.currentTarget.value)}
          />
        </Field>
        <Field
          id="plan-multiplier"
          label="Multiplier"
          hint="Over the list price of every model no rule below names: 1 is list price, 1.2 is 20 % more."
        >
          <input
            id="plan-multiplier"
            inputMode="decimal"
            value={multiplier}
            aria-describedby="plan-multiplier-hint"
            onInput={(event) => setMultiplier(event.currentTarget.value)}
          />
        </Field>
        <Field
          id="plan-rules"
          label="Rules"
          hint="One per line, a glob or an exact model id and its multiplier: openai/* = 0.9. The most specific wins: an exact id, then the glob with the most literal characters."
        >
          <textarea
            id="plan-rules"
            rows={4}
            class="mono"
            placeholder={'openai/* = 0.9\nanthropic/claude-* = 1.2'}
            value={rules}
            aria-describedby="plan-rules-hint"
            onInput={(event) => setRules(event.currentTarget.value)}
          />
        </Field>
        <Field
          id="plan-prices"
          label="Fixed prices"
          hint="One per line, an exact model id and its token prices in USD per million: input, output, then optionally cached input, cache write, 1-hour cache write."
        >
          <textarea
            id="plan-prices"
            rows={3}
            class="mono"
            placeholder="openai/gpt-4o = 2, 8, 1"
            value={prices}
            aria-describedby="plan-prices-hint"
            onInput={(event) => setPrices(event.currentTarget.value)}
          />
        </Field>
        <FormError error={error} />
        <div class="dialog-foot">
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : plan ? 'Save plan' : 'Create plan'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function PlanList() {
  const { api } = useSession();
  const plans = useAsync(() => api.plans(), [api]);
  const [editing, setEditing] = useState<Plan | 'new' | undefined>();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();

  const remove = async (plan: Plan) => {
    setError(undefined);
    setNotice(undefined);
    try {
      await api.deletePlan(plan.id);
      setNotice(`Plan “${plan.name}” deleted.`);
      plans.reload();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  return (
    <>
      <PageHeader
        title="Price plans"
        description="What the accounts on a plan pay over the list prices. Accounts without a plan pay list prices; put one on a plan on its account page."
        actions={
          <button type="button" class="btn btn-primary" onClick={() => setEditing('new')}>
            Create plan
          </button>
        }
      />
      <p class="notice" role="status" aria-live="polite">
        {notice}
      </p>
      <FormError error={error} />
      <Panel title="Plans">
        {plans.error ? (
          <ErrorBox error={plans.error} onRetry={plans.reload} title="Could not load the plans" />
        ) : !plans.data ? (
          <Loading label="Loading plans…" />
        ) : plans.data.length === 0 ? (
          <Empty title="No price plans yet: every account pays list prices." />
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" class="num">
                    Multiplier
                  </th>
                  <th scope="col">Rules</th>
                  <th scope="col">Fixed prices</th>
                  <th scope="col" class="num">
                    Accounts
                  </th>
                  <th scope="col">Updated</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {plans.data.map((plan) => (
                  <tr key={plan.id} data-plan-id={plan.id}>
                    <td>
                      <span class="strong">{plan.name}</span>
                      <span class="sub mono">{plan.id}</span>
                      {plan.description && <span class="sub">{plan.description}</span>}
                    </td>
                    <td class="num">×{plan.multiplier}</td>
                    <td class="mono">
                      {Object.keys(plan.multipliers).length === 0 ? (
                        <span class="muted">—</span>
                      ) : (
                        Object.entries(plan.multipliers).map(([glob, x]) => (
                          <div key={glob}>
                            {glob} ×{x}
                          </div>
                        ))
                      )}
                    </td>
                    <td class="mono">
                      {Object.keys(plan.prices).length === 0 ? (
                        <span class="muted">—</span>
                      ) : (
                        Object.entries(plan.prices).map(([model, price]) => (
                          <div key={model}>
                            {model} ${price.input} / ${price.output}
                          </div>
                        ))
                      )}
                    </td>
                    <td class="num">{plan.accounts ? plan.accounts : <Badge tone="neutral">none</Badge>}</td>
                    <td class="nowrap">{date(plan.updated_at)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="btn btn-small"
                        aria-label={`Edit ${plan.name}`}
                        onClick={() => setEditing(plan)}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        class="btn btn-small btn-danger-ghost"
                        aria-label={`Delete ${plan.name}`}
                        onClick={() => void remove(plan)}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      {editing && (
        <PlanDialog
          plan={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onSaved={(plan) => {
            setEditing(undefined);
            setNotice(`Plan “${plan.name}” saved.`);
            plans.reload();
          }}
        />
      )}
    </>
  );
}

export function PlansPage() {
  const { admin } = useSession();
  return admin ? <PlanList /> : <NotFoundPage />;
}
