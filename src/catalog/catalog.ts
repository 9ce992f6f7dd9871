// The model catalog: built-in entries plus config overrides, with prices converted once to integer
// micro-dollars per million tokens. Read on the hot path, so lookups are a single Map get.
import type { ModelSettings, PriceSettings } from '../config/config.js';
import type { Operation } from '../core/embeddings.js';
import type { ModelInfo } from '../core/types.js';
import { BUILTIN_CATALOG, type CatalogEntryData } from './catalog-data.js';
import { modelIdProblem } from './model-id.js';

export type TokenizerName = 'o200k_base' | 'cl100k_base';

/** Micro-USD per million tokens, so cost = tokens × price / 1e6 in integer micro-dollars. */
export interface Price {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number | undefined;
  /** Anthropic's 1-hour cache writes; `cacheWrite` when the model has no price of its own for them. */
  cacheWrite1h: number | undefined;
  /** Micro-USD per search unit (rerank models billed per search, as Cohere's): undefined for per-token. */
  searchUnit?: number | undefined;
  /** Micro-USD per million characters of input (speech models billed per character). */
  character?: number | undefined;
  /** Micro-USD per million seconds of audio (transcription models billed by duration). */
  audioSecond?: number | undefined;
  /** Micro-USD per million audio tokens in and out (the text tokens are `input` and `output`). */
  audioInput?: number | undefined;
  audioOutput?: number | undefined;
  /** Image models: micro-USD per image by quality, then size (`*`: any); the first quality is the default. */
  perImage?: Readonly<Record<string, Readonly<Record<string, number>>>> | undefined;
  /** GPT image models: micro-USD per million image input tokens. */
  imageInput?: number | undefined;
  /** Micro-USD per million image output tokens, when they cost more than text output (Gemini's). */
  imageOutput?: number | undefined;
}

/** What a model does: which door may name it (`chat` for entries that do not say). */
export type ModelKind = Operation;

export interface ModelEntry {
  /** `provider/model` */
  id: string;
  provider: string;
  model: string;
  contextWindow: number | undefined;
  maxOutputTokens: number | undefined;
  created: number;
  price: Price | undefined;
  /** Where the price came from and since when (`builtin@2025-11-01`, `config@2026-01-15`): on every ledger row. */
  priceVersion: string | undefined;
  tokenizer: TokenizerName;
  kind: ModelKind;
}

/** The date the built-in price list was taken from the vendors' pages. */
export const BUILTIN_PRICES_AS_OF = '2025-11-01';

const toMicros = (usdPerMillion: number) => Math.round(usdPerMillion * 1_000_000);

/** USD per image → micro-USD per image, table by table. */
function perImageMicros(
  table: Readonly<Record<string, Readonly<Record<string, number>>>>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [quality, sizes] of Object.entries(table)) {
    out[quality] = {};
    for (const [size, usd] of Object.entries(sizes)) out[quality][size] = Math.round(usd * 1_000_000);
  }
  return out;
}

function toPrice(price: PriceSettings | CatalogEntryData['price']): Price | undefined {
  if (!price) return undefined;
  return {
    input: toMicros(price.input),
    output: toMicros(price.output),
    cachedInput: toMicros(price.cachedInput ?? price.input),
    cacheWrite: price.cacheWrite === undefined ? undefined : toMicros(price.cacheWrite),
    cacheWrite1h: price.cacheWrite1h === undefined ? undefined : toMicros(price.cacheWrite1h),
    // USD per 1,000 searches (how vendors list it) → micro-USD per search.
    ...(price.perThousandSearches === undefined
      ? {}
      : { searchUnit: Math.round(price.perThousandSearches * 1000) }),
    ...(price.perMillionCharacters === undefined ? {} : { character: toMicros(price.perMillionCharacters) }),
    // USD per minute → micro-USD per million seconds.
    ...(price.perMinute === undefined ? {} : { audioSecond: toMicros((price.perMinute / 60) * 1_000_000) }),
    ...(price.audioInput === undefined ? {} : { audioInput: toMicros(price.audioInput) }),
    ...(price.audioOutput === undefined ? {} : { audioOutput: toMicros(price.audioOutput) }),
    ...(price.perImage === undefined ? {} : { perImage: perImageMicros(price.perImage) }),
    ...(price.imageInput === undefined ? {} : { imageInput: toMicros(price.imageInput) }),
    ...(price.imageOutput === undefined ? {} : { imageOutput: toMicros(price.imageOutput) }),
  };
}

/** OpenAI's newer models use o200k; for everyone else cl100k is the closest public approximation. */
const defaultTokenizer = (provider: string): TokenizerName =>
  provider === 'openai' ? 'o200k_base' : 'cl100k_base';

// A fixed `created` for models known only from config, so listings are stable across restarts.
const CONFIG_MODEL_CREATED = 1_700_000_000;

/** What a model of a local server costs: nothing is billed per token (ollama, LM Studio, vLLM, llama.cpp). */
const FREE: Price = { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, cacheWrite1h: 0 };
export const FREE_PRICE_VERSION = 'free@local';

export class ModelCatalog {
  private readonly entries = new Map<string, ModelEntry>();
  private readonly freeProviders: ReadonlySet<string>;

  /**
   * `freeProviders`: providers that bill nothing (local servers): any model of theirs is priced at zero,
   * listed or not. Every other provider's unknown models stay unpriced (refused for metered keys).
   */
  constructor(
    overrides: Record<string, ModelSettings> = {},
    extraModels: Record<string, string[]> = {},
    freeProviders: ReadonlySet<string> = new Set(),
  ) {
    this.freeProviders = freeProviders;
    for (const data of BUILTIN_CATALOG as readonly CatalogEntryData[]) {
      const id = `${data.provider}/${data.model}`;
      this.entries.set(id, {
        id,
        provider: data.provider,
        model: data.model,
        contextWindow: data.contextWindow,
        maxOutputTokens: data.maxOutputTokens,
        created: data.created,
        price: toPrice(data.price),
        priceVersion: data.price ? `builtin@${data.priceDate ?? BUILTIN_PRICES_AS_OF}` : undefined,
        tokenizer: data.tokenizer,
        kind: data.kind ?? 'chat',
      });
    }
    for (const [provider, models] of Object.entries(extraModels)) {
      for (const model of models) this.ensure(provider, model);
    }
    for (const [id, settings] of Object.entries(overrides)) {
      const slash = id.indexOf('/');
      const entry = this.ensure(id.slice(0, slash), id.slice(slash + 1));
      if (settings.contextWindow !== undefined) entry.contextWindow = settings.contextWindow;
      if (settings.maxOutputTokens !== undefined) entry.maxOutputTokens = settings.maxOutputTokens;
      if (settings.kind !== undefined) entry.kind = settings.kind;
      if (settings.price) {
        entry.price = toPrice(settings.price);
        entry.priceVersion = `config@${settings.price.effectiveFrom ?? 'start'}`;
      }
    }
  }

  private ensure(provider: string, model: string): ModelEntry {
    const id = `${provider}/${model}`;
    let entry = this.entries.get(id);
    if (!entry) {
      entry = this.unlisted(provider, model);
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** An entry for a model the built-in catalog does not know: free on a local server, else unpriced. */
  private unlisted(provider: string, model: string): ModelEntry {
    const free = this.freeProviders.has(provider);
    return {
      id: `${provider}/${model}`,
      provider,
      model,
      contextWindow: undefined,
      maxOutputTokens: undefined,
      created: CONFIG_MODEL_CREATED,
      price: free ? FREE : undefined,
      priceVersion: free ? FREE_PRICE_VERSION : undefined,
      tokenizer: defaultTokenizer(provider),
      kind: 'chat',
    };
  }

  /**
   * Adds the models a provider's live list names that the catalog does not know (unpriced, or free on a
   * local server); ids that are not valid model ids are skipped. Returns how many were added.
   */
  learn(provider: string, models: readonly string[]): number {
    let added = 0;
    for (const model of models) {
      const id = `${provider}/${model}`;
      if (this.entries.has(id) || modelIdProblem(id) !== undefined) continue;
      this.ensure(provider, model);
      added++;
    }
    return added;
  }

  /** Whether the catalog lists the model (built in, configured, or read from a live list): bounded. */
  lists(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): ModelEntry | undefined {
    const entry = this.entries.get(id);
    if (entry || this.freeProviders.size === 0) return entry;
    // Not stored: model ids come from clients, and the catalog must not grow with them.
    const slash = id.indexOf('/');
    const provider = id.slice(0, slash);
    return slash > 0 && this.freeProviders.has(provider)
      ? this.unlisted(provider, id.slice(slash + 1))
      : undefined;
  }

  /** The tokenizer for a model, known or not. */
  tokenizerFor(id: string, provider: string): TokenizerName {
    return this.entries.get(id)?.tokenizer ?? defaultTokenizer(provider);
  }

  /** Every entry, built-in and configured. */
  all(): ModelEntry[] {
    return [...this.entries.values()];
  }

  /** Models of the given providers, in catalog order, as /v1/models lists them. */
  list(providers: ReadonlySet<string>): ModelInfo[] {
    const out: ModelInfo[] = [];
    for (const entry of this.entries.values()) {
      if (!providers.has(entry.provider)) continue;
      out.push({ id: entry.id, object: 'model', created: entry.created, owned_by: entry.provider });
    }
    return out;
  }
}
