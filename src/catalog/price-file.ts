// Price files, as `tokgate prices import|diff` and `POST /admin/prices` take them: LiteLLM's
// `model_prices_and_context_window.json` (the community's price list, USD per token) or tokgate's own
// format (the YAML's `models.<id>.price` fields, USD per million, each with its source and date). Either is
// read into one sheet of prices by tokgate model id; the sheet is what a price version stores.
import { z } from 'zod';
import { priceSchema, toPriceSettings } from '../config/config.js';
import type { ImportedPrice, ImportedPrices, ModelKind } from './catalog.js';
import { modelIdProblem } from './model-id.js';

/** A price file that cannot be read: the message names the entry and the field. */
export class PriceFileError extends Error {
  override name = 'PriceFileError';
}

export type PriceFileFormat = 'litellm' | 'tokgate';

/**
 * What a price file says: prices by `provider/model` in tokgate's format (each with its source and date),
 * and how many of the file's entries were not taken, by reason.
 */
export interface PriceSheet {
  format: PriceFileFormat;
  entries: Map<string, SheetEntry>;
  /** Entries left out, by reason (a provider tokgate does not serve, no price, a size or region variant). */
  skipped: Record<string, number>;
}

/** tokgate's own format: `{"tokgate_prices": 1, "source"?, "date"?, "prices": {"provider/model": {...}}}`. */
export const TOKGATE_PRICES_VERSION = 1;

const KINDS = ['chat', 'embedding', 'rerank', 'speech', 'transcription', 'image'] as const;
const day = z.iso.date();

const tokgateEntry = z.strictObject({
  ...priceSchema.omit({ effective_from: true }).shape,
  source: z.string().min(1).max(2000).optional(),
  date: day.optional(),
  context_window: z.number().int().positive().optional(),
  max_output_tokens: z.number().int().positive().optional(),
  kind: z.enum(KINDS).optional(),
});

const tokgateFile = z.strictObject({
  tokgate_prices: z.literal(TOKGATE_PRICES_VERSION),
  source: z.string().min(1).max(2000).optional(),
  date: day.optional(),
  prices: z.record(z.string(), z.unknown()),
});

export type TokgatePriceEntry = z.infer<typeof tokgateEntry>;
/** An entry of a sheet: its source and date are always known. */
export type SheetEntry = TokgatePriceEntry & { source: string; date: string };

/** The fields of LiteLLM's entries that tokgate reads (USD per token, per character, per second, ...). */
const cost = z.number().nonnegative().optional();
const litellmEntry = z.looseObject({
  litellm_provider: z.string(),
  mode: z.string().optional(),
  input_cost_per_token: cost,
  output_cost_per_token: cost,
  cache_read_input_token_cost: cost,
  cache_creation_input_token_cost: cost,
  cache_creation_input_token_cost_above_1hr: cost,
  output_cost_per_reasoning_token: cost,
  input_cost_per_audio_token: cost,
  output_cost_per_audio_token: cost,
  input_cost_per_character: cost,
  input_cost_per_second: cost,
  input_cost_per_query: cost,
  input_cost_per_image: cost,
  output_cost_per_image: cost,
  input_cost_per_image_token: cost,
  output_cost_per_image_token: cost,
  max_input_tokens: z.number().nonnegative().optional(),
  max_output_tokens: z.number().nonnegative().optional(),
  source: z.string().optional(),
});
type LitellmEntry = z.infer<typeof litellmEntry>;

/**
 * LiteLLM's provider names → tokgate's provider ids. Providers missing here are skipped (tokgate does not
 * serve them, or, like LiteLLM's `codestral` and `text-completion-*`, not at that endpoint or door).
 */
export const LITELLM_PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'google',
  vertex_ai: 'vertex',
  'vertex_ai-language-models': 'vertex',
  'vertex_ai-anthropic_models': 'vertex',
  'vertex_ai-embedding-models': 'vertex',
  'vertex_ai-image-models': 'vertex',
  azure: 'azure',
  bedrock: 'bedrock',
  bedrock_converse: 'bedrock',
  mistral: 'mistral',
  groq: 'groq',
  deepseek: 'deepseek',
  xai: 'xai',
  together_ai: 'together',
  fireworks_ai: 'fireworks',
  'fireworks_ai-embedding-models': 'fireworks',
  openrouter: 'openrouter',
  cohere: 'cohere',
  cohere_chat: 'cohere',
  perplexity: 'perplexity',
  cerebras: 'cerebras',
  sambanova: 'sambanova',
  deepinfra: 'deepinfra',
  nebius: 'nebius',
  hyperbolic: 'hyperbolic',
  novita: 'novita',
  moonshot: 'moonshot',
  zai: 'zhipu',
  zhipu: 'zhipu',
  dashscope: 'dashscope',
  minimax: 'minimax',
  nvidia_nim: 'nvidia',
  cloudflare: 'cloudflare',
  ai21: 'ai21',
  voyage: 'voyage',
  jina_ai: 'jina',
  deepgram: 'deepgram',
  elevenlabs: 'elevenlabs',
};

/** LiteLLM's modes → tokgate's model kinds; other modes (moderation, video, search, ...) are skipped. */
const LITELLM_MODES: Readonly<Record<string, ModelKind>> = {
  chat: 'chat',
  responses: 'chat',
  embedding: 'embedding',
  rerank: 'rerank',
  audio_speech: 'speech',
  audio_transcription: 'transcription',
  image_generation: 'image',
};

/** Providers whose model names have no `/`: a LiteLLM key with one more is a region or size variant. */
const FLAT_NAMES = new Set(['openai', 'anthropic', 'azure', 'bedrock', 'google']);

/** LiteLLM's per-size and per-quality image keys (`1024-x-1024/dall-e-2`, `hd/1024-x-1792/dall-e-3`). */
const IMAGE_VARIANT = /^(?:\d+-x-\d+|hd|standard|low|medium|high|max-steps|\d+-steps)\//;

const today = () => new Date().toISOString().slice(0, 10);

/** `path: message` of a zod error's first issue, for one line. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = issue.path.join('.');
  return field ? `field '${field}': ${issue.message}` : issue.message;
}

/** Reads a price file of either format; a malformed one throws one PriceFileError naming what is wrong. */
export function parsePriceFile(value: unknown, options: { source?: string } = {}): PriceSheet {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new PriceFileError('a price file is a JSON object');
  if ('tokgate_prices' in value) return parseTokgate(value, options);
  if (Object.values(value).some((entry) => typeof entry === 'object' && entry && 'litellm_provider' in entry))
    return parseLitellm(value as Record<string, unknown>, options);
  throw new PriceFileError(
    'not a price file: expected tokgate\'s format ({"tokgate_prices": 1, "prices": {...}}) or LiteLLM\'s (model names → {"litellm_provider", "input_cost_per_token", ...})',
  );
}

function parseTokgate(value: object, options: { source?: string }): PriceSheet {
  const file = tokgateFile.safeParse(value);
  if (!file.success) throw new PriceFileError(`price file: ${firstIssue(file.error)}`);
  const entries = new Map<string, SheetEntry>();
  for (const [id, raw] of Object.entries(file.data.prices)) {
    const problem = id.includes('/') ? modelIdProblem(id) : 'it is not `provider/model`';
    if (problem) throw new PriceFileError(`entry '${id}': not a model id: ${problem}`);
    const parsed = tokgateEntry.safeParse(raw);
    if (!parsed.success) throw new PriceFileError(`entry '${id}': ${firstIssue(parsed.error)}`);
    const source = parsed.data.source ?? file.data.source ?? options.source;
    if (!source)
      throw new PriceFileError(
        `entry '${id}': field 'source': every price needs a source (the entry's, the file's, or --source)`,
      );
    entries.set(id, { ...parsed.data, source, date: parsed.data.date ?? file.data.date ?? today() });
  }
  return { format: 'tokgate', entries, skipped: {} };
}

/** The tokgate model name of a LiteLLM key: without its provider prefix (`groq/llama-3.3...` → `llama-3.3...`). */
function litellmModelName(key: string, litellmProvider: string, provider: string): string {
  const slash = key.indexOf('/');
  if (slash < 0) return key;
  const prefix = key.slice(0, slash);
  const family = litellmProvider.split('-')[0];
  return prefix === litellmProvider || prefix === family || prefix === provider ? key.slice(slash + 1) : key;
}

/** USD per token → per million, without the float noise of the multiplication (2.5e-6 → 2.5). */
const perMillion = (usd: number | undefined) =>
  usd === undefined ? undefined : Number((usd * 1_000_000).toPrecision(12));

/** One LiteLLM entry's price in the YAML's fields (USD per million, per minute, ...); undefined: none. */
function litellmPrice(entry: LitellmEntry, kind: ModelKind): TokgatePriceEntry | undefined {
  const perImage = entry.output_cost_per_image ?? (kind === 'image' ? entry.input_cost_per_image : undefined);
  const special =
    entry.input_cost_per_character ??
    entry.input_cost_per_second ??
    entry.input_cost_per_query ??
    perImage ??
    entry.input_cost_per_audio_token ??
    entry.output_cost_per_image_token;
  // A model billed by its tokens must say what input costs: a missing price is never a silent $0.
  if (entry.input_cost_per_token === undefined && special === undefined) return undefined;
  const price: TokgatePriceEntry = {
    input: perMillion(entry.input_cost_per_token) ?? 0,
    output: perMillion(entry.output_cost_per_image_token ?? entry.output_cost_per_token) ?? 0,
  };
  const set = <K extends keyof TokgatePriceEntry>(field: K, v: TokgatePriceEntry[K] | undefined) => {
    if (v !== undefined) price[field] = v;
  };
  set('cached_input', perMillion(entry.cache_read_input_token_cost));
  set('cache_write', perMillion(entry.cache_creation_input_token_cost));
  set('cache_write_1h', perMillion(entry.cache_creation_input_token_cost_above_1hr));
  if (entry.output_cost_per_reasoning_token !== entry.output_cost_per_token)
    set('reasoning', perMillion(entry.output_cost_per_reasoning_token));
  set('audio_input', perMillion(entry.input_cost_per_audio_token));
  set('audio_output', perMillion(entry.output_cost_per_audio_token));
  set('per_million_characters', perMillion(entry.input_cost_per_character));
  set('per_minute', entry.input_cost_per_second === undefined ? undefined : entry.input_cost_per_second * 60);
  set(
    'per_thousand_searches',
    entry.input_cost_per_query === undefined ? undefined : entry.input_cost_per_query * 1000,
  );
  set('per_image', perImage === undefined ? undefined : { '*': { '*': perImage } });
  set('image_input', perMillion(entry.input_cost_per_image_token));
  return price;
}

function parseLitellm(file: Record<string, unknown>, options: { source?: string }): PriceSheet {
  const entries = new Map<string, SheetEntry>();
  /** Ids set from a key that carried the provider prefix: those win over a bare key for the same model. */
  const prefixed = new Set<string>();
  const skipped: Record<string, number> = {};
  const skip = (reason: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const date = today();
  for (const [key, raw] of Object.entries(file)) {
    // `sample_spec` documents the format; other non-entries (`last_updated`, ...) carry no provider.
    if (key === 'sample_spec') continue;
    if (typeof raw !== 'object' || raw === null || !('litellm_provider' in raw)) {
      skip('not a model entry');
      continue;
    }
    const provider = LITELLM_PROVIDERS[String(raw.litellm_provider)];
    if (!provider) {
      skip('provider not served by tokgate');
      continue;
    }
    const parsed = litellmEntry.safeParse(raw);
    if (!parsed.success) throw new PriceFileError(`entry '${key}': ${firstIssue(parsed.error)}`);
    const entry = parsed.data;
    const kind = LITELLM_MODES[entry.mode ?? 'chat'];
    if (!kind) {
      skip(`mode not served by tokgate`);
      continue;
    }
    const model = litellmModelName(key, entry.litellm_provider, provider);
    const id = `${provider}/${model}`;
    if (IMAGE_VARIANT.test(model) || (FLAT_NAMES.has(provider) && model.includes('/'))) {
      skip('size or region variant');
      continue;
    }
    if (modelIdProblem(id)) {
      skip('not a valid model id');
      continue;
    }
    const price = litellmPrice(entry, kind);
    if (!price) {
      skip('no price');
      continue;
    }
    const withPrefix = model !== key;
    if (entries.has(id)) {
      skip('duplicate');
      if (prefixed.has(id) || !withPrefix) continue;
    }
    if (withPrefix) prefixed.add(id);
    const sheetEntry: SheetEntry = {
      ...price,
      source: entry.source ?? options.source ?? 'LiteLLM model_prices_and_context_window.json',
      date,
      kind,
    };
    const limit = (n: number | undefined) => (n !== undefined && n > 0 ? Math.floor(n) : undefined);
    const contextWindow = limit(entry.max_input_tokens);
    const maxOutput = limit(entry.max_output_tokens);
    if (contextWindow !== undefined) sheetEntry.context_window = contextWindow;
    if (maxOutput !== undefined) sheetEntry.max_output_tokens = maxOutput;
    entries.set(id, sheetEntry);
  }
  return { format: 'litellm', entries, skipped };
}

/** A sheet in tokgate's own format: how a price version is stored (and how it can be exported). */
export function toTokgateFile(sheet: PriceSheet): {
  tokgate_prices: number;
  prices: Record<string, SheetEntry>;
} {
  return { tokgate_prices: TOKGATE_PRICES_VERSION, prices: Object.fromEntries(sheet.entries) };
}

/** A sheet's prices as the catalog applies them, under a version's ledger label. */
export function importedPrices(sheet: PriceSheet, id: number, version: string): ImportedPrices {
  const prices = new Map<string, ImportedPrice>();
  for (const [id, entry] of sheet.entries) {
    const { source, date, context_window, max_output_tokens, kind, ...price } = entry;
    prices.set(id, {
      price: toPriceSettings(price),
      source,
      date,
      ...(context_window === undefined ? {} : { contextWindow: context_window }),
      ...(max_output_tokens === undefined ? {} : { maxOutputTokens: max_output_tokens }),
      ...(kind === undefined ? {} : { kind }),
    });
  }
  return { id, version, prices };
}
