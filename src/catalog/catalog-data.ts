// Built-in model catalog: context windows and list prices (USD per million tokens) from the vendors'
// public price lists, as of November 2025. Overridable in the YAML config. Sources:
// https://openai.com/api/pricing, https://docs.anthropic.com/en/docs/about-claude/pricing,
// https://ai.google.dev/gemini-api/docs/pricing, https://mistral.ai/pricing, https://groq.com/pricing,
// https://api-docs.deepseek.com/quick_start/pricing, https://docs.x.ai/docs/models,
// https://www.together.ai/pricing, https://fireworks.ai/pricing, https://cohere.com/pricing,
// https://aws.amazon.com/bedrock/pricing,
// https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/.
// Each price names its source (BUILTIN_PRICE_SOURCES, or the entry's `priceSource`) and the day it was
// checked. A model whose price could not be checked on its vendor's page is left out (served unpriced, or
// priced under `models:` in the YAML or by a price file): Jina's and Vertex AI's image models among them.
// Long-context surcharges (Gemini 2.5 Pro >200k, Claude Sonnet 1M beta) and batch discounts are not modelled.

export interface CatalogEntryData {
  /** Provider id, as used in the model prefix: `openai`, `anthropic`, `google`, `mistral`, `groq`, `deepseek`, `xai`, `together`, `fireworks`, `cohere`, `bedrock`, `azure`. */
  provider: string;
  /** The provider's own model name (what goes upstream), e.g. `gpt-4o`, `claude-sonnet-4-5`. */
  model: string;
  contextWindow: number;
  maxOutputTokens?: number;
  /** Unix seconds when the model was released (approximate is fine, used for `created` in /v1/models). */
  created: number;
  /** USD per million tokens. */
  price?: {
    input: number;
    output: number;
    cachedInput?: number;
    /** Writing the prompt cache (Anthropic: its 5-minute cache). */
    cacheWrite?: number;
    /** Writing Anthropic's 1-hour prompt cache (twice the input price); the 5-minute price when unset. */
    cacheWrite1h?: number;
    /** Rerank models billed per search (Cohere's search unit): USD per 1,000 searches. */
    perThousandSearches?: number;
    /** Speech models billed per character of input: USD per million characters. */
    perMillionCharacters?: number;
    /** Transcription models billed per duration of audio: USD per minute. */
    perMinute?: number;
    /** Audio tokens (gpt-4o-transcribe's input, gpt-4o-mini-tts's output): USD per million. */
    audioInput?: number;
    audioOutput?: number;
    /**
     * Image models: USD per image by quality, then size (`*`: any size). The first quality listed is the
     * model's default; a GPT image model's answer says which it used.
     */
    perImage?: Readonly<Record<string, Readonly<Record<string, number>>>>;
    /** GPT image models: USD per million image input tokens (text input is `input`, image output `output`). */
    imageInput?: number;
    /** USD per million reasoning tokens, where the model bills them apart from output tokens. */
    reasoning?: number;
    /** Gemini's image models: USD per million image output tokens (text output is `output`). */
    imageOutput?: number;
  };
  /** The page the price was read from, when not the provider's pricing page (BUILTIN_PRICE_SOURCES). */
  priceSource?: string;
  /**
   * The day the price was last checked against the vendor's page (YYYY-MM-DD); the ledger's price version
   * says it (`builtin@<date>`). Entries without one date from BUILTIN_PRICES_AS_OF.
   */
  priceDate?: string;
  /** The BPE encoding (gpt-tokenizer) closest to the model's tokenizer: 'o200k_base' for gpt-4o/4.1/o-series/gpt-5, 'cl100k_base' for older OpenAI and as the approximation for others. */
  tokenizer: 'o200k_base' | 'cl100k_base';
  /**
   * What the model does; absent: chat. Embedding and rerank models are priced by their input only; speech
   * and transcription models per character, per minute of audio or per (audio) token; image models per image
   * (`price.perImage`), GPT image models by their tokens when the answer reports them.
   */
  kind?: 'chat' | 'embedding' | 'rerank' | 'speech' | 'transcription' | 'image';
}

/**
 * Each provider's own pricing page: the source of its built-in prices (an entry's `priceSource` names
 * another page where its price was read elsewhere). `GET /admin/models` and the console show it per model.
 */
export const BUILTIN_PRICE_SOURCES: Readonly<Record<string, string>> = {
  openai: 'https://openai.com/api/pricing',
  anthropic: 'https://docs.anthropic.com/en/docs/about-claude/pricing',
  google: 'https://ai.google.dev/gemini-api/docs/pricing',
  vertex: 'https://cloud.google.com/vertex-ai/generative-ai/pricing',
  mistral: 'https://mistral.ai/pricing',
  groq: 'https://groq.com/pricing',
  deepseek: 'https://api-docs.deepseek.com/quick_start/pricing',
  xai: 'https://docs.x.ai/docs/models',
  together: 'https://www.together.ai/pricing',
  fireworks: 'https://fireworks.ai/pricing',
  cohere: 'https://cohere.com/pricing',
  bedrock: 'https://aws.amazon.com/bedrock/pricing',
  azure: 'https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/',
  perplexity: 'https://docs.perplexity.ai/getting-started/pricing',
  cerebras: 'https://www.cerebras.ai/pricing',
  sambanova: 'https://cloud.sambanova.ai/plans/pricing',
  deepinfra: 'https://deepinfra.com/pricing',
  nebius: 'https://nebius.com/token-factory/prices',
  hyperbolic: 'https://app.hyperbolic.xyz/models',
  moonshot: 'https://platform.moonshot.ai/docs/pricing/chat',
  zhipu: 'https://docs.z.ai/guides/overview/pricing',
  dashscope: 'https://www.alibabacloud.com/help/en/model-studio/billing-for-model-studio',
  minimax: 'https://platform.minimax.io/docs/guides/pricing-paygo',
  cloudflare: 'https://developers.cloudflare.com/workers-ai/platform/pricing',
  ai21: 'https://www.ai21.com/pricing',
  voyage: 'https://docs.voyageai.com/docs/pricing',
  jina: 'https://jina.ai/pricing',
  deepgram: 'https://deepgram.com/pricing',
  elevenlabs: 'https://elevenlabs.io/pricing/api',
};

/** GPT Image 1's price, the same on OpenAI and Azure: tokens, or per image by quality and size. */
const GPT_IMAGE_1_PRICE: NonNullable<CatalogEntryData['price']> = {
  input: 5,
  cachedInput: 1.25,
  imageInput: 10,
  output: 40,
  perImage: {
    low: { '1024x1024': 0.011, '1024x1536': 0.016, '1536x1024': 0.016 },
    medium: { '1024x1024': 0.042, '1024x1536': 0.063, '1536x1024': 0.063 },
    high: { '1024x1024': 0.167, '1024x1536': 0.25, '1536x1024': 0.25 },
  },
};

export const BUILTIN_CATALOG = [
  // OpenAI (https://openai.com/api/pricing, https://platform.openai.com/docs/models).
  {
    provider: 'openai',
    model: 'gpt-5.1',
    contextWindow: 400000,
    maxOutputTokens: 128000,
    created: 1762992000,
    price: { input: 1.25, cachedInput: 0.125, output: 10 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-5',
    contextWindow: 400000,
    maxOutputTokens: 128000,
    created: 1754524800,
    price: { input: 1.25, cachedInput: 0.125, output: 10 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-5-mini',
    contextWindow: 400000,
    maxOutputTokens: 128000,
    created: 1754524800,
    price: { input: 0.25, cachedInput: 0.025, output: 2 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-5-nano',
    contextWindow: 400000,
    maxOutputTokens: 128000,
    created: 1754524800,
    price: { input: 0.05, cachedInput: 0.005, output: 0.4 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-4.1',
    contextWindow: 1047576,
    maxOutputTokens: 32768,
    created: 1744588800,
    price: { input: 2, cachedInput: 0.5, output: 8 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-4.1-mini',
    contextWindow: 1047576,
    maxOutputTokens: 32768,
    created: 1744588800,
    price: { input: 0.4, cachedInput: 0.1, output: 1.6 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-4.1-nano',
    contextWindow: 1047576,
    maxOutputTokens: 32768,
    created: 1744588800,
    price: { input: 0.1, cachedInput: 0.025, output: 0.4 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-4o',
    contextWindow: 128000,
    maxOutputTokens: 16384,
    created: 1715367049,
    price: { input: 2.5, cachedInput: 1.25, output: 10 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    contextWindow: 128000,
    maxOutputTokens: 16384,
    created: 1721260800,
    price: { input: 0.15, cachedInput: 0.075, output: 0.6 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'o1',
    contextWindow: 200000,
    maxOutputTokens: 100000,
    created: 1734393600,
    price: { input: 15, cachedInput: 7.5, output: 60 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'o3',
    contextWindow: 200000,
    maxOutputTokens: 100000,
    created: 1744761600,
    price: { input: 2, cachedInput: 0.5, output: 8 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'o3-mini',
    contextWindow: 200000,
    maxOutputTokens: 100000,
    created: 1738281600,
    price: { input: 1.1, cachedInput: 0.55, output: 4.4 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'o4-mini',
    contextWindow: 200000,
    maxOutputTokens: 100000,
    created: 1744761600,
    price: { input: 1.1, cachedInput: 0.275, output: 4.4 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-4-turbo',
    contextWindow: 128000,
    maxOutputTokens: 4096,
    created: 1712620800,
    price: { input: 10, output: 30 },
    priceSource: 'https://developers.openai.com/api/docs/models/gpt-4-turbo',
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'openai',
    model: 'gpt-3.5-turbo',
    contextWindow: 16385,
    maxOutputTokens: 4096,
    created: 1677610602,
    price: { input: 0.5, output: 1.5 },
    tokenizer: 'cl100k_base',
  },

  // Anthropic (https://docs.anthropic.com/en/docs/about-claude/pricing).
  // cacheWrite is the 5-minute cache-write rate, cacheWrite1h the 1-hour one (2x input); cachedInput is the
  // cache-hit rate.
  {
    provider: 'anthropic',
    model: 'claude-opus-4-5',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1763942400,
    price: { input: 5, cachedInput: 0.5, cacheWrite: 6.25, cacheWrite1h: 10, output: 25 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4-5-20251101',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1763942400,
    price: { input: 5, cachedInput: 0.5, cacheWrite: 6.25, cacheWrite1h: 10, output: 25 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4-1',
    contextWindow: 200000,
    maxOutputTokens: 32000,
    created: 1754352000,
    price: { input: 15, cachedInput: 1.5, cacheWrite: 18.75, cacheWrite1h: 30, output: 75 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4-1-20250805',
    contextWindow: 200000,
    maxOutputTokens: 32000,
    created: 1754352000,
    price: { input: 15, cachedInput: 1.5, cacheWrite: 18.75, cacheWrite1h: 30, output: 75 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4-0',
    contextWindow: 200000,
    maxOutputTokens: 32000,
    created: 1747872000,
    price: { input: 15, cachedInput: 1.5, cacheWrite: 18.75, cacheWrite1h: 30, output: 75 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4-20250514',
    contextWindow: 200000,
    maxOutputTokens: 32000,
    created: 1747872000,
    price: { input: 15, cachedInput: 1.5, cacheWrite: 18.75, cacheWrite1h: 30, output: 75 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1759104000,
    price: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1759104000,
    price: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-0',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1747872000,
    price: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-20250514',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1747872000,
    price: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-3-7-sonnet-latest',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1740355200,
    price: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-3-7-sonnet-20250219',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1740355200,
    price: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1760486400,
    price: { input: 1, cachedInput: 0.1, cacheWrite: 1.25, cacheWrite1h: 2, output: 5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-haiku-4-5-20251001',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1760486400,
    price: { input: 1, cachedInput: 0.1, cacheWrite: 1.25, cacheWrite1h: 2, output: 5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-3-5-haiku-latest',
    contextWindow: 200000,
    maxOutputTokens: 8192,
    created: 1729555200,
    price: { input: 0.8, cachedInput: 0.08, cacheWrite: 1, cacheWrite1h: 1.6, output: 4 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-3-5-haiku-20241022',
    contextWindow: 200000,
    maxOutputTokens: 8192,
    created: 1729555200,
    price: { input: 0.8, cachedInput: 0.08, cacheWrite: 1, cacheWrite1h: 1.6, output: 4 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'anthropic',
    model: 'claude-3-haiku-20240307',
    contextWindow: 200000,
    maxOutputTokens: 4096,
    created: 1710288000,
    price: { input: 0.25, cachedInput: 0.03, cacheWrite: 0.3, cacheWrite1h: 0.5, output: 1.25 },
    tokenizer: 'cl100k_base',
  },

  // Google Gemini API (https://ai.google.dev/gemini-api/docs/pricing).
  // Prices are the <=200k-token prompt tier (2.5 Pro bills $2.50 in / $15 out above 200k);
  // cachedInput is the context-caching read rate. Gemini 3 Pro Preview's could not be checked on Google's
  // page: its cached tokens are billed at the input price (never less than owed).
  {
    provider: 'google',
    model: 'gemini-3-pro-preview',
    contextWindow: 1048576,
    maxOutputTokens: 65536,
    created: 1763424000,
    price: { input: 2, output: 12 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'google',
    model: 'gemini-2.5-pro',
    contextWindow: 1048576,
    maxOutputTokens: 65536,
    created: 1750118400,
    price: { input: 1.25, cachedInput: 0.125, output: 10 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'google',
    model: 'gemini-2.5-flash',
    contextWindow: 1048576,
    maxOutputTokens: 65536,
    created: 1750118400,
    price: { input: 0.3, cachedInput: 0.03, output: 2.5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'google',
    model: 'gemini-2.5-flash-lite',
    contextWindow: 1048576,
    maxOutputTokens: 65536,
    created: 1753142400,
    price: { input: 0.1, cachedInput: 0.01, output: 0.4 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'google',
    model: 'gemini-2.0-flash',
    contextWindow: 1048576,
    maxOutputTokens: 8192,
    created: 1738713600,
    price: { input: 0.1, cachedInput: 0.025, output: 0.4 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'google',
    model: 'gemini-2.0-flash-lite',
    contextWindow: 1048576,
    maxOutputTokens: 8192,
    created: 1740441600,
    price: { input: 0.075, output: 0.3 },
    tokenizer: 'cl100k_base',
  },

  // Mistral (https://mistral.ai/pricing, https://docs.mistral.ai/getting-started/models/).
  // `-latest` aliases as of November 2025 (Large 2.1, Medium 3.1, Small 3.2, Codestral 25.08).
  {
    provider: 'mistral',
    model: 'mistral-large-latest',
    contextWindow: 131072,
    created: 1731888000,
    price: { input: 2, output: 6 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'mistral-medium-latest',
    contextWindow: 131072,
    created: 1754956800,
    price: { input: 0.4, output: 2 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'mistral-small-latest',
    contextWindow: 131072,
    created: 1750377600,
    price: { input: 0.1, output: 0.3 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'magistral-medium-latest',
    contextWindow: 131072,
    created: 1758067200,
    price: { input: 2, output: 5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'magistral-small-latest',
    contextWindow: 131072,
    created: 1758067200,
    price: { input: 0.5, output: 1.5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'codestral-latest',
    contextWindow: 256000,
    created: 1753833600,
    price: { input: 0.3, output: 0.9 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'devstral-medium-latest',
    contextWindow: 131072,
    created: 1752105600,
    price: { input: 0.4, output: 2 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'devstral-small-latest',
    contextWindow: 131072,
    created: 1752105600,
    price: { input: 0.1, output: 0.3 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'ministral-8b-latest',
    contextWindow: 131072,
    created: 1729036800,
    price: { input: 0.1, output: 0.1 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'mistral',
    model: 'ministral-3b-latest',
    contextWindow: 131072,
    created: 1729036800,
    price: { input: 0.04, output: 0.04 },
    tokenizer: 'cl100k_base',
  },

  // Groq (https://groq.com/pricing, https://console.groq.com/docs/models).
  {
    provider: 'groq',
    model: 'llama-3.3-70b-versatile',
    contextWindow: 131072,
    maxOutputTokens: 32768,
    created: 1733443200,
    price: { input: 0.59, output: 0.79 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'groq',
    model: 'llama-3.1-8b-instant',
    contextWindow: 131072,
    maxOutputTokens: 131072,
    created: 1721692800,
    price: { input: 0.05, output: 0.08 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'groq',
    model: 'meta-llama/llama-4-scout-17b-16e-instruct',
    contextWindow: 131072,
    maxOutputTokens: 8192,
    created: 1743811200,
    price: { input: 0.11, output: 0.34 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'groq',
    model: 'openai/gpt-oss-120b',
    contextWindow: 131072,
    maxOutputTokens: 65536,
    created: 1754352000,
    price: { input: 0.15, output: 0.75 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'groq',
    model: 'openai/gpt-oss-20b',
    contextWindow: 131072,
    maxOutputTokens: 65536,
    created: 1754352000,
    price: { input: 0.1, output: 0.5 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'groq',
    model: 'qwen/qwen3-32b',
    contextWindow: 131072,
    maxOutputTokens: 40960,
    created: 1745884800,
    price: { input: 0.29, output: 0.59 },
    tokenizer: 'cl100k_base',
  },

  // DeepSeek (https://api-docs.deepseek.com/quick_start/pricing). Both aliases serve DeepSeek-V3.2 since
  // 2025-09-29; cachedInput is the cache-hit rate.
  {
    provider: 'deepseek',
    model: 'deepseek-chat',
    contextWindow: 128000,
    maxOutputTokens: 8192,
    created: 1759104000,
    price: { input: 0.28, cachedInput: 0.028, output: 0.42 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'deepseek',
    model: 'deepseek-reasoner',
    contextWindow: 128000,
    maxOutputTokens: 65536,
    created: 1759104000,
    price: { input: 0.28, cachedInput: 0.028, output: 0.42 },
    tokenizer: 'cl100k_base',
  },

  // xAI (https://docs.x.ai/docs/models).
  {
    provider: 'xai',
    model: 'grok-4',
    contextWindow: 256000,
    created: 1752019200,
    price: { input: 3, cachedInput: 0.75, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'xai',
    model: 'grok-4-fast-reasoning',
    contextWindow: 2000000,
    created: 1758240000,
    price: { input: 0.2, cachedInput: 0.05, output: 0.5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'xai',
    model: 'grok-4-fast-non-reasoning',
    contextWindow: 2000000,
    created: 1758240000,
    price: { input: 0.2, cachedInput: 0.05, output: 0.5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'xai',
    model: 'grok-code-fast-1',
    contextWindow: 256000,
    created: 1756339200,
    price: { input: 0.2, cachedInput: 0.02, output: 1.5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'xai',
    model: 'grok-3',
    contextWindow: 131072,
    created: 1744156800,
    price: { input: 3, cachedInput: 0.75, output: 15 },
    tokenizer: 'cl100k_base',
  },
  // Its cached-input rate could not be checked on xAI's page: cached tokens are billed at the input price.
  {
    provider: 'xai',
    model: 'grok-3-mini',
    contextWindow: 131072,
    created: 1744156800,
    price: { input: 0.3, output: 0.5 },
    tokenizer: 'cl100k_base',
  },

  // Together AI serverless (https://www.together.ai/pricing).
  {
    provider: 'together',
    model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    contextWindow: 131072,
    created: 1733443200,
    price: { input: 0.88, output: 0.88 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'together',
    model: 'deepseek-ai/DeepSeek-R1',
    contextWindow: 163840,
    created: 1737331200,
    price: { input: 3, output: 7 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'together',
    model: 'Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8',
    contextWindow: 262144,
    created: 1753142400,
    price: { input: 2, output: 2 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'together',
    model: 'openai/gpt-oss-120b',
    contextWindow: 131072,
    created: 1754352000,
    price: { input: 0.15, output: 0.6 },
    tokenizer: 'o200k_base',
  },

  // Fireworks AI serverless (https://fireworks.ai/pricing). The Llama models are priced by their size
  // there: $0.20 per million tokens up to 16B parameters, $0.90 from 16.1B to 80B.
  {
    provider: 'fireworks',
    model: 'accounts/fireworks/models/llama-v3p3-70b-instruct',
    contextWindow: 131072,
    created: 1733443200,
    price: { input: 0.9, output: 0.9 },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'fireworks',
    model: 'accounts/fireworks/models/llama-v3p1-8b-instruct',
    contextWindow: 131072,
    created: 1721692800,
    price: { input: 0.2, output: 0.2 },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'fireworks',
    model: 'accounts/fireworks/models/deepseek-v3',
    contextWindow: 131072,
    created: 1735171200,
    price: { input: 0.9, output: 0.9 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'fireworks',
    model: 'accounts/fireworks/models/deepseek-r1-0528',
    contextWindow: 163840,
    created: 1748390400,
    price: { input: 3, output: 8 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'fireworks',
    model: 'accounts/fireworks/models/qwen3-235b-a22b-instruct-2507',
    contextWindow: 262144,
    created: 1753056000,
    price: { input: 0.22, output: 0.88 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'fireworks',
    model: 'accounts/fireworks/models/kimi-k2-instruct-0905',
    contextWindow: 262144,
    maxOutputTokens: 16384,
    created: 1757030400,
    price: { input: 0.6, output: 2.5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'fireworks',
    model: 'accounts/fireworks/models/gpt-oss-120b',
    contextWindow: 131072,
    created: 1754352000,
    price: { input: 0.15, output: 0.6 },
    tokenizer: 'o200k_base',
  },

  // Cohere (https://cohere.com/pricing, https://docs.cohere.com/docs/models).
  {
    provider: 'cohere',
    model: 'command-a-03-2025',
    contextWindow: 256000,
    maxOutputTokens: 8000,
    created: 1741824000,
    price: { input: 2.5, output: 10 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'cohere',
    model: 'command-r-plus-08-2024',
    contextWindow: 128000,
    maxOutputTokens: 4000,
    created: 1724976000,
    price: { input: 2.5, output: 10 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'cohere',
    model: 'command-r-08-2024',
    contextWindow: 128000,
    maxOutputTokens: 4000,
    created: 1724976000,
    price: { input: 0.15, output: 0.6 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'cohere',
    model: 'command-r7b-12-2024',
    contextWindow: 128000,
    maxOutputTokens: 4000,
    created: 1734048000,
    price: { input: 0.0375, output: 0.15 },
    tokenizer: 'cl100k_base',
  },

  // AWS Bedrock on-demand (https://aws.amazon.com/bedrock/pricing). Anthropic models at Anthropic list price
  // (global endpoints; regional endpoints add ~10%).
  // Embeddings and rerank on Bedrock (InvokeModel): Titan per input token, Cohere Rerank per query of up
  // to 100 documents.
  {
    provider: 'bedrock',
    model: 'amazon.titan-embed-text-v2:0',
    contextWindow: 8192,
    created: 1714003200,
    price: { input: 0.02, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'bedrock',
    model: 'amazon.titan-embed-text-v1',
    contextWindow: 8192,
    created: 1695859200,
    price: { input: 0.1, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'bedrock',
    model: 'cohere.embed-english-v3',
    contextWindow: 512,
    created: 1699401600,
    price: { input: 0.1, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'bedrock',
    model: 'cohere.embed-multilingual-v3',
    contextWindow: 512,
    created: 1699401600,
    price: { input: 0.1, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'bedrock',
    model: 'cohere.rerank-v3-5:0',
    contextWindow: 4096,
    created: 1733097600,
    price: { input: 0, output: 0, perThousandSearches: 2 },
    tokenizer: 'cl100k_base',
    kind: 'rerank',
  },
  {
    provider: 'bedrock',
    model: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1759104000,
    price: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'bedrock',
    model: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1760486400,
    price: { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'bedrock',
    model: 'anthropic.claude-opus-4-1-20250805-v1:0',
    contextWindow: 200000,
    maxOutputTokens: 32000,
    created: 1754352000,
    price: { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'bedrock',
    model: 'anthropic.claude-sonnet-4-20250514-v1:0',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1747872000,
    price: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'bedrock',
    model: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    contextWindow: 200000,
    maxOutputTokens: 8192,
    created: 1730678400,
    price: { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
    tokenizer: 'cl100k_base',
  },

  // Azure OpenAI, Global Standard deployments
  // (https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/). The model name is the
  // usual deployment name.
  {
    provider: 'azure',
    model: 'gpt-5-mini',
    contextWindow: 400000,
    maxOutputTokens: 128000,
    created: 1754524800,
    price: { input: 0.25, cachedInput: 0.025, output: 2 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'azure',
    model: 'gpt-4.1',
    contextWindow: 1047576,
    maxOutputTokens: 32768,
    created: 1744588800,
    price: { input: 2, cachedInput: 0.5, output: 8 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'azure',
    model: 'gpt-4.1-mini',
    contextWindow: 1047576,
    maxOutputTokens: 32768,
    created: 1744588800,
    price: { input: 0.4, cachedInput: 0.1, output: 1.6 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'azure',
    model: 'gpt-4o',
    contextWindow: 128000,
    maxOutputTokens: 16384,
    created: 1715367049,
    price: { input: 2.5, cachedInput: 1.25, output: 10 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'azure',
    model: 'gpt-4o-mini',
    contextWindow: 128000,
    maxOutputTokens: 16384,
    created: 1721260800,
    price: { input: 0.15, cachedInput: 0.075, output: 0.6 },
    tokenizer: 'o200k_base',
  },
  {
    provider: 'azure',
    model: 'o4-mini',
    contextWindow: 200000,
    maxOutputTokens: 100000,
    created: 1744761600,
    price: { input: 1.1, cachedInput: 0.275, output: 4.4 },
    tokenizer: 'o200k_base',
  },

  // ---- Providers added with issue 18. Each section names the vendor's price page and the day its prices
  // were checked (`priceDate`): the date pydantic/genai-prices (commit 47df840) records for its own check
  // where it lists the vendor, else 2026-12-06, when they were read from stored copies of the vendor's
  // pages (and, where noted, Hugging Face's router listing, which shows each provider's own price). Vendors with
  // no per-token list price have no entries here and are served unpriced (see the README): NVIDIA's hosted
  // NIM (credits), GitHub Models (free tier, then per-model multipliers) and Hugging Face's router (the
  // chosen provider's own price). Local servers (ollama, lmstudio, vllm, llamacpp) bill nothing: their
  // models are free by rule (catalog.ts), not listed here.

  // Perplexity (https://docs.perplexity.ai/getting-started/pricing). Token prices only: the per-request
  // search fee ($5–$14 per 1,000 requests by search context size) and Deep Research's citation, search and
  // reasoning meters are not modelled, so these costs are a lower bound.
  {
    provider: 'perplexity',
    model: 'sonar',
    contextWindow: 127072,
    created: 1737417600,
    price: { input: 1, output: 1 },
    priceDate: '2025-07-03',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'perplexity',
    model: 'sonar-pro',
    contextWindow: 200000,
    maxOutputTokens: 8000,
    created: 1737417600,
    price: { input: 3, output: 15 },
    priceDate: '2025-07-03',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'perplexity',
    model: 'sonar-reasoning-pro',
    contextWindow: 127072,
    created: 1737417600,
    price: { input: 2, output: 8 },
    priceDate: '2025-07-03',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'perplexity',
    model: 'sonar-deep-research',
    contextWindow: 127072,
    created: 1737417600,
    price: { input: 2, output: 8 },
    priceDate: '2026-07-22',
    tokenizer: 'cl100k_base',
  },
  // Cerebras (https://www.cerebras.ai/pricing, developer tier; https://inference-docs.cerebras.ai/models).
  {
    provider: 'cerebras',
    model: 'gpt-oss-120b',
    contextWindow: 131072,
    created: 1754352000,
    price: { input: 0.35, output: 0.75 },
    priceDate: '2025-11-06',
    tokenizer: 'o200k_base',
  },
  {
    provider: 'cerebras',
    model: 'llama3.1-8b',
    contextWindow: 32768,
    created: 1721692800,
    price: { input: 0.1, output: 0.1 },
    priceDate: '2025-11-07',
    tokenizer: 'cl100k_base',
  },
  // SambaNova Cloud (https://cloud.sambanova.ai/plans/pricing; the same rates as Hugging Face's router lists
  // for SambaNova).
  {
    provider: 'sambanova',
    model: 'Meta-Llama-3.3-70B-Instruct',
    contextWindow: 131072,
    created: 1733443200,
    price: { input: 0.6, output: 1.2 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'sambanova',
    model: 'Meta-Llama-3.1-8B-Instruct',
    contextWindow: 16384,
    created: 1721692800,
    price: { input: 0.1, output: 0.2 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'sambanova',
    model: 'gpt-oss-120b',
    contextWindow: 131072,
    created: 1754352000,
    price: { input: 0.22, output: 0.59 },
    priceDate: '2026-12-06',
    tokenizer: 'o200k_base',
  },
  {
    provider: 'sambanova',
    model: 'DeepSeek-V3.1',
    contextWindow: 131072,
    created: 1755648000,
    price: { input: 3, output: 4.5 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  // DeepInfra (https://deepinfra.com/meta-llama/Llama-3.3-70B-Instruct-Turbo, https://deepinfra.com/pricing):
  // copies of the model page show $0.12–0.13 in and $0.30–0.40 out; the highest is used, so budgets trip
  // early rather than late.
  {
    provider: 'deepinfra',
    model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    contextWindow: 131072,
    created: 1733443200,
    price: { input: 0.13, output: 0.4 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  // Nebius AI Studio / Token Factory (https://nebius.com/token-factory/prices), the rates Hugging Face's
  // router lists for Nebius.
  {
    provider: 'nebius',
    model: 'meta-llama/Llama-3.3-70B-Instruct',
    contextWindow: 131072,
    created: 1733443200,
    price: { input: 0.25, output: 0.75 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'nebius',
    model: 'openai/gpt-oss-120b',
    contextWindow: 131072,
    created: 1754352000,
    price: { input: 0.15, output: 0.6 },
    priceDate: '2026-12-06',
    tokenizer: 'o200k_base',
  },
  {
    provider: 'nebius',
    model: 'Qwen/Qwen3-235B-A22B-Instruct-2507',
    contextWindow: 262144,
    created: 1753056000,
    price: { input: 0.2, output: 0.6 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  // Hyperbolic (https://app.hyperbolic.xyz/models), the rates Hugging Face's router lists for Hyperbolic.
  {
    provider: 'hyperbolic',
    model: 'meta-llama/Llama-3.3-70B-Instruct',
    contextWindow: 131072,
    created: 1733443200,
    price: { input: 0.4, output: 0.4 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'hyperbolic',
    model: 'openai/gpt-oss-120b',
    contextWindow: 131072,
    created: 1754352000,
    price: { input: 0.3, output: 0.3 },
    priceDate: '2026-12-06',
    tokenizer: 'o200k_base',
  },
  // Moonshot AI (https://platform.moonshot.ai/docs/pricing/chat); cachedInput is the cache-hit rate.
  {
    provider: 'moonshot',
    model: 'kimi-k2-0905-preview',
    contextWindow: 262144,
    created: 1757030400,
    price: { input: 0.6, cachedInput: 0.15, output: 2.5 },
    priceDate: '2026-03-11',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'moonshot',
    model: 'kimi-k2-turbo-preview',
    contextWindow: 262144,
    created: 1754265600,
    price: { input: 1.15, cachedInput: 0.15, output: 8 },
    priceDate: '2026-03-11',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'moonshot',
    model: 'kimi-k2-thinking',
    contextWindow: 262144,
    created: 1762387200,
    price: { input: 0.6, cachedInput: 0.15, output: 2.5 },
    priceDate: '2026-03-11',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'moonshot',
    model: 'kimi-k2.5',
    contextWindow: 262144,
    created: 1769472000,
    price: { input: 0.6, cachedInput: 0.1, output: 3 },
    priceDate: '2026-03-11',
    tokenizer: 'cl100k_base',
  },
  // Z.ai, the international endpoint (https://docs.z.ai/guides/overview/pricing); cachedInput is the
  // cache-hit rate. The China endpoint (open.bigmodel.cn) bills in CNY at other rates: price it in YAML.
  {
    provider: 'zhipu',
    model: 'glm-5.2',
    contextWindow: 1000000,
    created: 1785801600,
    price: { input: 1.4, cachedInput: 0.26, output: 4.4 },
    priceDate: '2026-08-04',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'zhipu',
    model: 'glm-5.3',
    contextWindow: 1000000,
    created: 1787097600,
    price: { input: 1.4, cachedInput: 0.26, output: 4.4 },
    priceDate: '2026-08-19',
    tokenizer: 'cl100k_base',
  },
  // Alibaba Cloud Model Studio, international (Singapore) endpoint
  // (https://www.alibabacloud.com/help/en/model-studio/billing-for-model-studio, https://www.alibabacloud.com/help/en/model-studio/models).
  // The lowest context tier (qwen-plus bills more above 128k prompt tokens; not modelled). The copy read was
  // last updated 2025-04-22.
  {
    provider: 'dashscope',
    model: 'qwen-max',
    contextWindow: 32768,
    created: 1727740800,
    price: { input: 1.6, output: 6.4 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'dashscope',
    model: 'qwen-plus',
    contextWindow: 131072,
    created: 1727740800,
    price: { input: 0.4, output: 1.2 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'dashscope',
    model: 'qwen-turbo',
    contextWindow: 1008192,
    created: 1727740800,
    price: { input: 0.05, output: 0.2 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  // MiniMax (https://platform.minimax.io/docs/guides/pricing-paygo); cachedInput / cacheWrite are the
  // prompt-cache read and write rates.
  {
    provider: 'minimax',
    model: 'MiniMax-M2',
    contextWindow: 204800,
    created: 1761523200,
    price: { input: 0.3, cachedInput: 0.03, cacheWrite: 0.375, output: 1.2 },
    priceDate: '2026-05-23',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'minimax',
    model: 'MiniMax-M2.7',
    contextWindow: 204800,
    created: 1773792000,
    price: { input: 0.3, cachedInput: 0.06, cacheWrite: 0.375, output: 1.2 },
    priceDate: '2026-05-23',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'minimax',
    model: 'MiniMax-M2.7-highspeed',
    contextWindow: 204800,
    created: 1773792000,
    price: { input: 0.6, cachedInput: 0.06, cacheWrite: 0.375, output: 2.4 },
    priceDate: '2026-05-23',
    tokenizer: 'cl100k_base',
  },
  // Cloudflare Workers AI (https://developers.cloudflare.com/workers-ai/platform/pricing; each model's page
  // gives its unit price, billed in neurons).
  {
    provider: 'cloudflare',
    model: '@cf/meta/llama-3.3-70b-instruct-fp8-fast',
    contextWindow: 24000,
    created: 1733443200,
    price: { input: 0.29, output: 2.25 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  // AI21 (https://www.ai21.com/pricing; the same rates as Jamba on AWS Bedrock).
  {
    provider: 'ai21',
    model: 'jamba-large',
    contextWindow: 256000,
    created: 1741219200,
    price: { input: 2, output: 8 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'ai21',
    model: 'jamba-mini',
    contextWindow: 256000,
    created: 1741219200,
    price: { input: 0.2, output: 0.4 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  // Google Vertex AI (https://cloud.google.com/vertex-ai/generative-ai/pricing). Gemini at the Gemini API's
  // rates (the <=200k prompt tier); Claude at the regional endpoints' rates, which for Claude 4.5 models are
  // 10% above Anthropic's list (the global endpoint bills list: over-, never under-counted). Model ids are
  // Vertex's, with `@` versions.
  {
    provider: 'vertex',
    model: 'gemini-2.5-pro',
    contextWindow: 1048576,
    maxOutputTokens: 65536,
    created: 1750118400,
    price: { input: 1.25, cachedInput: 0.125, output: 10 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'vertex',
    model: 'gemini-2.5-flash',
    contextWindow: 1048576,
    maxOutputTokens: 65536,
    created: 1750118400,
    price: { input: 0.3, cachedInput: 0.03, output: 2.5 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'vertex',
    model: 'gemini-2.5-flash-lite',
    contextWindow: 1048576,
    maxOutputTokens: 65536,
    created: 1753142400,
    price: { input: 0.1, cachedInput: 0.01, output: 0.4 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'vertex',
    model: 'claude-sonnet-4-5@20250929',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1759104000,
    price: { input: 3.3, cachedInput: 0.33, cacheWrite: 4.125, output: 16.5 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'vertex',
    model: 'claude-haiku-4-5@20251001',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1760486400,
    price: { input: 1.1, cachedInput: 0.11, cacheWrite: 1.375, output: 5.5 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'vertex',
    model: 'claude-opus-4-5@20251101',
    contextWindow: 200000,
    maxOutputTokens: 64000,
    created: 1763942400,
    price: { input: 5.5, cachedInput: 0.55, cacheWrite: 6.875, output: 27.5 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },
  {
    provider: 'vertex',
    model: 'claude-opus-4-1@20250805',
    contextWindow: 200000,
    maxOutputTokens: 32000,
    created: 1754352000,
    price: { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
    priceDate: '2026-12-06',
    tokenizer: 'cl100k_base',
  },

  // Image models (kind: 'image', /v1/images/*): priced per image by quality and size; the GPT image
  // models also by tokens (text input, image input, image output), which is what their answers report
  // and what is billed then. Sources: https://openai.com/api/pricing (GPT image 1 and mini per image and per
  // token, via copies of the page), https://ai.google.dev/gemini-api/docs/pricing (Imagen, via copies).
  // DALL·E 2 and 3 are not listed: OpenAI's model pages say they were shut down and removed from the API
  // (https://developers.openai.com/api/docs/models/dall-e-3), and no page lists their prices any more; a
  // deployment still serving them (Azure) is priced under `models:` in the YAML.
  {
    provider: 'openai',
    model: 'gpt-image-1',
    contextWindow: 32000,
    created: 1745366400,
    price: GPT_IMAGE_1_PRICE,
    tokenizer: 'o200k_base',
    kind: 'image',
  },
  {
    // Tokens: $2 text in ($0.20 cached), $2.50 image in, $8 image out; or per image by quality and size.
    provider: 'openai',
    model: 'gpt-image-1-mini',
    contextWindow: 32000,
    created: 1759708800,
    price: {
      input: 2,
      cachedInput: 0.2,
      imageInput: 2.5,
      output: 8,
      perImage: {
        low: { '1024x1024': 0.005, '1024x1536': 0.006, '1536x1024': 0.006 },
        medium: { '1024x1024': 0.011, '1024x1536': 0.015, '1536x1024': 0.015 },
        high: { '1024x1024': 0.036, '1024x1536': 0.052, '1536x1024': 0.052 },
      },
    },
    priceSource: 'https://developers.openai.com/api/docs/models/gpt-image-1-mini',
    priceDate: '2026-12-07',
    tokenizer: 'o200k_base',
    kind: 'image',
  },
  {
    provider: 'azure',
    model: 'gpt-image-1',
    contextWindow: 32000,
    created: 1745366400,
    price: GPT_IMAGE_1_PRICE,
    tokenizer: 'o200k_base',
    kind: 'image',
  },
  {
    provider: 'google',
    model: 'imagen-4.0-generate-001',
    contextWindow: 480,
    created: 1755216000,
    price: { input: 0, output: 0, perImage: { standard: { '*': 0.04 } } },
    tokenizer: 'cl100k_base',
    kind: 'image',
  },
  {
    provider: 'google',
    model: 'imagen-4.0-fast-generate-001',
    contextWindow: 480,
    created: 1755216000,
    price: { input: 0, output: 0, perImage: { standard: { '*': 0.02 } } },
    tokenizer: 'cl100k_base',
    kind: 'image',
  },
  {
    provider: 'google',
    model: 'imagen-4.0-ultra-generate-001',
    contextWindow: 480,
    created: 1755216000,
    price: { input: 0, output: 0, perImage: { standard: { '*': 0.06 } } },
    tokenizer: 'cl100k_base',
    kind: 'image',
  },
  {
    // Gemini 2.5 Flash Image ("nano banana"), generateContent with image output, billed by its tokens:
    // $0.30 per million in (text and image), text out as 2.5 Flash ($2.50), image out $30 per million
    // (1290 tokens, $0.039, an image up to 1024x1024). The per-image price is what admission reserves and
    // what an answer without usage is billed. https://ai.google.dev/gemini-api/docs/pricing
    provider: 'google',
    model: 'gemini-2.5-flash-image',
    contextWindow: 32768,
    maxOutputTokens: 32768,
    created: 1759363200,
    price: { input: 0.3, output: 2.5, imageOutput: 30, perImage: { standard: { '*': 0.039 } } },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
    kind: 'image',
  },
  // Vertex AI's image models (Imagen's :predict, Gemini's generateContent, on Vertex's publisher paths) are not
  // built in: Vertex's price page could not be checked (third-party copies disagree on Ultra). Give them
  // `kind: image` and a price under `models:` in the YAML, or import a price file.

  // Embedding and rerank models (kind: 'embedding' | 'rerank'): priced by their input; the OpenAI
  // embedding models use cl100k_base. Rerank billed per search unit (Cohere: a query with up to 100
  // documents) carries `perThousandSearches`; the others are billed per token of query and documents.
  {
    provider: 'openai',
    model: 'text-embedding-3-small',
    contextWindow: 8191,
    created: 1705948997,
    price: { input: 0.02, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'openai',
    model: 'text-embedding-3-large',
    contextWindow: 8191,
    created: 1705948997,
    price: { input: 0.13, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'openai',
    model: 'text-embedding-ada-002',
    contextWindow: 8191,
    created: 1671217299,
    price: { input: 0.1, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'azure',
    model: 'text-embedding-3-small',
    contextWindow: 8191,
    created: 1705948997,
    price: { input: 0.02, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'azure',
    model: 'text-embedding-3-large',
    contextWindow: 8191,
    created: 1705948997,
    price: { input: 0.13, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'mistral',
    model: 'mistral-embed',
    contextWindow: 8192,
    created: 1702339200,
    price: { input: 0.1, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'google',
    model: 'gemini-embedding-001',
    contextWindow: 2048,
    created: 1752537600,
    price: { input: 0.15, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'cohere',
    model: 'embed-v4.0',
    contextWindow: 128000,
    created: 1744675200,
    price: { input: 0.12, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'cohere',
    model: 'embed-english-v3.0',
    contextWindow: 512,
    created: 1699401600,
    price: { input: 0.1, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'cohere',
    model: 'embed-multilingual-v3.0',
    contextWindow: 512,
    created: 1699401600,
    price: { input: 0.1, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'cohere',
    model: 'rerank-v3.5',
    contextWindow: 4096,
    created: 1733097600,
    price: { input: 0, output: 0, perThousandSearches: 2 },
    tokenizer: 'cl100k_base',
    kind: 'rerank',
  },
  {
    provider: 'cohere',
    model: 'rerank-english-v3.0',
    contextWindow: 4096,
    created: 1712188800,
    price: { input: 0, output: 0, perThousandSearches: 2 },
    tokenizer: 'cl100k_base',
    kind: 'rerank',
  },
  {
    provider: 'cohere',
    model: 'rerank-multilingual-v3.0',
    contextWindow: 4096,
    created: 1712188800,
    price: { input: 0, output: 0, perThousandSearches: 2 },
    tokenizer: 'cl100k_base',
    kind: 'rerank',
  },
  // Voyage AI (https://docs.voyageai.com/docs/pricing).
  {
    provider: 'voyage',
    model: 'voyage-3.5',
    contextWindow: 32000,
    created: 1747267200,
    price: { input: 0.06, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'voyage',
    model: 'voyage-3.5-lite',
    contextWindow: 32000,
    created: 1747267200,
    price: { input: 0.02, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'voyage',
    model: 'voyage-3-large',
    contextWindow: 32000,
    created: 1736294400,
    price: { input: 0.18, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'voyage',
    model: 'voyage-code-3',
    contextWindow: 32000,
    created: 1733184000,
    price: { input: 0.18, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'embedding',
  },
  {
    provider: 'voyage',
    model: 'rerank-2.5',
    contextWindow: 32000,
    created: 1754956800,
    price: { input: 0.05, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'rerank',
  },
  {
    provider: 'voyage',
    model: 'rerank-2.5-lite',
    contextWindow: 32000,
    created: 1754956800,
    price: { input: 0.02, output: 0 },
    tokenizer: 'cl100k_base',
    kind: 'rerank',
  },
  // Jina AI's models are not built in: Jina sells prepaid token packs (https://jina.ai/pricing) and its pages
  // do not state a price per token. Give them `kind` and a price under `models:`, or import a price file.
  // Audio models (kind: 'speech' | 'transcription'). Speech: tts-1 and tts-1-hd per character of input
  // (`perMillionCharacters`); gpt-4o-mini-tts per token: text in (`input`), audio out (`audioOutput`).
  // Transcription: whisper per minute of audio (`perMinute`); gpt-4o(-mini)-transcribe per token: audio in
  // (`audioInput`), text in (the prompt, `input`) and text out (`output`). Groq: per hour on its speech-to-text
  // page (https://console.groq.com/docs/speech-text), listed here per minute. Deepgram's Nova models have no
  // built-in price: no page of Deepgram's could be checked.
  {
    provider: 'openai',
    model: 'tts-1',
    contextWindow: 4096,
    created: 1699046400,
    price: { input: 0, output: 0, perMillionCharacters: 15 },
    priceDate: '2026-12-07',
    tokenizer: 'o200k_base',
    kind: 'speech',
  },
  {
    provider: 'openai',
    model: 'tts-1-hd',
    contextWindow: 4096,
    created: 1699046400,
    price: { input: 0, output: 0, perMillionCharacters: 30 },
    priceSource: 'https://developers.openai.com/api/docs/models/tts-1-hd',
    priceDate: '2026-12-07',
    tokenizer: 'o200k_base',
    kind: 'speech',
  },
  {
    provider: 'openai',
    model: 'gpt-4o-mini-tts',
    contextWindow: 2000,
    created: 1742428800,
    price: { input: 0.6, output: 0, audioOutput: 12 },
    priceDate: '2026-12-07',
    tokenizer: 'o200k_base',
    kind: 'speech',
  },
  {
    provider: 'openai',
    model: 'whisper-1',
    contextWindow: 0,
    created: 1677532384,
    price: { input: 0, output: 0, perMinute: 0.006 },
    priceDate: '2026-12-07',
    tokenizer: 'o200k_base',
    kind: 'transcription',
  },
  {
    provider: 'openai',
    model: 'gpt-4o-transcribe',
    contextWindow: 16000,
    created: 1742428800,
    // Audio (and text) in $2.50, text out $10 per million tokens, as the model's page lists them.
    price: { input: 2.5, output: 10, audioInput: 2.5 },
    priceSource: 'https://developers.openai.com/api/docs/models/gpt-4o-transcribe',
    priceDate: '2026-12-07',
    tokenizer: 'o200k_base',
    kind: 'transcription',
  },
  {
    provider: 'openai',
    model: 'gpt-4o-mini-transcribe',
    contextWindow: 16000,
    created: 1742428800,
    // Audio (and text) in $1.25, text out $5 per million tokens, as the model's page lists them.
    price: { input: 1.25, output: 5, audioInput: 1.25 },
    priceSource: 'https://developers.openai.com/api/docs/models/compare?model=gpt-4o-mini-transcribe',
    priceDate: '2026-12-07',
    tokenizer: 'o200k_base',
    kind: 'transcription',
  },
  {
    provider: 'groq',
    model: 'whisper-large-v3',
    contextWindow: 0,
    created: 1699046400,
    // $0.111 per hour.
    price: { input: 0, output: 0, perMinute: 0.00185 },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
    kind: 'transcription',
  },
  {
    provider: 'groq',
    model: 'whisper-large-v3-turbo',
    contextWindow: 0,
    created: 1728000000,
    // $0.04 per hour.
    price: { input: 0, output: 0, perMinute: 0.04 / 60 },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
    kind: 'transcription',
  },
  // ElevenLabs: per character of text; Multilingual v2/v3 $0.10 and Flash/Turbo $0.05 per 1,000 characters
  // (https://elevenlabs.io/pricing/api, read from a copy of it dated June 2026).
  {
    provider: 'elevenlabs',
    model: 'eleven_multilingual_v2',
    contextWindow: 10000,
    created: 1692144000,
    price: { input: 0, output: 0, perMillionCharacters: 100 },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
    kind: 'speech',
  },
  {
    provider: 'elevenlabs',
    model: 'eleven_v3',
    contextWindow: 3000,
    created: 1749081600,
    price: { input: 0, output: 0, perMillionCharacters: 100 },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
    kind: 'speech',
  },
  {
    provider: 'elevenlabs',
    model: 'eleven_flash_v2_5',
    contextWindow: 40000,
    created: 1721001600,
    price: { input: 0, output: 0, perMillionCharacters: 50 },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
    kind: 'speech',
  },
  {
    provider: 'elevenlabs',
    model: 'eleven_turbo_v2_5',
    contextWindow: 40000,
    created: 1721001600,
    price: { input: 0, output: 0, perMillionCharacters: 50 },
    priceDate: '2026-12-07',
    tokenizer: 'cl100k_base',
    kind: 'speech',
  },
] as const satisfies readonly CatalogEntryData[];
