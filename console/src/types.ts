// The JSON shapes of the gateway's admin and self-service API (money in USD, times as ISO strings).

export interface Account {
  id: string;
  object: 'account';
  name: string;
  /** Whether a prepaid balance limits its keys (`unmetered`: no balance is enforced). */
  metering: 'prepaid' | 'unmetered';
  /** Prepaid credits; null = unmetered (no balance is enforced). */
  credits_usd: number | null;
  spend_usd: number;
  balance_usd: number | null;
  /** A webhook fires when the balance falls below this; null = none. */
  low_balance_usd?: number | null;
  /** The price plan its requests are charged by; null = list prices. */
  plan_id?: string | null;
  created_at: string;
}

/** A model's fixed token prices in a plan, USD per million tokens. */
export interface PlanPrice {
  input: number;
  output: number;
  cached_input?: number;
  cache_write?: number;
  cache_write_1h?: number;
}

/** A price plan: a multiplier over list prices, per glob or exact model id, and fixed prices. */
export interface Plan {
  id: string;
  object: 'plan';
  name: string;
  description: string | null;
  multiplier: number;
  multipliers: Record<string, number>;
  prices: Record<string, PlanPrice>;
  accounts?: number;
  created_at: string;
  updated_at: string;
}

export type PlanBody = Partial<Pick<Plan, 'name' | 'description' | 'multiplier' | 'multipliers' | 'prices'>>;

/** GET /admin/accounts/{id}/statement; a tenant's own (GET /v1/statement) has no upstream costs. */
export interface Statement {
  account_id: string;
  name: string;
  plan_id: string | null;
  from: string;
  to: string;
  opening_balance_usd: number;
  credits: CreditEntry[];
  credits_total_usd: number;
  spend: Array<{
    day: string;
    model: string;
    requests: number;
    cost_usd: number;
    upstream_cost_usd?: number;
  }>;
  spend_total_usd: number;
  upstream_total_usd?: number;
  closing_balance_usd: number;
}

export interface CreditEntry {
  id: string;
  amount_usd: number;
  note: string | null;
  created_at: string;
}

export interface ApiKey {
  id: string;
  object?: 'api_key';
  name: string;
  account_id: string;
  preview?: string;
  models: string[] | null;
  budget_usd: number | null;
  rpm: number | null;
  tpm: number | null;
  expires_at: string | null;
  created_at?: string;
  revoked_at?: string | null;
  spend_usd: number;
}

/** GET /v1/key: the signed-in key, or the admin marker. */
export type KeyInfo =
  | { object: 'admin' }
  | (ApiKey & {
      object: 'api_key';
      account?: Pick<Account, 'id' | 'name' | 'credits_usd' | 'spend_usd' | 'balance_usd'>;
    });

export type GroupBy = 'model' | 'key' | 'day';

export interface UsageFilter {
  from?: string;
  to?: string;
  group_by?: GroupBy;
  key_id?: string;
  account_id?: string;
  model?: string;
}

export interface UsageRow {
  group: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number | null;
  avg_latency_ms: number | null;
}

export type RequestStatus = 'ok' | 'error' | 'aborted';

export interface RequestRecord {
  id: string;
  created_at: string;
  key_id: string | null;
  account_id: string | null;
  model: string;
  provider: string | null;
  upstream_model: string | null;
  status: RequestStatus;
  http_status: number | null;
  stream: boolean;
  prompt_tokens: number | null;
  cached_tokens: number | null;
  completion_tokens: number | null;
  reasoning_tokens: number | null;
  usage_source: string | null;
  cost_usd: number | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  error_code: string | null;
  /** The API the request came through: 'chat completion', 'messages', ...; null for rows from before the
   * gateway recorded it. */
  door: string | null;
  /** What the request billed in a unit other than tokens (audio): a count, and its unit. */
  units?: number | null;
  unit?: string | null;
}

export interface RequestDetail extends RequestRecord {
  attempts?: Attempt[];
}

/**
 * One upstream attempt as the ledger records it (src/router/attempts.ts). A list too long for its column
 * ends in `{"omitted": n}`.
 */
export interface Attempt {
  deployment?: string;
  provider?: string;
  upstream_model?: string;
  /** 200 when it served the answer; the error's HTTP status; 499 when the client went away. */
  status?: number;
  code?: string | null;
  ms?: number;
  omitted?: number;
}

export interface Price {
  input: number;
  output: number;
  cached_input?: number | null;
  /** Rerank models billed per search: USD per 1,000 searches. */
  per_thousand_searches?: number;
}

/** What a model does: which endpoint serves it. */
export type ModelKind = 'chat' | 'embedding' | 'rerank' | 'speech' | 'transcription' | 'image';

export interface CatalogModel {
  id: string;
  provider: string;
  model: string;
  /** What the model does: which endpoint serves it. */
  kind: ModelKind;
  context_window: number | null;
  price: Price | null;
  /** What ledger rows record for the price: `builtin@2025-11-01`, `import-3@2026-12-07`, `config@start`. */
  price_version: string | null;
  /** Where the price was read (a vendor's pricing page, a price file) and the day it was checked. */
  price_source: string | null;
  price_date: string | null;
  enabled: boolean;
}

export interface ModelCatalog {
  data: CatalogModel[];
  providers: { id: string; format: string }[];
}

export interface PublicModel {
  id: string;
  object: 'model';
  owned_by: string;
}
