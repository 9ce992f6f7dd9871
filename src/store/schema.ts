// Table shapes as Kysely sees them. Times are integer milliseconds since the epoch and money is integer
// micro-dollars, so both engines store them exactly; booleans are 0/1 integers for the same reason.
import type { Generated, Selectable } from 'kysely';

/** The unmetered account that the admin key and keys created without an account belong to. */
export const DEFAULT_ACCOUNT_ID = 'acct_default';

export interface AccountsTable {
  id: string;
  name: string;
  /** Prepaid credit granted so far, micro-USD; null = unmetered. */
  credits_micros: number | null;
  spend_micros: Generated<number>;
  created_at: number;
  /** A webhook fires when the balance falls below this, micro-USD; null = none. */
  low_balance_micros: Generated<number | null>;
  /** When it last fired; cleared once the balance is back at or above the threshold. */
  low_balance_notified_at: Generated<number | null>;
  /** The price plan its requests are charged by (`price_plans.id`); null = list prices. */
  plan_id: Generated<string | null>;
}

/**
 * A price plan: what the accounts on it pay, over the catalog's list prices. `multiplier` applies to every
 * model; `multipliers` (JSON `{glob: number}`) to models matching a glob or an exact id; `prices` (JSON
 * `{model id: price}`, USD per million tokens as the config's model prices) fixes a model's token prices.
 */
export interface PricePlansTable {
  id: string;
  name: string;
  description: string | null;
  multiplier: number;
  multipliers: string;
  prices: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  name: string;
  /** SHA-256 of the whole secret key, hex. The secret itself is never stored. */
  key_hash: string;
  /** JSON array of model globs; null = every model. */
  models: string | null;
  budget_micros: number | null;
  rpm: number | null;
  tpm: number | null;
  expires_at: number | null;
  created_at: number;
  revoked_at: number | null;
  spend_micros: Generated<number>;
}

export interface SettingsTable {
  name: string;
  value: string;
}

export interface RequestsTable {
  id: string;
  created_at: number;
  key_id: string | null;
  account_id: string | null;
  /** The model id the client asked for, e.g. `openai/gpt-4o`. */
  model: string;
  provider: string | null;
  upstream_model: string | null;
  status: 'ok' | 'error' | 'aborted';
  http_status: number;
  stream: number;
  prompt_tokens: number | null;
  cached_tokens: number | null;
  completion_tokens: number | null;
  reasoning_tokens: number | null;
  /** `provider` or `estimated` (counted by the gateway's tokenizer). */
  usage_source: string | null;
  /** Null when the model has no price: unpriced, never a silent 0. */
  cost_micros: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  error_code: string | null;
  /** JSON array of every upstream attempt: provider, upstream model, status, error code, ms. */
  attempts: string | null;
  /** Which price the cost was computed with (`<source>@<effective date>`), so it can be re-rated. */
  price_version: string | null;
  /** The front door (API) the request came through: `chat completion`, `messages`, ... */
  door: string | null;
  /** What the request billed in a unit other than tokens (audio: characters of speech, seconds heard). */
  units: number | null;
  /** The unit of `units`: `characters` or `seconds`. */
  unit: string | null;
  /**
   * What the request cost the operator upstream, at list price (`cost_micros` is what the tenant was
   * charged, after its price plan): margin is their difference. Null when the model has no list price.
   */
  upstream_cost_micros: number | null;
}

export interface CreditEntriesTable {
  id: string;
  account_id: string;
  /** Positive for a top-up, negative for a correction. */
  amount_micros: number;
  note: string | null;
  created_at: number;
  /** The top-up's Idempotency-Key (unique per account); null when none was given. */
  idempotency_key?: string | null | undefined;
  /** A grant that expires: when (ms); its unspent rest is then withdrawn. */
  expires_at?: number | null | undefined;
  /** The account's spend when the grant was made (spend after it is taken from it first). */
  spend_at_grant?: number | null | undefined;
  /** When the grant expired (and its rest was withdrawn). */
  expired_at?: number | null | undefined;
}

export interface WebhookDeliveriesTable {
  id: string;
  account_id: string;
  /** `account.low_balance`. */
  event: string;
  /** The body sent, JSON (the same bytes every attempt, so its signature can be checked). */
  payload: string;
  created_at: number;
  attempts: Generated<number>;
  /** JSON array of `{at, status}` or `{at, error}`, one per attempt. */
  attempts_json: Generated<string>;
  /** When to try next (a sender claims it by moving this forward); null = delivered or given up. */
  next_attempt_at: number | null;
  delivered_at: Generated<number | null>;
  last_status: Generated<number | null>;
  last_error: Generated<string | null>;
}

export interface RedemptionCodesTable {
  id: string;
  /** SHA-256 of the code, hex: the code itself is shown once, when created. */
  code_hash: string;
  amount_micros: number;
  note: string | null;
  created_at: number;
  expires_at: number | null;
  /** Set once, by the one redemption that wins. */
  redeemed_at: number | null;
  account_id: string | null;
  credit_id: string | null;
}

/** PostgreSQL only: usage per hour, account, key ('' = admin) and model, kept by every ledger write. */
export interface UsageHourlyTable {
  /** Start of the hour, ms since the epoch. */
  hour: number;
  account_id: string;
  key_id: string;
  model: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
  /** Sum over the hour's requests (the average is this over `requests`). */
  latency_ms: number;
}

/**
 * Ledger rows the database refused even after they were made storable, kept aside so the rows after them
 * are written (see Ledger). Keyed by request id: a replayed dead letter is neither kept nor charged twice.
 */
export interface LedgerDeadLettersTable {
  id: string;
  /** When it was set aside, ms since the epoch. */
  created_at: number;
  /** The row as JSON (which escapes U+0000 and lone surrogates, so any text column holds it). */
  row_json: string;
  error: string;
  /** SQLSTATE or SQLite result code, when the driver gave one. */
  error_code: string | null;
}

/** Responses API answers kept for `previous_response_id` and GET /v1/responses/{id} (store: true). */
export interface StoredResponsesTable {
  /** `resp_...`. */
  id: string;
  /** Only this account's keys (and, for the default account, the admin key) may read or delete it. */
  account_id: string;
  /** ms since the epoch; rows older than the retention are neither read nor kept. */
  created_at: number;
  /** The model id the client asked for. */
  model: string;
  /** JSON array of the conversation's input items up to this response (each with an id). */
  input_json: string;
  /** The Response object as answered, JSON. */
  response_json: string;
}

/** A price version: a price file as imported, in tokgate's format (see src/catalog/price-file.ts). */
export interface PriceVersionsTable {
  /** 1, 2, 3, ...: the newest is the one applied. */
  id: number;
  created_at: number;
  /** The file's format: `litellm` or `tokgate`. */
  format: string;
  /** What the importer named as the file's source (`--source`), if anything. */
  source: string | null;
  /** How many models it prices. */
  models: number;
  /** `{"tokgate_prices": 1, "prices": {...}}`. */
  prices_json: string;
}

export interface Schema {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  settings: SettingsTable;
  /** The ledger on SQLite; on PostgreSQL, the legacy table that old replicas may still write. */
  requests: RequestsTable;
  /** The ledger on PostgreSQL: the same rows, partitioned by month of `created_at`. */
  request_log: RequestsTable;
  usage_hourly: UsageHourlyTable;
  credit_entries: CreditEntriesTable;
  redemption_codes: RedemptionCodesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  ledger_dead_letters: LedgerDeadLettersTable;
  stored_responses: StoredResponsesTable;
  price_plans: PricePlansTable;
  price_versions: PriceVersionsTable;
}

export type PricePlanRow = Selectable<PricePlansTable>;
export type PriceVersionRow = Selectable<PriceVersionsTable>;

export type StoredResponseRow = Selectable<StoredResponsesTable>;
export type RedemptionCodeRow = Selectable<RedemptionCodesTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;

/** One ledger row as stored and read back. */
export type RequestRow = Selectable<RequestsTable>;
export type DeadLetterRow = Selectable<LedgerDeadLettersTable>;
