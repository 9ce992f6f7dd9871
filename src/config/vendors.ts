// The OpenAI-compatible vendors, as data. Each differs from OpenAI only in small ways; those differences
// are described here and applied by one piece of code (openai-provider.ts), never special-cased elsewhere.

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
  },
  mistral: {
    keyEnv: 'MISTRAL_API_KEY',
    baseUrlEnv: 'MISTRAL_BASE_URL',
    defaultBaseUrl: 'https://api.mistral.ai/v1',
    // Mistral rejects unknown fields (HTTP 422) and calls the seed `random_seed`.
    quirks: {
      rename: { seed: 'random_seed' },
      drop: ['logit_bias', 'logprobs', 'top_logprobs', 'user', 'store', 'metadata', 'service_tier'],
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
} as const satisfies Record<string, VendorSpec>;

export type VendorId = keyof typeof OPENAI_COMPATIBLE_VENDORS;
