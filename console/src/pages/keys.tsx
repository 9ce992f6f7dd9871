// Keys: create (the secret is shown once), edit name and limits, revoke with confirmation. Tenants see their
// own key's limits and spend.
import { useMemo, useState } from 'preact/hooks';
import { CopyButton } from '../components/copy-button.js';
import { Dialog } from '../components/dialog.js';
import { Badge, Empty, ErrorBox, FormError, Loading, PageHeader, Panel } from '../components/ui.js';
import { DASH, date, int, percent, usd } from '../format.js';
import { useAsync } from '../hooks.js';
import { useSession } from '../session.js';
import type { Account, ApiKey } from '../types.js';
import { emptyKeyForm, KeyFormFields, type KeyFormValues, keyFormBody, keyFormFrom } from './key-form.js';

type KeyState = 'active' | 'revoked' | 'expired';

function stateOf(key: ApiKey): KeyState {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at && Date.parse(key.expires_at) <= Date.now()) return 'expired';
  return 'active';
}

function KeyStateBadge(props: { apiKey: ApiKey }) {
  const state = stateOf(props.apiKey);
  return <Badge tone={state === 'active' ? 'ok' : state === 'revoked' ? 'bad' : 'warn'}>{state}</Badge>;
}

export function BudgetMeter(props: { spend: number; budget: number | null }) {
  if (props.budget === null) return <span>{usd(props.spend)}</span>;
  const ratio = props.budget === 0 ? 1 : Math.min(1, props.spend / props.budget);
  return (
    <div class="meter-cell">
      <span>
        {usd(props.spend)} <span class="muted">of {usd(props.budget)}</span>
      </span>
      <meter
        min={0}
        max={1}
        low={0.75}
        high={0.9}
        optimum={0}
        value={ratio}
        aria-label={`${Math.round(ratio * 100)}% of budget used`}
      />
    </div>
  );
}

function limitsText(key: ApiKey): string {
  const parts = [];
  if (key.rpm !== null) parts.push(`${int(key.rpm)} req/min`);
  if (key.tpm !== null) parts.push(`${int(key.tpm)} tok/min`);
  return parts.length > 0 ? parts.join(' · ') : 'None';
}

function CreateKeyDialog(props: {
  open: boolean;
  accounts: Account[];
  modelIds: string[];
  onClose: () => void;
  onCreated: (key: ApiKey & { key: string }) => void;
}) {
  const { api } = useSession();
  const [values, setValues] = useState<KeyFormValues>(() => emptyKeyForm(props.accounts[0]?.id));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const parsed = keyFormBody(values, 'create');
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      props.onCreated(await api.createKey(parsed.body));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.open} title="Create API key" onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate>
        <KeyFormFields
          idPrefix="create-key"
          values={values}
          onChange={setValues}
          {...(props.accounts.length > 0 ? { accounts: props.accounts } : {})}
          modelIds={props.modelIds}
        />
        <FormError error={error} />
        <div class="dialog-foot">
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function SecretDialog(props: { created: (ApiKey & { key: string }) | undefined; onClose: () => void }) {
  const created = props.created;
  return (
    <Dialog open={created !== undefined} title="Your new API key" onClose={props.onClose}>
      {created && (
        <>
          <p>
            Copy the key for <strong>{created.name}</strong> now and keep it somewhere safe.{' '}
            <strong>It will not be shown again</strong>: the gateway stores only its hash.
          </p>
          <div class="secret-row">
            <label class="sr-only" for="new-key-secret">
              Secret key
            </label>
            <textarea
              id="new-key-secret"
              class="mono secret"
              readOnly
              rows={2}
              spellcheck={false}
              value={created.key}
              onFocus={(event) => event.currentTarget.select()}
            />
            <CopyButton text={created.key} label="Copy key" />
          </div>
          <div class="dialog-foot">
            <button type="button" class="btn btn-primary" onClick={props.onClose}>
              I have copied it
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function EditKeyDialog(props: { apiKey: ApiKey; onClose: () => void; onSaved: (key: ApiKey) => void }) {
  const { api } = useSession();
  const [values, setValues] = useState<KeyFormValues>(() => keyFormFrom(props.apiKey));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const parsed = keyFormBody(values, 'edit');
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      props.onSaved(await api.updateKey(props.apiKey.id, parsed.body));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };

  return (
    <Dialog open title="Edit API key" onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate>
        <KeyFormFields idPrefix="edit-key" values={values} onChange={setValues} />
        <FormError error={error} />
        <div class="dialog-foot">
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RevokeDialog(props: { apiKey: ApiKey | undefined; onClose: () => void; onRevoked: () => void }) {
  const { api } = useSession();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const key = props.apiKey;

  const revoke = async () => {
    if (!key) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.revokeKey(key.id);
      props.onRevoked();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={key !== undefined}
      title="Revoke API key"
      onClose={() => {
        setError(undefined);
        props.onClose();
      }}
    >
      {key && (
        <>
          <p>
            Revoke <strong>{key.name}</strong> <span class="mono muted">{key.preview}</span>? Every request
            made with it will be refused from now on. This cannot be undone.
          </p>
          <FormError error={error} />
          <div class="dialog-foot">
            <button type="button" class="btn" onClick={props.onClose}>
              Cancel
            </button>
            <button type="button" class="btn btn-danger" onClick={revoke} disabled={busy}>
              {busy ? 'Revoking…' : 'Revoke key'}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function AdminKeys() {
  const { api } = useSession();
  const keys = useAsync(() => api.keys(), [api]);
  const extras = useAsync(async () => {
    const [accounts, models] = await Promise.all([
      api.accounts().catch(() => [] as Account[]),
      api.models().catch(() => []),
    ]);
    return { accounts, modelIds: models.map((model) => model.id) };
  }, [api]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKey & { key: string }>();
  const [editing, setEditing] = useState<ApiKey>();
  const [revoking, setRevoking] = useState<ApiKey>();
  const [showRevoked, setShowRevoked] = useState(false);
  const [notice, setNotice] = useState<string>();

  const accountNames = useMemo(
    () => new Map((extras.data?.accounts ?? []).map((account) => [account.id, account.name])),
    [extras.data],
  );
  const visible = (keys.data ?? []).filter((key) => showRevoked || !key.revoked_at);
  const revokedCount = (keys.data ?? []).filter((key) => key.revoked_at).length;

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys your applications use to call the gateway, with their budgets and rate limits."
        actions={
          <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
            Create key
          </button>
        }
      />
      <p class="notice" role="status" aria-live="polite">
        {notice}
      </p>
      <Panel
        title="Keys"
        actions={
          revokedCount > 0 && (
            <label class="check">
              <input
                type="checkbox"
                checked={showRevoked}
                onChange={(event) => setShowRevoked(event.currentTarget.checked)}
              />
              Show revoked ({revokedCount})
            </label>
          )
        }
      >
        {keys.error ? (
          <ErrorBox error={keys.error} onRetry={keys.reload} title="Could not load keys" />
        ) : !keys.data ? (
          <Loading label="Loading keys…" />
        ) : visible.length === 0 && revokedCount > 0 ? (
          <Empty title="No active keys.">
            <p>Every key has been revoked. Create a new one, or tick “Show revoked” to see the old ones.</p>
          </Empty>
        ) : visible.length === 0 ? (
          <Empty title="No API keys yet.">
            <p>Create a key for each application so you can see and limit what it spends.</p>
            <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
              Create key
            </button>
          </Empty>
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Account</th>
                  <th scope="col">Models</th>
                  <th scope="col">Spend</th>
                  <th scope="col">Rate limits</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {visible.map((key) => (
                  <tr key={key.id} data-key-id={key.id}>
                    <td>
                      <span class="strong">{key.name}</span>
                      <span class="sub mono">{key.preview ?? key.id}</span>
                    </td>
                    <td>{accountNames.get(key.account_id) ?? key.account_id}</td>
                    <td class="models-cell">{key.models ? key.models.join(', ') : 'All'}</td>
                    <td>
                      <BudgetMeter spend={key.spend_usd} budget={key.budget_usd} />
                    </td>
                    <td class="nowrap">{limitsText(key)}</td>
                    <td class="nowrap">{key.expires_at ? date(key.expires_at) : 'Never'}</td>
                    <td>
                      <KeyStateBadge apiKey={key} />
                    </td>
                    <td class="actions">
                      {!key.revoked_at && (
                        <>
                          <button
                            type="button"
                            class="btn btn-small"
                            aria-label={`Edit ${key.name}`}
                            onClick={() => setEditing(key)}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            class="btn btn-small btn-danger-ghost"
                            aria-label={`Revoke ${key.name}`}
                            onClick={() => setRevoking(key)}
                          >
                            Revoke
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>

      {creating && (
        <CreateKeyDialog
          open
          accounts={extras.data?.accounts ?? []}
          modelIds={extras.data?.modelIds ?? []}
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setCreated(key);
            setNotice(`Key “${key.name}” created.`);
            keys.reload();
          }}
        />
      )}
      <SecretDialog created={created} onClose={() => setCreated(undefined)} />
      {editing && (
        <EditKeyDialog
          apiKey={editing}
          onClose={() => setEditing(undefined)}
          onSaved={(saved) => {
            setNotice(`Key “${saved.name}” saved.`);
            setEditing(undefined);
            keys.reload();
          }}
        />
      )}
      <RevokeDialog
        apiKey={revoking}
        onClose={() => setRevoking(undefined)}
        onRevoked={() => {
          setNotice(`Key “${revoking?.name ?? ''}” revoked.`);
          setRevoking(undefined);
          keys.reload();
        }}
      />
    </>
  );
}

function OwnKey() {
  const { api, self: signedIn } = useSession();
  // Spend moves with every request: read the key again rather than show the sign-in snapshot.
  const fresh = useAsync(() => api.whoami(), [api]);
  const self = fresh.data?.object === 'api_key' ? fresh.data : signedIn;
  if (!self) return null;
  const rows: [string, string][] = [
    ['Key id', self.id],
    ['Account', self.account?.name ?? self.account_id],
    ['Allowed models', self.models ? self.models.join(', ') : 'All models'],
    ['Budget', self.budget_usd === null ? 'No budget' : usd(self.budget_usd)],
    ['Requests per minute', self.rpm === null ? 'No limit' : int(self.rpm)],
    ['Tokens per minute', self.tpm === null ? 'No limit' : int(self.tpm)],
    ['Expires', self.expires_at ? date(self.expires_at) : 'Never'],
  ];
  const used = self.budget_usd ? Math.min(1, self.spend_usd / self.budget_usd) : undefined;
  return (
    <>
      <PageHeader
        title="My key"
        description="The limits set on the key you signed in with. Ask an administrator to change them."
      />
      <div class="grid-2">
        <Panel title={self.name}>
          <dl class="props">
            {rows.map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd>{value || DASH}</dd>
              </div>
            ))}
          </dl>
        </Panel>
        <Panel title="Spend">
          <div class="big-number">{usd(self.spend_usd)}</div>
          {used === undefined ? (
            <p class="muted">Everything this key has spent since it was created; it has no budget.</p>
          ) : (
            <>
              <meter
                min={0}
                max={1}
                low={0.75}
                high={0.9}
                optimum={0}
                value={used}
                aria-label="Share of the budget used"
              />
              <p class="muted">
                {percent(self.spend_usd, self.budget_usd ?? 0)} of the {usd(self.budget_usd)} budget used
                since the key was created.
              </p>
            </>
          )}
        </Panel>
      </div>
    </>
  );
}

export function KeysPage() {
  const { admin } = useSession();
  return admin ? <AdminKeys /> : <OwnKey />;
}
