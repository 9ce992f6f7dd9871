// The OpenAI-compatible vendors, as data. Each differs from OpenAI only in small ways; those differences
// are described here and applied by one piece of code (openai-provider.ts), never special-cased elsewhere.

/** How a vendor's `/embeddings` and `/rerank` differ from OpenAI's (embeddings) and Jina's (rerank). */
export interface RetrievalQuirks {
  /** Inputs one embeddings call may carry; the gateway splits larger requests (default 2048, OpenAI's). */
  readonly maxInputs?: number;
  /** Answers `encoding_format: "base64"` itself; otherwise the gateway asks for floats and encodes them. */
  readonly base64?: boolean;
  /** Takes token arrays as `input` (OpenAI's own token ids). */
  readonly tokenInput?: boolean;
  /** Request fields the vendor names differently: the gateway's name → the vendor's. */
  readonly rename?: Readonly<Record<string, string>>;
  /** Serves `POST {base}/rerank` in Jina's shape (Cohere-like; Voyage's differs only by names). */
  readonly rerank?: boolean;
}

export interface VendorQuirks {
  /** Parameters the vendor rejects; dropped with a warning. */
  readonly drop?: readonly string[];
  /** Parameters the vendor names differently: OpenAI name → vendor name. */
  readonly rename?: Readonly<Record<string, string>>;
  /** Whether the vendor honours `stream_options.include_usage` (else usage is counted by the gateway). */
  readonly streamUsage?: boolean;
  /** False when the vendor only produces one choice per call: the router fans `n` out. */
  readonly n?: boolean;
  /** False when the vendor ignores or rejects `stop`: the router enforces it. */
  readonly stop?: boolean;
  readonly retrieval?: RetrievalQuirks;
}

export interface VendorSpec {
  /** Environment variable holding the API key; absent for vendors that need none (ollama). */
  readonly keyEnv?: string;
  /** Environment variable overriding the base URL (which includes the version path, like `/v1`). */
  readonly baseUrlEnv?: string;
  readonly defaultBaseUrl: string;
  /** Enabled only when the base URL variable is set (local servers with no key). */
  readonly enabledByBaseUrl?: boolean;
  readonly quirks?: VendorQuirks;
}

export const OPENAI_COMPATIBLE_VENDORS = {
  openai: {
    keyEnv: 'OPENAI_API_KEY',
    baseUrlEnv: 'OPENAI_BASE_URL',
    defaultBaseUrl: 'https://api.openai.com/v1',
    quirks: { retrieval: { base64: true, tokenInput: true } },
  },
  mistral: {
    keyEnv: 'MISTRAL_API_KEY',
    baseUrlEnv: 'MISTRAL_BASE_URL',
    defaultBaseUrl: 'https://api.mistral.ai/v1',
    // Mistral rejects unknown fields (HTTP 422) and calls the seed `random_seed`.
    quirks: {
      rename: { seed: 'random_seed' },
      drop: ['logit_bias', 'logprobs', 'top_logprobs', 'user', 'store', 'metadata', 'service_tier'],
      // codestral-embed's reduced dimensions are `output_dimension`.
      retrieval: { rename: { dimensions: 'output_dimension' } },
    },
  },
  groq: {
    keyEnv: 'GROQ_API_KEY',
    baseUrlEnv: 'GROQ_BASE_URL',
    defaultBaseUrl: 'https://api.groq.com/openai/v1',
    // Groq documents these as unsupported and answers 400 when they are set, and `n` must be 1.
    quirks: { drop: ['logit_bias', 'logprobs', 'top_logprobs', 'store', 'metadata'], n: false },
  },
  deepseek: {
    keyEnv: 'DEEPSEEK_API_KEY',
    baseUrlEnv: 'DEEPSEEK_BASE_URL',
    defaultBaseUrl: 'https://api.deepseek.com/v1',
  },
  together: {
    keyEnv: 'TOGETHER_API_KEY',
    baseUrlEnv: 'TOGETHER_BASE_URL',
    defaultBaseUrl: 'https://api.together.xyz/v1',
    quirks: { retrieval: { rerank: true } },
  },
  fireworks: {
    keyEnv: 'FIREWORKS_API_KEY',
    baseUrlEnv: 'FIREWORKS_BASE_URL',
    defaultBaseUrl: 'https://api.fireworks.ai/inference/v1',
  },
  xai: {
    keyEnv: 'XAI_API_KEY',
    baseUrlEnv: 'XAI_BASE_URL',
    defaultBaseUrl: 'https://api.x.ai/v1',
  },
  openrouter: {
    keyEnv: 'OPENROUTER_API_KEY',
    baseUrlEnv: 'OPENROUTER_BASE_URL',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
  },
  ollama: {
    baseUrlEnv: 'OLLAMA_BASE_URL',
    defaultBaseUrl: 'http://127.0.0.1:11434/v1',
    enabledByBaseUrl: true,
  },
  // The embedding specialists: OpenAI's `/embeddings` and a `/rerank`, no chat.
  voyage: {
    keyEnv: 'VOYAGE_API_KEY',
    baseUrlEnv: 'VOYAGE_BASE_URL',
    defaultBaseUrl: 'https://api.voyageai.com/v1',
    // docs.voyageai.com/reference: 1,000 texts a call; `output_dimension`, and rerank's `top_k`.
    quirks: {
      retrieval: {
        maxInputs: 1000,
        rename: { dimensions: 'output_dimension', top_n: 'top_k' },
        rerank: true,
      },
    },
  },
  jina: {
    keyEnv: 'JINA_API_KEY',
    baseUrlEnv: 'JINA_BASE_URL',
    defaultBaseUrl: 'https://api.jina.ai/v1',
    // api.jina.ai: 2,048 texts a call.
    quirks: { retrieval: { maxInputs: 2048, rerank: true } },
  },
} as const satisfies Record<string, VendorSpec>;

export type VendorId = keyof typeof OPENAI_COMPATIBLE_VENDORS;
