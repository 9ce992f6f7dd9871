// The model catalog: built-in entries, an imported price version over them, then config overrides, with
// prices converted once to integer micro-dollars per million tokens. Read on the hot path, so lookups are a
// single Map get; a new price version builds a new map and swaps it in (entries are never changed in place,
// so a request in flight keeps the price, and the version, it started with).
import type { GatewayConfig, ModelSettings, PriceSettings } from '../config/config.js';
import type { Operation } from '../core/embeddings.js';
import type { ModelInfo } from '../core/types.js';
import { BUILTIN_CATALOG, BUILTIN_PRICE_SOURCES, type CatalogEntryData } from './catalog-data.js';
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
  /** Micro-USD per million reasoning tokens, where the model bills them apart from `output`. */
  reasoning?: number | undefined;
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
  /** Where the price was read (a vendor's pricing page, a price file), and the day it was checked. */
  priceSource?: string | undefined;
  priceDate?: string | undefined;
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
    ...(price.reasoning === undefined ? {} : { reasoning: toMicros(price.reasoning) }),
    ...(price.imageOutput === undefined ? {} : { imageOutput: toMicros(price.imageOutput) }),
  };
}

/** One model's price in an imported price version (USD, as the YAML writes it), with its source and date. */
export interface ImportedPrice {
  price: PriceSettings;
  source: string;
  /** YYYY-MM-DD. */
  date: string;
  /** Used only for models the catalog does not know yet. */
  contextWindow?: number | undefined;
  maxOutputTokens?: number | undefined;
  kind?: ModelKind | undefined;
}

/** A price version: its number, its ledger label (`import-3@2026-12-07`) and its prices by model id. */
export interface ImportedPrices {
  id: number;
  version: string;
  prices: ReadonlyMap<string, ImportedPrice>;
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
  private entries = new Map<string, ModelEntry>();
  private readonly freeProviders: ReadonlySet<string>;
  /** Models read from providers' live lists, kept so a rebuild (a new price version) still lists them. */
  private readonly learned: Array<[string, string]> = [];
  private imported: ImportedPrices | undefined;

  /**
   * `freeProviders`: providers that bill nothing (local servers): any model of theirs is priced at zero,
   * listed or not. Every other provider's unknown models stay unpriced (refused for metered keys).
   */
  constructor(
    private readonly overrides: Record<string, ModelSettings> = {},
    private readonly extraModels: Record<string, string[]> = {},
    freeProviders: ReadonlySet<string> = new Set(),
  ) {
    this.freeProviders = freeProviders;
    this.entries = this.build();
  }

  /** The catalog a configuration describes: its model overrides, its providers' listed and free models. */
  static fromConfig(config: Pick<GatewayConfig, 'models' | 'providers'>): ModelCatalog {
    const extraModels = Object.fromEntries(config.providers.map((p) => [p.id, p.models]));
    const free = new Set(config.providers.filter((p) => p.free).map((p) => p.id));
    return new ModelCatalog(config.models, extraModels, free);
  }

  /**
   * Puts a price version over the built-in prices (undefined: none), in one swap. Config overrides still
   * win: the YAML pins a model's price on this gateway.
   */
  applyPrices(imported: ImportedPrices | undefined): void {
    this.imported = imported;
    this.entries = this.build();
  }

  /** The number of the price version applied, if any. */
  get importedId(): number | undefined {
    return this.imported?.id;
  }

  /** The same catalog (config, configured and learned models) under other imported prices: for diffs. */
  withPrices(imported: ImportedPrices | undefined): ModelCatalog {
    const copy = new ModelCatalog(this.overrides, this.extraModels, this.freeProviders);
    copy.learned.push(...this.learned);
    copy.applyPrices(imported);
    return copy;
  }

  /** The layers, bottom up: built-in, imported prices, configured and learned models, config overrides. */
  private build(): Map<string, ModelEntry> {
    const entries = new Map<string, ModelEntry>();
    for (const data of BUILTIN_CATALOG as readonly CatalogEntryData[]) {
      const id = `${data.provider}/${data.model}`;
      const date = data.priceDate ?? BUILTIN_PRICES_AS_OF;
      entries.set(id, {
        id,
        provider: data.provider,
        model: data.model,
        contextWindow: data.contextWindow,
        maxOutputTokens: data.maxOutputTokens,
        created: data.created,
        price: toPrice(data.price),
        priceVersion: data.price ? `builtin@${date}` : undefined,
        priceSource: data.price ? (data.priceSource ?? BUILTIN_PRICE_SOURCES[data.provider]) : undefined,
        priceDate: data.price ? date : undefined,
        tokenizer: data.tokenizer,
        kind: data.kind ?? 'chat',
      });
    }
    if (this.imported) {
      const { version, prices } = this.imported;
      for (const [id, imported] of prices) {
        const slash = id.indexOf('/');
        const known = entries.has(id);
        const entry = this.ensureIn(entries, id.slice(0, slash), id.slice(slash + 1));
        // A model the catalog did not know: what the file says of it, too.
        if (!known) {
          entry.contextWindow ??= imported.contextWindow;
          entry.maxOutputTokens ??= imported.maxOutputTokens;
          if (imported.kind) entry.kind = imported.kind;
        }
        entry.price = toPrice(imported.price);
        entry.priceVersion = version;
        entry.priceSource = imported.source;
        entry.priceDate = imported.date;
      }
    }
    for (const [provider, models] of Object.entries(this.extraModels)) {
      for (const model of models) this.ensureIn(entries, provider, model);
    }
    for (const [provider, model] of this.learned) this.ensureIn(entries, provider, model);
    for (const [id, settings] of Object.entries(this.overrides)) {
      const slash = id.indexOf('/');
      const entry = this.ensureIn(entries, id.slice(0, slash), id.slice(slash + 1));
      if (settings.contextWindow !== undefined) entry.contextWindow = settings.contextWindow;
      if (settings.maxOutputTokens !== undefined) entry.maxOutputTokens = settings.maxOutputTokens;
      if (settings.kind !== undefined) entry.kind = settings.kind;
      if (settings.price) {
        entry.price = toPrice(settings.price);
        entry.priceVersion = `config@${settings.price.effectiveFrom ?? 'start'}`;
        entry.priceSource = 'config';
        entry.priceDate = settings.price.effectiveFrom;
      }
    }
    return entries;
  }

  private ensureIn(entries: Map<string, ModelEntry>, provider: string, model: string): ModelEntry {
    const id = `${provider}/${model}`;
    let entry = entries.get(id);
    if (!entry) {
      entry = this.unlisted(provider, model);
      entries.set(id, entry);
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
      priceSource: free ? 'local server' : undefined,
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
      this.ensureIn(this.entries, provider, model);
      this.learned.push([provider, model]);
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
