// The fields of a key (name, account, models, budget, limits, expiry), shared by "create" and "edit".
import { Field } from '../components/ui.js';
import { parseNumber } from '../format.js';
import type { Account, ApiKey } from '../types.js';

export interface KeyFormValues {
  name: string;
  account_id: string;
  models: string;
  budget_usd: string;
  rpm: string;
  tpm: string;
  expires_on: string;
}

export function emptyKeyForm(accountId = ''): KeyFormValues {
  return { name: '', account_id: accountId, models: '', budget_usd: '', rpm: '', tpm: '', expires_on: '' };
}

export function keyFormFrom(key: ApiKey): KeyFormValues {
  return {
    name: key.name,
    account_id: key.account_id,
    models: key.models?.join(', ') ?? '',
    budget_usd: key.budget_usd === null ? '' : String(key.budget_usd),
    rpm: key.rpm === null ? '' : String(key.rpm),
    tpm: key.tpm === null ? '' : String(key.tpm),
    expires_on: key.expires_at ? localDay(new Date(key.expires_at)) : '',
  };
}

function localDay(value: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

/**
 * The request body for the form, or a message naming the field that is wrong. For an edit, an emptied field
 * is sent as null (limit removed); for a create it is left out.
 */
export function keyFormBody(
  values: KeyFormValues,
  mode: 'create' | 'edit',
): { body: Record<string, unknown> } | { error: string } {
  const body: Record<string, unknown> = {};
  const unset = (field: string) => {
    if (mode === 'edit') body[field] = null;
  };
  const name = values.name.trim();
  if (!name) return { error: 'Give the key a name.' };
  body.name = name;
  if (mode === 'create' && values.account_id) body.account_id = values.account_id;

  const models = values.models
    .split(/[\s,]+/)
    .map((model) => model.trim())
    .filter(Boolean);
  if (models.length > 0) body.models = models;
  else unset('models');

  const budget = parseNumber(values.budget_usd);
  if (budget === undefined) unset('budget_usd');
  else if (!Number.isFinite(budget) || budget < 0)
    return { error: 'Budget must be a positive amount in USD.' };
  else body.budget_usd = budget;

  for (const field of ['rpm', 'tpm'] as const) {
    const value = parseNumber(values[field]);
    if (value === undefined) unset(field);
    else if (!Number.isInteger(value) || value <= 0)
      return {
        error: `${field === 'rpm' ? 'Requests' : 'Tokens'} per minute must be a whole number above 0.`,
      };
    else body[field] = value;
  }

  if (values.expires_on) {
    // The key works through the whole chosen day, in the user's time zone.
    const end = new Date(`${values.expires_on}T23:59:59`);
    if (Number.isNaN(end.getTime())) return { error: 'The expiry date is not a valid date.' };
    body.expires_at = end.toISOString();
  } else unset('expires_at');
  return { body };
}

export function KeyFormFields(props: {
  idPrefix: string;
  values: KeyFormValues;
  onChange: (values: KeyFormValues) => void;
  accounts?: Account[];
  modelIds?: string[];
}) {
  const { idPrefix: p, values, onChange } = props;
  const set = (field: keyof KeyFormValues) => (event: Event) =>
    onChange({ ...values, [field]: (event.currentTarget as HTMLInputElement).value });
  const listId = `${p}-model-list`;

  return (
    <div class="form-grid">
      <div class="span-2">
        <Field id={`${p}-name`} label="Name" hint="Who or what uses this key, e.g. “billing-service (prod)”.">
          <input
            id={`${p}-name`}
            value={values.name}
            onInput={set('name')}
            required
            maxLength={200}
            aria-describedby={`${p}-name-hint`}
          />
        </Field>
      </div>
      {props.accounts && (
        <div class="span-2">
          <Field id={`${p}-account`} label="Account" hint="Spend is charged to this account's credits.">
            <select
              id={`${p}-account`}
              value={values.account_id}
              onChange={set('account_id')}
              aria-describedby={`${p}-account-hint`}
            >
              {props.accounts.map((account) => (
                <option key={account.id} value={account.id}>
                  {account.name}
                </option>
              ))}
            </select>
          </Field>
        </div>
      )}
      <div class="span-2">
        <Field
          id={`${p}-models`}
          label="Allowed models"
          hint="Leave empty for every model. Separate with commas; * matches anything, e.g. gpt-4o*, openai/*."
        >
          <input
            id={`${p}-models`}
            value={values.models}
            onInput={set('models')}
            placeholder="All models"
            list={props.modelIds ? listId : undefined}
            aria-describedby={`${p}-models-hint`}
            autocomplete="off"
          />
        </Field>
        {props.modelIds && (
          <datalist id={listId}>
            {props.modelIds.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        )}
      </div>
      <Field id={`${p}-budget`} label="Budget (USD)" hint="Total spend allowed; empty for none.">
        <input
          id={`${p}-budget`}
          inputMode="decimal"
          value={values.budget_usd}
          onInput={set('budget_usd')}
          placeholder="No budget"
          aria-describedby={`${p}-budget-hint`}
        />
      </Field>
      <Field id={`${p}-expires`} label="Expires on" hint="Last day the key works; empty for never.">
        <input
          id={`${p}-expires`}
          type="date"
          value={values.expires_on}
          onInput={set('expires_on')}
          aria-describedby={`${p}-expires-hint`}
        />
      </Field>
      <Field id={`${p}-rpm`} label="Requests per minute" hint="Empty for no limit.">
        <input
          id={`${p}-rpm`}
          inputMode="numeric"
          value={values.rpm}
          onInput={set('rpm')}
          placeholder="No limit"
          aria-describedby={`${p}-rpm-hint`}
        />
      </Field>
      <Field id={`${p}-tpm`} label="Tokens per minute" hint="Empty for no limit.">
        <input
          id={`${p}-tpm`}
          inputMode="numeric"
          value={values.tpm}
          onInput={set('tpm')}
          placeholder="No limit"
          aria-describedby={`${p}-tpm-hint`}
        />
      </Field>
    </div>
  );
}
