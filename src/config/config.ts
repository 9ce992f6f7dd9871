// Configuration: environment variables and the optional YAML file, validated once at start.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/config-error.js';
import { IMAGE_OPERATIONS } from '../core/images.js';
import { findApplicationDefaultCredentials } from './google-credentials.js';
import { type ObservabilitySettings, resolveObservability } from './observability.js';
import { OPENAI_COMPATIBLE_VENDORS, type VendorQuirks, type VendorSpec } from './vendors.js';

export interface ProviderSettings {
  /** The model prefix: `openai`, `groq`, `my-vllm`, ... */
  id: string;
  /** Wire format; the OpenAI family is `openai`. */
  format: string;
  /** Base URL including the version path (`https://api.openai.com/v1`). Only ever from configuration. */
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
  quirks: VendorQuirks;
  /** Models to list in /v1/models besides the built-in catalog's (handy for self-hosted servers). */
  models: string[];
  /** Format-specific settings: Azure `api_version`, Bedrock `region`/`secret_access_key`/`session_token`, ... */
  options: Record<string, string>;
  /** Bills nothing (a local server): its models are priced at zero. */
  free?: boolean;
  /** Its live `GET /models` list is read in the background and added to /v1/models (OpenAI format only). */
  listModels?: boolean;
}

export interface PriceSettings {
  /** USD per million tokens. */
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
  /** Anthropic's 1-hour cache writes. */
  cacheWrite1h?: number;
  /** Rerank models billed per search: USD per 1,000 searches. */
  perThousandSearches?: number;
  /** Speech models billed per character of input: USD per million characters. */
  perMillionCharacters?: number;
  /** Transcription models billed per duration of audio: USD per minute. */
  perMinute?: number;
  /** Audio tokens (gpt-4o-transcribe's input, gpt-4o-mini-tts's output): USD per million. */
  audioInput?: number;
  audioOutput?: number;
  /** Image models: USD per image by quality, then size (`*`: any size); the first quality is the default. */
  perImage?: Record<string, Record<string, number>>;
  /** GPT image models: USD per million image input tokens. */
  imageInput?: number;
  /** USD per million reasoning tokens, where the model bills them apart from output tokens. */
  reasoning?: number;
  /** Image models billed by tokens whose image output has its own price (Gemini's): USD per million. */
  imageOutput?: number;
  /** The date this price took effect (recorded on ledger rows so costs can be re-rated). */
  effectiveFrom?: string;
}

export interface ModelSettings {
  /** What the model does (chat, embedding, rerank, speech, transcription, image): which door may name it. */
  kind?: 'chat' | 'embedding' | 'rerank' | 'speech' | 'transcription' | 'image';
  contextWindow?: number;
  maxOutputTokens?: number;
  price?: PriceSettings;
}

export interface GatewayConfig {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  adminKey: string | undefined;
  /**
   * Origins a browser may call the public API from (TOKGATE_CORS_ORIGINS: a comma list of origins, or `*`);
   * undefined: no CORS headers at all.
   */
  corsOrigins: string[] | '*' | undefined;
  /** When set, /metrics and /ready's details need it as a Bearer token (TOKGATE_METRICS_TOKEN). */
  metricsToken: string | undefined;
  bodyLimitBytes: number;
  /**
   * Multipart uploads (audio transcriptions, image edits and variations): bytes per file (TOKGATE_MAX_UPLOAD_BYTES, 25 MiB as OpenAI's)
   * and files per request (TOKGATE_MAX_UPLOAD_FILES, 16).
   */
  uploads: { maxFileBytes: number; maxFiles: number };
  /** How long stored Responses API answers are kept, days (TOKGATE_RESPONSES_RETENTION_DAYS, 30). */
  responsesRetentionDays: number;
  /** Time a client has to send a whole request, headers and body (TOKGATE_REQUEST_TIMEOUT_SECONDS). */
  requestTimeoutMs: number;
  /** Open client connections at most (TOKGATE_MAX_CONNECTIONS); more are closed at once. */
  maxConnections: number;
  logLevel: LogLevel;
  /** Tracing (OTEL_*) and the trusted proxies (TOKGATE_TRUST_PROXY): config/observability.ts. */
  observability: ObservabilitySettings;
  /** The ledger's write-ahead spool directory (TOKGATE_SPOOL_DIR); undefined: no spool. */
  spoolDir: string | undefined;
  /** Key prefix in Redis (TOKGATE_REDIS_PREFIX), so several gateways (or test runs) can share one Redis. */
  redisPrefix: string;
  /**
   * /ready fails once ledger rows have waited this long with none written (TOKGATE_LEDGER_STALL_SECONDS,
   * default 60 s); 0: never.
   */
  ledgerStallMs: number;
  /**
   * How long ledger rows may wait in memory before they are written (TOKGATE_LEDGER_FLUSH_MS, 100); a
   * batch that fills up (64 rows on SQLite, 500 on PostgreSQL) is written at once.
   */
  ledgerFlushMs: number;
  /** Upstream timeouts in ms: connecting and waiting for headers, and the whole call. */
  upstreamHeadersTimeoutMs: number;
  upstreamBodyTimeoutMs: number;
  /** The largest upstream answer, a JSON body or a whole stream (TOKGATE_MAX_UPSTREAM_ANSWER_MB). */
  maxUpstreamAnswerBytes: number;
  providers: ProviderSettings[];
  /** How often the live model lists are read again (TOKGATE_LIST_MODELS_INTERVAL_MINUTES, 60). */
  listModelsIntervalMs: number;
  /** Catalog overrides and additions, keyed `provider/model`. */
  models: Record<string, ModelSettings>;
  /** Refuse unpriced models for metered keys (prepaid accounts, key budgets): their cost cannot be bounded. */
  refuseUnpriced: boolean;
  /**
   * A metered request whose byte-bound hold is more than this share of the balance left has its prompt
   * counted exactly before it is held (TOKGATE_EXACT_HOLD_SHARE or billing.exact_hold_share, 0.01; 0–1).
   */
  exactHoldShare: number;
  /** Where low-balance events go (TOKGATE_WEBHOOK_*); undefined = nowhere (deliveries are still recorded). */
  webhook: WebhookSettings;
  /** Routes and the reliability policy (see the routing section below). */
  routing: RoutingSettings;
  /** Uploads (multipart) and the images the gateway keeps for `response_format: url`. */
  images: ImageSettings;
  /** Exact token counts (admission of metered keys, answers without usage), off the event loop. */
  tokenizer: {
    /** Time one count may take (TOKGATE_TOKENIZER_BUDGET_MS, 50); past it, a bound or an estimate stands. */
    budgetMs: number;
    /** Worker threads (TOKGATE_TOKENIZER_WORKERS, 1; 1–4), each ~70 MB per encoding it has used. */
    workers: number;
    /**
     * Time a count that sizes a hold on a tight balance may take (TOKGATE_TOKENIZER_HOLD_BUDGET_MS, 2000;
     * never below `budgetMs`): past it, the prompt's byte bound is held.
     */
    holdBudgetMs: number;
  };
}

export interface WebhookSettings {
  /** TOKGATE_WEBHOOK_URL: where events are POSTed; unset = recorded, not sent. */
  url: URL | undefined;
  /** TOKGATE_WEBHOOK_SECRET: the HMAC-SHA256 key of the `x-tokgate-signature` header. */
  secret: string | undefined;
  /** TOKGATE_WEBHOOK_RETRY_MS (1000): the wait before the first retry, doubled after each failure. */
  retryMs: number;
  /** TOKGATE_WEBHOOK_ATTEMPTS (8): attempts before a delivery is given up. */
  attempts: number;
}

function resolveWebhook(env: NodeJS.ProcessEnv): WebhookSettings {
  let url: URL | undefined;
  if (env.TOKGATE_WEBHOOK_URL) {
    try {
      url = new URL(env.TOKGATE_WEBHOOK_URL);
    } catch {
      throw new ConfigError('TOKGATE_WEBHOOK_URL must be an http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigError('TOKGATE_WEBHOOK_URL must be an http(s) URL');
    if (!env.TOKGATE_WEBHOOK_SECRET)
      throw new ConfigError('TOKGATE_WEBHOOK_URL needs TOKGATE_WEBHOOK_SECRET (its bodies are signed)');
  }
  const attempts = parseIntEnv(env, 'TOKGATE_WEBHOOK_ATTEMPTS') ?? 8;
  if (attempts < 1 || attempts > 20) throw new ConfigError('TOKGATE_WEBHOOK_ATTEMPTS must be 1 to 20');
  return {
    url,
    secret: env.TOKGATE_WEBHOOK_SECRET || undefined,
    retryMs: parsePositiveEnv(env, 'TOKGATE_WEBHOOK_RETRY_MS') ?? 1000,
    attempts,
  };
}

/** An S3-compatible bucket (TOKGATE_IMAGE_STORE=s3://bucket/prefix) and how to reach it. */
export interface S3Settings {
  bucket: string;
  /** Key prefix, without leading or trailing slashes ('' for none). */
  prefix: string;
  /** Path-style base URL (`https://s3.<region>.amazonaws.com`, MinIO's, R2's, ...). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
}

export interface ImageSettings {
  /** Where generated images wait for their URL to be fetched (TOKGATE_IMAGE_DIR; default beside the data). */
  dir: string;
  /** A bucket instead of the folder, for fleets (TOKGATE_IMAGE_STORE). */
  s3: S3Settings | undefined;
  /** How long an image URL works (TOKGATE_IMAGE_URL_TTL_SECONDS, 3600). */
  urlTtlSeconds: number;
  /** The gateway's public base URL for absolute image URLs (TOKGATE_PUBLIC_URL); else the request's Host. */
  publicUrl: string | undefined;
}

/** pino's levels; LOG_LEVEL and server.log_level take only these. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A price as the YAML's `models.<id>.price` and tokgate's price files write it (USD, snake_case). */
export const priceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cached_input: z.number().nonnegative().optional(),
  cache_write: z.number().nonnegative().optional(),
  cache_write_1h: z.number().nonnegative().optional(),
  per_thousand_searches: z.number().nonnegative().optional(),
  per_million_characters: z.number().nonnegative().optional(),
  per_minute: z.number().nonnegative().optional(),
  audio_input: z.number().nonnegative().optional(),
  audio_output: z.number().nonnegative().optional(),
  per_image: z.record(z.string(), z.record(z.string(), z.number().nonnegative())).optional(),
  image_input: z.number().nonnegative().optional(),
  reasoning: z.number().nonnegative().optional(),
  image_output: z.number().nonnegative().optional(),
  effective_from: z.iso.date().optional(),
});

export const PROVIDER_FORMATS = [
  'openai',
  'anthropic',
  'google',
  'azure',
  'bedrock',
  'cohere',
  'vertex',
  'deepgram',
  'elevenlabs',
] as const;

const providerSchema = z.object({
  format: z.enum(PROVIDER_FORMATS).optional(),
  base_url: z.url().optional(),
  api_key: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  models: z.array(z.string()).optional(),
  drop: z.array(z.string()).optional(),
  rename: z.record(z.string(), z.string()).optional(),
  stream_usage: z.boolean().optional(),
  supports_n: z.boolean().optional(),
  supports_stop: z.boolean().optional(),
  /** OpenAI-compatible servers: `POST {base_url}/rerank` in Jina's shape (vLLM, Infinity, TEI's /v1 route). */
  rerank: z.boolean().optional(),
  /** OpenAI-compatible servers with OpenAI's Responses API at `{base_url}/responses`: passed through. */
  responses: z.boolean().optional(),
  /** Inputs one embeddings call may carry; larger requests are split (default 2048). */
  embedding_batch: z.number().int().positive().optional(),
  /** OpenAI-compatible servers: which of `POST {base_url}/images/generations|edits|variations` they serve. */
  images: z.array(z.enum(IMAGE_OPERATIONS)).optional(),
  options: z.record(z.string(), z.string()).optional(),
  free: z.boolean().optional(),
  list_models: z.boolean().optional(),
});

// ---- Routing: `routes:` (a model id or alias → deployments) and `routing:` (the reliability
// policy: retries, timeouts, keep-alive, circuit breaking, idempotency). Read by src/router/. ----

/** Timeouts of one request, ms. Connecting is bounded by the HTTP layer (providers/http.ts). */
export interface RouteTimeouts {
  /** Streams: from the start of an attempt to its first content chunk. */
  firstTokenMs: number;
  /** Streams: the longest gap between two chunks. */
  idleMs: number;
  /** Non-streaming: one attempt's whole answer. */
  responseMs: number;
  /** The whole request, every attempt and backoff included, and the stream to its end. */
  totalMs: number;
}

export interface DeploymentSettings {
  /** `provider/model`, resolved directly (never through another route). */
  model: string;
  weight: number;
}

export interface RouteSettings {
  /** `fallback`: in order; `weighted`: by weight and health (power of two choices). */
  strategy: 'fallback' | 'weighted';
  deployments: DeploymentSettings[];
  /** Attempts over all deployments; default: 3, and at least one per deployment. */
  maxAttempts: number;
  timeouts: RouteTimeouts;
}

export interface RoutingSettings {
  routes: Record<string, RouteSettings>;
  /** Attempts for a model id without a route (default 1: client SDKs retry themselves). */
  directMaxAttempts: number;
  timeouts: RouteTimeouts;
  /** Exponential backoff with full jitter between attempts on the same deployment. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A Retry-After longer than this is not waited for on the same deployment. */
  maxRetryAfterMs: number;
  /** SSE comments while a stream waits for its first token: after this delay, then at this interval; 0 = off. */
  keepAliveMs: number;
  circuit: {
    /** Consecutive failures that open the circuit. */
    consecutiveFailures: number;
    /** Or this failure ratio over `windowMs`, once `minRequests` were seen in it. */
    errorRatio: number;
    minRequests: number;
    windowMs: number;
    cooldownMs: number;
  };
  /** Half-life of the decaying latency estimate used by the weighted balancer. */
  latencyHalfLifeMs: number;
  idempotency: { windowMs: number; maxEntries: number };
  /** Upstream calls in flight per deployment, and the queue of those waiting for one. */
  slots: SlotLimits;
  /** Retries to a deployment at once: at most `percent` of its active requests, but always `minConcurrency`. */
  retryBudget: { percent: number; minConcurrency: number };
}

export interface SlotLimits {
  /** Upstream calls in flight per deployment (`provider/model`), unless `perDeployment` names it. */
  maxInFlight: number;
  /** Calls waiting for a slot per deployment, FIFO; 0: none wait, an attempt over the limit fails at once. */
  maxQueued: number;
  /** The longest a call waits in the queue. */
  queueTimeoutMs: number;
  /** `max_in_flight` set on a route's deployment: the limit of that deployment wherever it is used. */
  perDeployment: Record<string, number>;
}

const positiveInt = () => z.number().int().positive();

const timeoutsSchema = z.strictObject({
  first_token_ms: positiveInt().optional(),
  idle_ms: positiveInt().optional(),
  response_ms: positiveInt().optional(),
  total_ms: positiveInt().optional(),
});

const deploymentSchema = z.union([
  z.string().includes('/'),
  z.strictObject({
    model: z.string().includes('/'),
    weight: z.number().positive().optional(),
    max_in_flight: positiveInt().optional(),
  }),
]);

const routesSchema = z.record(
  z.string().regex(/^\S+$/),
  z.union([
    z.array(deploymentSchema).min(1),
    z.strictObject({
      strategy: z.enum(['fallback', 'weighted']).optional(),
      deployments: z.array(deploymentSchema).min(1),
      max_attempts: positiveInt().max(20).optional(),
      timeouts: timeoutsSchema.optional(),
    }),
  ]),
);

const routingSchema = z.strictObject({
  direct_max_attempts: positiveInt().max(20).optional(),
  timeouts: timeoutsSchema.optional(),
  backoff_base_ms: z.number().int().nonnegative().optional(),
  backoff_max_ms: z.number().int().nonnegative().optional(),
  max_retry_after_ms: z.number().int().nonnegative().optional(),
  keepalive_ms: z.number().int().nonnegative().optional(),
  circuit: z
    .strictObject({
      consecutive_failures: positiveInt().optional(),
      error_ratio: z.number().gt(0).max(1).optional(),
      min_requests: positiveInt().optional(),
      window_ms: positiveInt().optional(),
      cooldown_ms: positiveInt().optional(),
    })
    .optional(),
  latency_half_life_ms: positiveInt().optional(),
  idempotency: z
    .strictObject({ window_ms: positiveInt().optional(), max_entries: positiveInt().optional() })
    .optional(),
  max_in_flight: positiveInt().optional(),
  max_queued: z.number().int().nonnegative().optional(),
  queue_timeout_ms: positiveInt().optional(),
  retry_budget: z
    .strictObject({
      percent: z.number().min(0).max(100).optional(),
      min_concurrency: z.number().int().nonnegative().optional(),
    })
    .optional(),
});

function resolveTimeouts(
  given: z.infer<typeof timeoutsSchema> | undefined,
  base: RouteTimeouts,
): RouteTimeouts {
  return {
    firstTokenMs: given?.first_token_ms ?? base.firstTokenMs,
    idleMs: given?.idle_ms ?? base.idleMs,
    responseMs: given?.response_ms ?? base.responseMs,
    totalMs: given?.total_ms ?? base.totalMs,
  };
}

function resolveRouting(
  routes: z.infer<typeof routesSchema> | undefined,
  routing: z.infer<typeof routingSchema> | undefined,
): RoutingSettings {
  const timeouts = resolveTimeouts(routing?.timeouts, {
    firstTokenMs: 60_000,
    idleMs: 30_000,
    responseMs: 300_000,
    totalMs: 600_000,
  });
  const resolved: Record<string, RouteSettings> = {};
  const perDeployment: Record<string, number> = {};
  for (const [name, entry] of Object.entries(routes ?? {})) {
    const spec = Array.isArray(entry) ? { deployments: entry } : entry;
    for (const d of spec.deployments) {
      if (typeof d === 'string' || d.max_in_flight === undefined) continue;
      // The limit protects the deployment, whichever route reaches it: two routes must not disagree.
      const set = perDeployment[d.model];
      if (set !== undefined && set !== d.max_in_flight)
        throw new ConfigError(
          `routes.${name}: '${d.model}' has max_in_flight ${d.max_in_flight} here and ${set} in another route`,
        );
      perDeployment[d.model] = d.max_in_flight;
    }
    const deployments = spec.deployments.map((d) =>
      typeof d === 'string' ? { model: d, weight: 1 } : { model: d.model, weight: d.weight ?? 1 },
    );
    const ids = deployments.map((d) => d.model);
    if (new Set(ids).size !== ids.length)
      throw new ConfigError(`routes.${name}: a deployment is listed twice`);
    resolved[name] = {
      strategy: spec.strategy ?? 'fallback',
      deployments,
      maxAttempts: spec.max_attempts ?? Math.max(3, deployments.length),
      timeouts: resolveTimeouts(spec.timeouts, timeouts),
    };
  }
  const circuit = routing?.circuit;
  return {
    routes: resolved,
    directMaxAttempts: routing?.direct_max_attempts ?? 1,
    timeouts,
    backoffBaseMs: routing?.backoff_base_ms ?? 250,
    backoffMaxMs: routing?.backoff_max_ms ?? 8_000,
    maxRetryAfterMs: routing?.max_retry_after_ms ?? 30_000,
    keepAliveMs: routing?.keepalive_ms ?? 5_000,
    circuit: {
      consecutiveFailures: circuit?.consecutive_failures ?? 5,
      errorRatio: circuit?.error_ratio ?? 0.5,
      minRequests: circuit?.min_requests ?? 20,
      windowMs: circuit?.window_ms ?? 60_000,
      cooldownMs: circuit?.cooldown_ms ?? 30_000,
    },
    latencyHalfLifeMs: routing?.latency_half_life_ms ?? 30_000,
    idempotency: {
      windowMs: routing?.idempotency?.window_ms ?? 24 * 3600_000,
      maxEntries: routing?.idempotency?.max_entries ?? 10_000,
    },
    // Envoy's circuit-breaker defaults (max_requests, max_pending_requests: 1024 each); see the README.
    slots: {
      maxInFlight: routing?.max_in_flight ?? 1024,
      maxQueued: routing?.max_queued ?? 1024,
      queueTimeoutMs: routing?.queue_timeout_ms ?? 10_000,
      perDeployment,
    },
    // Envoy's retry budget defaults: 20 % of active requests, at least 3 retries at once.
    retryBudget: {
      percent: routing?.retry_budget?.percent ?? 20,
      minConcurrency: routing?.retry_budget?.min_concurrency ?? 3,
    },
  };
}

// ---- end of the routing section ----

const fileSchema = z.strictObject({
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).optional(),
      host: z.string().optional(),
      body_limit_mb: z.number().positive().optional(),
      request_timeout_seconds: z.number().positive().optional(),
      max_connections: z.number().int().positive().optional(),
      log_level: z.enum(LOG_LEVELS).optional(),
      upstream_headers_timeout_ms: z.number().int().positive().optional(),
      upstream_body_timeout_ms: z.number().int().positive().optional(),
      max_upstream_answer_mb: z.number().positive().optional(),
    })
    .optional(),
  billing: z
    .strictObject({
      refuse_unpriced: z.boolean().optional(),
      exact_hold_share: z.number().min(0).max(1).optional(),
    })
    .optional(),
  tokenizer: z
    .strictObject({
      budget_ms: positiveInt().max(60_000).optional(),
      hold_budget_ms: positiveInt().max(60_000).optional(),
      workers: positiveInt().max(4).optional(),
    })
    .optional(),
  routes: routesSchema.optional(),
  routing: routingSchema.optional(),
  providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/), providerSchema).optional(),
  models: z
    .record(
      z.string().includes('/'),
      z.strictObject({
        kind: z.enum(['chat', 'embedding', 'rerank', 'speech', 'transcription', 'image']).optional(),
        context_window: z.number().int().positive().optional(),
        max_output_tokens: z.number().int().positive().optional(),
        price: priceSchema.optional(),
      }),
    )
    .optional(),
});

type FileConfig = z.infer<typeof fileSchema>;

export { ConfigError };

/** `${NAME}` (required) or `${NAME:-default}` (the default when NAME is unset or empty), as in a shell. */
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` in YAML strings with the environment variable, so secrets stay out of the file. An
 * unset variable without a default stops the start, naming the setting that uses it.
 */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, file: string, at: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (_, name: string, fallback: string | undefined) => {
      const set = env[name];
      if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
      if (set === undefined)
        throw new ConfigError(
          `${file}: ${at.join('.') || '(top level)'} uses \${${name}}, which is not set; set ${name}, or write \${${name}:-default} to allow it unset`,
        );
      return set;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, file, [...at, String(i)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, file, [...at, k])]),
    );
  }
  return value;
}

/** The first line of a YAML parser's message, which names the line and column. */
function yamlSyntaxError(file: string, error: unknown): ConfigError {
  const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.replace(/:$/, '');
  return new ConfigError(`${file}: YAML syntax error: ${first}; fix the file (TOKGATE_CONFIG)`);
}

/** Every zod issue on one line: `where: what`. */
function schemaError(file: string, error: z.ZodError): ConfigError {
  const issues = error.issues.map((issue) => {
    const where = issue.path.map(String).join('.') || '(top level)';
    return `${where}: ${issue.message}`;
  });
  return new ConfigError(`${file}: ${issues.join('; ')}; fix the file (TOKGATE_CONFIG)`);
}

function readFileConfig(env: NodeJS.ProcessEnv): FileConfig {
  const explicit = env.TOKGATE_CONFIG;
  const path = explicit ?? './tokgate.yaml';
  if (!existsSync(path)) {
    if (explicit)
      throw new ConfigError(
        `TOKGATE_CONFIG: the file ${explicit} does not exist; point it at a YAML file or unset it`,
      );
    return {};
  }
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw yamlSyntaxError(path, error);
  }
  const raw = interpolate(document ?? {}, env, path, []);
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw schemaError(path, parsed.error);
  return parsed.data;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** A number from the environment (undefined when unset); `accepts` says which, `expected` names them. */
function numberEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  accepts: (value: number) => boolean,
  expected: string,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!accepts(value))
    throw new ConfigError(`${name}: '${shown(raw)}' is not ${expected}; set it to ${expected} or unset it`);
  return value;
}

/** A value quoted in an error message: short, on one line. */
const shown = (raw: string) => {
  const line = raw.replace(/[\r\n]+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
};

/** Environment variables holding a base URL: every vendor's, and the native providers'. */
function baseUrlVariables(): string[] {
  const names = Object.values(OPENAI_COMPATIBLE_VENDORS as Record<string, VendorSpec>)
    .map((spec) => spec.baseUrlEnv)
    .filter((name): name is string => typeof name === 'string');
  return [
    ...names,
    'ANTHROPIC_BASE_URL',
    'GEMINI_BASE_URL',
    'COHERE_BASE_URL',
    'AZURE_OPENAI_ENDPOINT',
    'BEDROCK_BASE_URL',
    'VERTEX_BASE_URL',
  ];
}

/** Every base URL set in the environment must be an http(s) URL, whether or not its provider is enabled. */
function checkUrlVariables(env: NodeJS.ProcessEnv): void {
  for (const name of baseUrlVariables()) {
    const raw = env[name];
    if (!raw) continue;
    let protocol: string;
    try {
      protocol = new URL(raw).protocol;
    } catch {
      throw new ConfigError(
        `${name}: '${shown(raw)}' is not a URL; set an http(s) URL such as https://api.example.com/v1`,
      );
    }
    if (protocol !== 'http:' && protocol !== 'https:')
      throw new ConfigError(`${name}: a URL must start with http:// or https:// (got ${protocol}//...)`);
  }
}

/** DATABASE_URL: SQLite or PostgreSQL. The value itself is never repeated (it may hold a password). */
function parseDatabaseUrl(env: NodeJS.ProcessEnv): string {
  const url = env.DATABASE_URL || 'sqlite:./data/tokgate.db';
  if (url.startsWith('sqlite:') || url.startsWith('postgres://') || url.startsWith('postgresql://'))
    return url;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1];
  throw new ConfigError(
    `DATABASE_URL: ${scheme ? `the scheme '${scheme}:' is not supported` : 'not a database URL'}; use sqlite:./data/tokgate.db or postgres://user:password@host:5432/db`,
  );
}

/** REDIS_URL: redis:// or rediss://. The value itself is never repeated (it may hold a password). */
function parseRedisUrl(env: NodeJS.ProcessEnv): string | undefined {
  const url = env.REDIS_URL;
  if (!url) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:')
    throw new ConfigError(
      'REDIS_URL: not a Redis URL; use redis://host:6379 (rediss:// for TLS), or unset it to run without Redis',
    );
  return url;
}

/** TOKGATE_CORS_ORIGINS: `*`, or origins (`https://app.example.com`, scheme, host and port only). */
function parseCorsOrigins(env: NodeJS.ProcessEnv): string[] | '*' | undefined {
  const raw = env.TOKGATE_CORS_ORIGINS?.trim();
  if (!raw) return undefined;
  if (raw === '*') return '*';
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin)
      throw new ConfigError(
        `TOKGATE_CORS_ORIGINS: '${shown(origin)}' is not an origin; list origins like https://app.example.com (scheme, host, port; no path or trailing slash), comma-separated, or *`,
      );
    return origin;
  });
}

/** PORT: a TCP port. */
const parsePort = (env: NodeJS.ProcessEnv) =>
  numberEnv(env, 'PORT', (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port number from 0 to 65535');

/** The rule for a chosen admin key (TOKGATE_ADMIN_KEY): long, and not one character repeated. */
export const ADMIN_KEY_MIN_LENGTH = 32;
export const ADMIN_KEY_MIN_DISTINCT = 8;

function parseAdminKey(env: NodeJS.ProcessEnv): string | undefined {
  const key = env.TOKGATE_ADMIN_KEY;
  if (!key) return undefined;
  if (key.length < ADMIN_KEY_MIN_LENGTH || new Set(key).size < ADMIN_KEY_MIN_DISTINCT || /\s/.test(key))
    throw new ConfigError(
      `TOKGATE_ADMIN_KEY: too weak (${key.length} characters); use at least ${ADMIN_KEY_MIN_LENGTH} characters with no spaces and at least ${ADMIN_KEY_MIN_DISTINCT} different ones (e.g. \`openssl rand -hex 32\`), or unset it to have one generated`,
    );
  return key;
}

const parseIntEnv = (env: NodeJS.ProcessEnv, name: string) =>
  numberEnv(env, name, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
const parsePositiveEnv = (env: NodeJS.ProcessEnv, name: string) =>
  numberEnv(env, name, (n) => Number.isFinite(n) && n > 0, 'a positive number');
const parseSecondsEnv = (env: NodeJS.ProcessEnv, name: string) =>
  numberEnv(env, name, (n) => Number.isFinite(n) && n >= 0, 'a number of seconds, 0 or more');

function parseLogLevel(env: NodeJS.ProcessEnv): LogLevel | undefined {
  const raw = env.LOG_LEVEL;
  if (!raw) return undefined;
  const level = LOG_LEVELS.find((known) => known === raw);
  if (!level)
    throw new ConfigError(
      `LOG_LEVEL: '${shown(raw)}' is not a log level; use one of ${LOG_LEVELS.join(', ')}`,
    );
  return level;
}

/**
 * Where the ledger spools: TOKGATE_SPOOL_DIR ('off' disables it); by default `spool/` beside a SQLite
 * file, or `./data/spool` with PostgreSQL. An in-memory SQLite database has no spool.
 */
function resolveSpoolDir(databaseUrl: string, given: string | undefined): string | undefined {
  if (given === 'off') return undefined;
  if (given) return resolve(given);
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    return path === ':memory:' ? undefined : resolve(path, '..', 'spool');
  }
  return resolve('data', 'spool');
}

/** Images wait beside a SQLite file's data (`images/`), in `./data/images` otherwise or in the temp folder. */
function resolveImageDir(databaseUrl: string, given: string | undefined): string {
  if (given) return resolve(given);
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path !== ':memory:') return resolve(path, '..', 'images');
    return join(tmpdir(), `tokgate-images-${process.pid}`);
  }
  return resolve('data', 'images');
}

/** TOKGATE_IMAGE_STORE=s3://bucket/prefix with its endpoint, region and credentials (AWS's variables). */
function resolveS3(env: NodeJS.ProcessEnv): S3Settings | undefined {
  const raw = env.TOKGATE_IMAGE_STORE;
  if (!raw) return undefined;
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(raw);
  if (!match) throw new ConfigError('TOKGATE_IMAGE_STORE must look like s3://bucket or s3://bucket/prefix');
  const region = env.TOKGATE_IMAGE_S3_REGION || env.AWS_REGION || 'us-east-1';
  const accessKeyId = env.TOKGATE_IMAGE_S3_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.TOKGATE_IMAGE_S3_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new ConfigError(
      'TOKGATE_IMAGE_STORE needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or TOKGATE_IMAGE_S3_*)',
    );
  const endpoint = trimSlash(env.TOKGATE_IMAGE_S3_ENDPOINT || `https://s3.${region}.amazonaws.com`);
  try {
    new URL(endpoint);
  } catch {
    throw new ConfigError('TOKGATE_IMAGE_S3_ENDPOINT must be a URL');
  }
  return {
    bucket: match[1]!,
    prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, ''),
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    sessionToken: env.TOKGATE_IMAGE_S3_SESSION_TOKEN || env.AWS_SESSION_TOKEN || undefined,
  };
}

function resolveImages(databaseUrl: string, env: NodeJS.ProcessEnv): ImageSettings {
  const publicUrl = env.TOKGATE_PUBLIC_URL ? trimSlash(env.TOKGATE_PUBLIC_URL) : undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(publicUrl))
    throw new ConfigError('TOKGATE_PUBLIC_URL must be an http(s) URL');
  return {
    dir: resolveImageDir(databaseUrl, env.TOKGATE_IMAGE_DIR),
    s3: resolveS3(env),
    urlTtlSeconds: parsePositiveEnv(env, 'TOKGATE_IMAGE_URL_TTL_SECONDS') ?? 3600,
    publicUrl,
  };
}

/** The first of the vendor's key variables that is set. */
function vendorKey(spec: VendorSpec, env: NodeJS.ProcessEnv): string | undefined {
  const names = typeof spec.keyEnv === 'string' ? [spec.keyEnv] : (spec.keyEnv ?? []);
  for (const name of names) if (env[name]) return env[name];
  return undefined;
}

/** Fills `{NAME}` in a default base URL from the environment; a missing one stops the start. */
function fillBaseUrl(id: string, template: string, env: NodeJS.ProcessEnv): string {
  return template.replace(/\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    const value = env[name];
    if (!value) throw new ConfigError(`Provider '${id}' is enabled but ${name} (part of its URL) is not set`);
    if (!/^[A-Za-z0-9_-]+$/.test(value))
      throw new ConfigError(`${name} may contain only letters, digits, _ and -`);
    return value;
  });
}

function vendorFromEnv(id: string, spec: VendorSpec, env: NodeJS.ProcessEnv): ProviderSettings | undefined {
  const apiKey = vendorKey(spec, env);
  const baseUrlOverride = spec.baseUrlEnv ? env[spec.baseUrlEnv] : undefined;
  const enabled = spec.enabledByBaseUrl ? Boolean(baseUrlOverride) : Boolean(apiKey);
  if (!enabled) return undefined;
  let baseUrl = trimSlash(baseUrlOverride || fillBaseUrl(id, spec.defaultBaseUrl, env));
  // Ollama's conventional base URL is the server root; its OpenAI-compatible API lives under /v1.
  if (id === 'ollama' && !baseUrl.endsWith('/v1')) baseUrl += '/v1';
  return {
    id,
    format: 'openai',
    baseUrl,
    apiKey,
    headers: {},
    quirks: spec.quirks ?? {},
    models: [],
    options: {},
    ...(spec.free ? { free: true } : {}),
  };
}

/**
 * Providers with their own wire formats, enabled by their conventional environment variables. Base URLs
 * follow each vendor's SDK convention (Anthropic's without `/v1`, Gemini's without `/v1beta`).
 */
function nativeFromEnv(env: NodeJS.ProcessEnv): ProviderSettings[] {
  const out: ProviderSettings[] = [];
  const add = (
    id: string,
    baseUrl: string,
    apiKey: string | undefined,
    options: Record<string, string> = {},
  ) =>
    out.push({
      id,
      format: id,
      baseUrl: trimSlash(baseUrl),
      apiKey,
      headers: {},
      quirks: {},
      models: [],
      options,
    });
  if (env.ANTHROPIC_API_KEY) {
    add('anthropic', env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com', env.ANTHROPIC_API_KEY);
  }
  if (env.GEMINI_API_KEY) {
    add('google', env.GEMINI_BASE_URL || 'https://generativelanguage.googleapis.com', env.GEMINI_API_KEY);
  }
  if (env.COHERE_API_KEY) add('cohere', env.COHERE_BASE_URL || 'https://api.cohere.com', env.COHERE_API_KEY);
  // Deepgram's base URL is the server root, as its SDK's (`/v1/listen` is appended).
  if (env.DEEPGRAM_API_KEY)
    add('deepgram', env.DEEPGRAM_BASE_URL || 'https://api.deepgram.com', env.DEEPGRAM_API_KEY);
  // ElevenLabs' base URL is the server root, as its SDK's (`/v1/text-to-speech/...` is appended).
  if (env.ELEVENLABS_API_KEY)
    add('elevenlabs', env.ELEVENLABS_BASE_URL || 'https://api.elevenlabs.io', env.ELEVENLABS_API_KEY);
  if (env.AZURE_OPENAI_API_KEY && env.AZURE_OPENAI_ENDPOINT) {
    add('azure', env.AZURE_OPENAI_ENDPOINT, env.AZURE_OPENAI_API_KEY, {
      api_version: env.AZURE_OPENAI_API_VERSION || '2024-10-21',
    });
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
    add(
      'bedrock',
      env.BEDROCK_BASE_URL || `https://bedrock-runtime.${region}.amazonaws.com`,
      env.AWS_ACCESS_KEY_ID,
      {
        region,
        secret_access_key: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN ? { session_token: env.AWS_SESSION_TOKEN } : {}),
      },
    );
  }
  return out;
}

/**
 * Google Vertex AI, enabled by GOOGLE_VERTEX_PROJECT or GOOGLE_VERTEX_LOCATION (the AI SDK's names) and
 * authorised by Google's Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS[_JSON], gcloud's
 * file, the metadata server: google-credentials.ts). The project is
 * GOOGLE_VERTEX_PROJECT, else GCLOUD_PROJECT or GOOGLE_CLOUD_PROJECT, else the key's project_id, else (on
 * the metadata server's credentials) the metadata server's, asked at start; the location defaults to
 * us-central1. Read once at start.
 */
function vertexFromEnv(env: NodeJS.ProcessEnv): ProviderSettings | undefined {
  if (!(env.GOOGLE_VERTEX_PROJECT || env.GOOGLE_VERTEX_LOCATION)) return undefined;
  const credentials = findApplicationDefaultCredentials(env);
  const project =
    env.GOOGLE_VERTEX_PROJECT ||
    env.GCLOUD_PROJECT ||
    env.GOOGLE_CLOUD_PROJECT ||
    credentials.projectId ||
    '';
  const location = env.GOOGLE_VERTEX_LOCATION || 'us-central1';
  if (!project && credentials.options.auth !== 'metadata') {
    throw new ConfigError(`GOOGLE_VERTEX_PROJECT is not set and ${credentials.source} names no project_id`);
  }
  if (!/^[a-z0-9-]+$/.test(location))
    throw new ConfigError('GOOGLE_VERTEX_LOCATION must be a region like us-east5');
  const host = location === 'global' ? 'aiplatform.googleapis.com' : `${location}-aiplatform.googleapis.com`;
  return {
    id: 'vertex',
    format: 'vertex',
    baseUrl: trimSlash(env.VERTEX_BASE_URL || `https://${host}`),
    apiKey: undefined,
    headers: {},
    quirks: {},
    models: [],
    // An empty project is the metadata server's to name (providers/vertex/credentials.ts).
    options: { ...credentials.options, project, location },
  };
}

function resolveProviders(file: FileConfig, env: NodeJS.ProcessEnv): ProviderSettings[] {
  const vendors: Record<string, VendorSpec> = OPENAI_COMPATIBLE_VENDORS;
  const byId = new Map<string, ProviderSettings>();
  for (const [id, spec] of Object.entries(vendors)) {
    const settings = vendorFromEnv(id, spec, env);
    if (settings) byId.set(id, settings);
  }
  for (const settings of nativeFromEnv(env)) byId.set(settings.id, settings);
  const vertex = vertexFromEnv(env);
  if (vertex) byId.set(vertex.id, vertex);
  for (const [id, entry] of Object.entries(file.providers ?? {})) {
    const known = vendors[id];
    const base = byId.get(id);
    const baseUrl =
      entry.base_url ?? base?.baseUrl ?? (known ? fillBaseUrl(id, known.defaultBaseUrl, env) : undefined);
    if (!baseUrl)
      throw new ConfigError(`providers.${id}: base_url is required for a provider tokgate does not know`);
    let quirks: VendorQuirks = {
      ...(base?.quirks ?? known?.quirks ?? {}),
      ...(entry.drop ? { drop: entry.drop } : {}),
      ...(entry.rename ? { rename: entry.rename } : {}),
      ...(entry.stream_usage === undefined ? {} : { streamUsage: entry.stream_usage }),
      ...(entry.supports_n === undefined ? {} : { n: entry.supports_n }),
      ...(entry.supports_stop === undefined ? {} : { stop: entry.supports_stop }),
      ...(entry.responses === undefined ? {} : { responses: entry.responses }),
      ...(entry.images === undefined ? {} : { images: { operations: entry.images } }),
    };
    if (entry.rerank !== undefined || entry.embedding_batch !== undefined) {
      quirks = {
        ...quirks,
        retrieval: {
          ...quirks.retrieval,
          ...(entry.rerank === undefined ? {} : { rerank: entry.rerank }),
          ...(entry.embedding_batch === undefined ? {} : { maxInputs: entry.embedding_batch }),
        },
      };
    }
    byId.set(id, {
      id,
      format: entry.format ?? base?.format ?? 'openai',
      baseUrl: trimSlash(baseUrl),
      apiKey: entry.api_key || base?.apiKey,
      headers: entry.headers ?? {},
      quirks,
      models: entry.models ?? [],
      options: { ...base?.options, ...entry.options },
      ...((entry.free ?? base?.free ?? known?.free) ? { free: true } : {}),
      ...(entry.list_models ? { listModels: true } : {}),
    });
  }
  const providers = [...byId.values()];
  markListedProviders(providers, env.TOKGATE_LIST_MODELS);
  return providers;
}

/**
 * TOKGATE_LIST_MODELS: a comma-separated list of providers whose live model list is read (as YAML's
 * `list_models: true`). Only the OpenAI format has the endpoint; a name that is not an enabled provider
 * stops the start.
 */
function markListedProviders(providers: ProviderSettings[], names: string | undefined): void {
  const byId = new Map(providers.map((p) => [p.id, p]));
  for (const name of (names ?? '').split(',').map((n) => n.trim())) {
    if (name === '') continue;
    const provider = byId.get(name);
    if (!provider)
      throw new ConfigError(`TOKGATE_LIST_MODELS names '${name}', which is not an enabled provider`);
    provider.listModels = true;
  }
  for (const provider of providers) {
    if (provider.listModels && provider.format !== 'openai') {
      throw new ConfigError(`Provider '${provider.id}' has no OpenAI-compatible /models list to read`);
    }
  }
}

/** A price as written (snake_case, `priceSchema`) → as the catalog takes it. */
export function toPriceSettings(price: z.infer<typeof priceSchema>): PriceSettings {
  const {
    input,
    output,
    cached_input,
    cache_write,
    cache_write_1h,
    effective_from,
    per_thousand_searches,
    per_million_characters,
    per_minute,
    audio_input,
    audio_output,
    per_image,
    image_input,
    image_output,
    reasoning,
  } = price;
  const settings: PriceSettings = { input, output };
  if (per_image !== undefined) settings.perImage = per_image;
  if (image_input !== undefined) settings.imageInput = image_input;
  if (image_output !== undefined) settings.imageOutput = image_output;
  if (per_thousand_searches !== undefined) settings.perThousandSearches = per_thousand_searches;
  if (per_million_characters !== undefined) settings.perMillionCharacters = per_million_characters;
  if (per_minute !== undefined) settings.perMinute = per_minute;
  if (audio_input !== undefined) settings.audioInput = audio_input;
  if (audio_output !== undefined) settings.audioOutput = audio_output;
  if (effective_from !== undefined) settings.effectiveFrom = effective_from;
  if (cached_input !== undefined) settings.cachedInput = cached_input;
  if (cache_write !== undefined) settings.cacheWrite = cache_write;
  if (cache_write_1h !== undefined) settings.cacheWrite1h = cache_write_1h;
  if (reasoning !== undefined) settings.reasoning = reasoning;
  return settings;
}

function resolveModels(file: FileConfig): Record<string, ModelSettings> {
  const out: Record<string, ModelSettings> = {};
  for (const [id, entry] of Object.entries(file.models ?? {})) {
    const settings: ModelSettings = {};
    if (entry.kind !== undefined) settings.kind = entry.kind;
    if (entry.context_window !== undefined) settings.contextWindow = entry.context_window;
    if (entry.max_output_tokens !== undefined) settings.maxOutputTokens = entry.max_output_tokens;
    if (entry.price) settings.price = toPriceSettings(entry.price);
    out[id] = settings;
  }
  return out;
}

function resolveTokenizer(file: FileConfig, env: NodeJS.ProcessEnv): GatewayConfig['tokenizer'] {
  const budgetMs = parsePositiveEnv(env, 'TOKGATE_TOKENIZER_BUDGET_MS') ?? file.tokenizer?.budget_ms ?? 50;
  const workers = parseIntEnv(env, 'TOKGATE_TOKENIZER_WORKERS') ?? file.tokenizer?.workers ?? 1;
  if (workers < 1 || workers > 4) throw new ConfigError('TOKGATE_TOKENIZER_WORKERS must be 1 to 4');
  const holdBudgetMs =
    parsePositiveEnv(env, 'TOKGATE_TOKENIZER_HOLD_BUDGET_MS') ?? file.tokenizer?.hold_budget_ms ?? 2000;
  return { budgetMs, workers, holdBudgetMs: Math.max(budgetMs, holdBudgetMs) };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  checkUrlVariables(env);
  const logLevel = parseLogLevel(env);
  const databaseUrl = parseDatabaseUrl(env);
  const file = readFileConfig(env);
  const server = file.server ?? {};
  const bodyLimitMb = parsePositiveEnv(env, 'TOKGATE_BODY_LIMIT_MB') ?? server.body_limit_mb;
  const providers = resolveProviders(file, env);
  const routing = resolveRouting(file.routes, file.routing);
  const requestTimeoutSeconds =
    parsePositiveEnv(env, 'TOKGATE_REQUEST_TIMEOUT_SECONDS') ?? server.request_timeout_seconds ?? 60;
  return {
    port: parsePort(env) ?? server.port ?? 8080,
    host: env.HOST || server.host || '0.0.0.0',
    databaseUrl,
    redisUrl: parseRedisUrl(env),
    adminKey: parseAdminKey(env),
    corsOrigins: parseCorsOrigins(env),
    metricsToken: env.TOKGATE_METRICS_TOKEN || undefined,
    bodyLimitBytes: Math.floor((bodyLimitMb ?? 20) * 1024 * 1024),
    uploads: {
      maxFileBytes: Math.floor(parsePositiveEnv(env, 'TOKGATE_MAX_UPLOAD_BYTES') ?? 26_214_400),
      maxFiles: Math.floor(parsePositiveEnv(env, 'TOKGATE_MAX_UPLOAD_FILES') ?? 16),
    },
    responsesRetentionDays: parsePositiveEnv(env, 'TOKGATE_RESPONSES_RETENTION_DAYS') ?? 30,
    // nginx's client_header_timeout and client_body_timeout are 60 s each.
    requestTimeoutMs: 1000 * requestTimeoutSeconds,
    maxConnections: Math.floor(
      parsePositiveEnv(env, 'TOKGATE_MAX_CONNECTIONS') ?? server.max_connections ?? 10_000,
    ),
    logLevel: logLevel ?? server.log_level ?? 'info',
    observability: resolveObservability(env, (message) => new ConfigError(message)),
    spoolDir: resolveSpoolDir(databaseUrl, env.TOKGATE_SPOOL_DIR),
    redisPrefix: env.TOKGATE_REDIS_PREFIX || 'tokgate:',
    ledgerStallMs: Math.round((parseSecondsEnv(env, 'TOKGATE_LEDGER_STALL_SECONDS') ?? 60) * 1000),
    ledgerFlushMs:
      numberEnv(
        env,
        'TOKGATE_LEDGER_FLUSH_MS',
        (n) => Number.isInteger(n) && n >= 1 && n <= 60_000,
        'a whole number of milliseconds from 1 to 60000',
      ) ?? 100,
    upstreamHeadersTimeoutMs: server.upstream_headers_timeout_ms ?? 300_000,
    upstreamBodyTimeoutMs: server.upstream_body_timeout_ms ?? 600_000,
    maxUpstreamAnswerBytes: Math.floor(
      (parsePositiveEnv(env, 'TOKGATE_MAX_UPSTREAM_ANSWER_MB') ?? server.max_upstream_answer_mb ?? 64) *
        1024 *
        1024,
    ),
    providers,
    listModelsIntervalMs: Math.round(
      (parsePositiveEnv(env, 'TOKGATE_LIST_MODELS_INTERVAL_MINUTES') ?? 60) * 60_000,
    ),
    routing,
    models: resolveModels(file),
    tokenizer: resolveTokenizer(file, env),
    images: resolveImages(databaseUrl, env),
    refuseUnpriced: env.TOKGATE_REFUSE_UNPRICED
      ? env.TOKGATE_REFUSE_UNPRICED !== 'false'
      : (file.billing?.refuse_unpriced ?? true),
    webhook: resolveWebhook(env),
    exactHoldShare:
      numberEnv(env, 'TOKGATE_EXACT_HOLD_SHARE', (n) => n >= 0 && n <= 1, 'a number from 0 to 1') ??
      file.billing?.exact_hold_share ??
      0.01,
  };
}
