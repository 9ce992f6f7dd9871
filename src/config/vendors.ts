// The OpenAI-compatible vendors, as data. Each differs from OpenAI only in small ways; those differences
// are described here and applied by one piece of code (openai-provider.ts), never special-cased elsewhere.
import type { ImageOperation } from '../core/images.js';

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

/** What a vendor serves of OpenAI's Images API, and how it differs. */
export interface ImageQuirks {
  /** Which of `/images/generations|edits|variations` it serves. */
  readonly operations: readonly ImageOperation[];
  /** Request fields it rejects: dropped with a warning. */
  readonly drop?: readonly string[];
}

export interface VendorQuirks {
  /** Parameters the vendor rejects; dropped with a warning. */
  readonly drop?: readonly string[];
  /** Parameters the vendor names differently: OpenAI name → vendor name. */
  readonly rename?: Readonly<Record<string, string>>;
  /** Whether the vendor honours `stream_options.include_usage` (else usage is counted by the gateway). */
  readonly streamUsage?: boolean;
  /** The vendor reports a stream's usage inside its last choice (`choices[0].usage`, Moonshot): read there. */
  readonly usageInChoice?: boolean;
  /** False when the vendor only produces one choice per call: the router fans `n` out. */
  readonly n?: boolean;
  /** False when the vendor ignores or rejects `stop`: the router enforces it. */
  readonly stop?: boolean;
  readonly retrieval?: RetrievalQuirks;
  /** The vendor has OpenAI's Responses API at `{base}/responses`: `/v1/responses` requests pass through. */
  readonly responses?: boolean;
  readonly images?: ImageQuirks;
}

export interface VendorSpec {
  /**
   * Environment variable holding the API key (the first set one, when the vendor's docs use several names);
   * absent for vendors that need none (ollama).
   */
  readonly keyEnv?: string | readonly string[];
  /** Environment variable overriding the base URL (which includes the version path, like `/v1`). */
  readonly baseUrlEnv?: string;
  /** `{NAME}` in it is replaced by the environment variable NAME, which must then be set (Cloudflare's account). */
  readonly defaultBaseUrl: string;
  /** Enabled only when the base URL variable is set (local servers with no key). */
  readonly enabledByBaseUrl?: boolean;
  /** A local server: nothing is billed, so every model of it is priced at zero. */
  readonly free?: boolean;
  readonly quirks?: VendorQuirks;
}

export const OPENAI_COMPATIBLE_VENDORS = {
  openai: {
    keyEnv: 'OPENAI_API_KEY',
    baseUrlEnv: 'OPENAI_BASE_URL',
    defaultBaseUrl: 'https://api.openai.com/v1',
    quirks: {
      retrieval: { base64: true, tokenInput: true },
      images: { operations: ['generations', 'edits', 'variations'] },
      responses: true,
    },
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
    // grok-2-image: OpenAI's generations (no size, quality or style), answered as url or b64_json.
    quirks: { images: { operations: ['generations'], drop: ['size', 'quality', 'style'] } },
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
    free: true,
  },
  // Each entry below names the vendor's own API reference it was read from. `n: false` where the reference
  // does not document `n` (or caps it at 1): the router fans out, which is correct everywhere. `streamUsage:
  // false` where the vendor does not document `stream_options` (usage is then taken from whatever chunk
  // carries it, or counted by the gateway).

  // https://docs.perplexity.ai/api-reference/chat-completions-post: no n, seed, logit_bias, logprobs or
  // tools; usage rides on every stream chunk unasked.
  perplexity: {
    keyEnv: 'PERPLEXITY_API_KEY',
    baseUrlEnv: 'PERPLEXITY_BASE_URL',
    defaultBaseUrl: 'https://api.perplexity.ai',
    quirks: {
      drop: [
        'logit_bias',
        'logprobs',
        'top_logprobs',
        'seed',
        'tools',
        'tool_choice',
        'parallel_tool_calls',
        'user',
        'store',
        'metadata',
        'service_tier',
      ],
      n: false,
      streamUsage: false,
    },
  },
  // https://inference-docs.cerebras.ai/resources/openai: these answer 400.
  cerebras: {
    keyEnv: 'CEREBRAS_API_KEY',
    baseUrlEnv: 'CEREBRAS_BASE_URL',
    defaultBaseUrl: 'https://api.cerebras.ai/v1',
    quirks: {
      drop: [
        'frequency_penalty',
        'presence_penalty',
        'logit_bias',
        'parallel_tool_calls',
        'service_tier',
        'store',
      ],
      n: false,
    },
  },
  // https://docs.sambanova.ai/docs/api-reference/chat/create-chat-based-completion: stream_options
  // documented; no n, logit_bias or logprobs.
  sambanova: {
    keyEnv: 'SAMBANOVA_API_KEY',
    baseUrlEnv: 'SAMBANOVA_BASE_URL',
    defaultBaseUrl: 'https://api.sambanova.ai/v1',
    quirks: {
      drop: ['logit_bias', 'logprobs', 'top_logprobs', 'store', 'metadata', 'service_tier'],
      n: false,
    },
  },
  // https://deepinfra.com/docs/openai_api (its examples call the key DEEPINFRA_TOKEN). `n` may come back
  // with fewer choices than asked (duplicates are dropped), so the router fans it out.
  deepinfra: {
    keyEnv: ['DEEPINFRA_API_KEY', 'DEEPINFRA_TOKEN'],
    baseUrlEnv: 'DEEPINFRA_BASE_URL',
    defaultBaseUrl: 'https://api.deepinfra.com/v1/openai',
    quirks: { drop: ['logit_bias', 'store', 'metadata', 'service_tier'], n: false },
  },
  // https://docs.nebius.com/studio/inference/api (AI Studio, now Token Factory; the studio host still
  // serves). `n` is not documented.
  nebius: {
    keyEnv: 'NEBIUS_API_KEY',
    baseUrlEnv: 'NEBIUS_BASE_URL',
    defaultBaseUrl: 'https://api.studio.nebius.com/v1',
    quirks: { drop: ['store', 'metadata', 'service_tier'], n: false },
  },
  // https://docs.hyperbolic.xyz/docs/rest-api: OpenAI's chat shape, no n or logit_bias.
  hyperbolic: {
    keyEnv: 'HYPERBOLIC_API_KEY',
    baseUrlEnv: 'HYPERBOLIC_BASE_URL',
    defaultBaseUrl: 'https://api.hyperbolic.xyz/v1',
    quirks: { drop: ['logit_bias', 'store', 'metadata', 'service_tier'], n: false },
  },
  // https://novita.ai/docs/api-reference/model-apis-llm-create-chat-completion; `n` not relied on.
  novita: {
    keyEnv: 'NOVITA_API_KEY',
    baseUrlEnv: 'NOVITA_BASE_URL',
    defaultBaseUrl: 'https://api.novita.ai/openai',
    quirks: { drop: ['store', 'metadata', 'service_tier'], n: false },
  },
  // https://platform.moonshot.ai/docs/api/chat: n up to 5; no logit_bias or logprobs (`max_tokens` is
  // deprecated there for `max_completion_tokens`, but still taken); a stream's usage comes inside its last
  // choice, not as a usage chunk, unasked.
  moonshot: {
    keyEnv: 'MOONSHOT_API_KEY',
    baseUrlEnv: 'MOONSHOT_BASE_URL',
    defaultBaseUrl: 'https://api.moonshot.ai/v1',
    quirks: {
      drop: ['logit_bias', 'logprobs', 'top_logprobs', 'store', 'metadata', 'service_tier'],
      streamUsage: false,
      usageInChoice: true,
    },
  },
  // https://docs.z.ai/api-reference/llm/chat-completion (international; China: open.bigmodel.cn/api/paas/v4):
  // its parameters are model, messages, max_tokens, temperature, top_p, do_sample, stop, stream, tools,
  // tool_choice, response_format, thinking, user_id, request_id: no n, penalties, seed, logprobs or
  // stream_options; `user_id` for the end user; "only one stop word is supported" (the router matches stop
  // instead).
  zhipu: {
    keyEnv: ['ZAI_API_KEY', 'ZHIPUAI_API_KEY'],
    baseUrlEnv: 'ZHIPU_BASE_URL',
    defaultBaseUrl: 'https://api.z.ai/api/paas/v4',
    quirks: {
      drop: [
        'frequency_penalty',
        'presence_penalty',
        'logit_bias',
        'logprobs',
        'top_logprobs',
        'seed',
        'parallel_tool_calls',
        'store',
        'metadata',
        'service_tier',
      ],
      rename: { user: 'user_id' },
      n: false,
      stop: false,
      streamUsage: false,
    },
  },
  // https://www.alibabacloud.com/help/en/model-studio/compatibility-of-openai-with-dashscope (Singapore,
  // the international endpoint; Virginia: dashscope-us, Beijing: dashscope): stream_options documented; n
  // only on some models; no logit_bias.
  dashscope: {
    keyEnv: 'DASHSCOPE_API_KEY',
    baseUrlEnv: 'DASHSCOPE_BASE_URL',
    defaultBaseUrl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
    quirks: { drop: ['logit_bias', 'store', 'metadata', 'service_tier'], n: false },
  },
  // https://platform.minimax.io/docs/api-reference/text-openai-api: n is 1 only; penalties, logit_bias and
  // logprobs are not part of its schema.
  minimax: {
    keyEnv: 'MINIMAX_API_KEY',
    baseUrlEnv: 'MINIMAX_BASE_URL',
    defaultBaseUrl: 'https://api.minimax.io/v1',
    quirks: {
      drop: [
        'frequency_penalty',
        'presence_penalty',
        'logit_bias',
        'logprobs',
        'top_logprobs',
        'seed',
        'store',
        'metadata',
        'service_tier',
      ],
      n: false,
    },
  },
  // https://docs.api.nvidia.com/nim/reference/llm-apis: OpenAI's schema; n is 1 on the hosted endpoints.
  nvidia: {
    keyEnv: 'NVIDIA_API_KEY',
    baseUrlEnv: 'NVIDIA_BASE_URL',
    defaultBaseUrl: 'https://integrate.api.nvidia.com/v1',
    quirks: { drop: ['logit_bias', 'store', 'metadata', 'service_tier'], n: false },
  },
  // https://developers.cloudflare.com/workers-ai/configuration/open-ai-compatibility: the account id is in
  // the path (its example names the key CLOUDFLARE_API_KEY; wrangler's is CLOUDFLARE_API_TOKEN); errors
  // come as `{"errors":[{"message"}],"success":false}`.
  cloudflare: {
    keyEnv: ['CLOUDFLARE_API_KEY', 'CLOUDFLARE_API_TOKEN'],
    baseUrlEnv: 'CLOUDFLARE_BASE_URL',
    defaultBaseUrl: 'https://api.cloudflare.com/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1',
    quirks: {
      drop: [
        'logit_bias',
        'logprobs',
        'top_logprobs',
        'parallel_tool_calls',
        'user',
        'store',
        'metadata',
        'service_tier',
      ],
      n: false,
      streamUsage: false,
    },
  },
  // https://huggingface.co/docs/inference-providers/tasks/chat-completion: one router in front of many
  // providers, so only what all of them take: no n.
  huggingface: {
    keyEnv: ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'],
    baseUrlEnv: 'HF_BASE_URL',
    defaultBaseUrl: 'https://router.huggingface.co/v1',
    quirks: { drop: ['store', 'metadata', 'service_tier'], n: false },
  },
  // https://docs.github.com/en/rest/models/inference: model ids are `publisher/model`
  // (github/openai/gpt-4.1); no n.
  github: {
    keyEnv: 'GITHUB_TOKEN',
    baseUrlEnv: 'GITHUB_MODELS_BASE_URL',
    defaultBaseUrl: 'https://models.github.ai/inference',
    quirks: { drop: ['store', 'metadata', 'service_tier'], n: false },
  },
  // https://lmstudio.ai/docs/app/api/endpoints/openai: local, no key; one choice per call.
  lmstudio: {
    baseUrlEnv: 'LMSTUDIO_BASE_URL',
    defaultBaseUrl: 'http://127.0.0.1:1234/v1',
    enabledByBaseUrl: true,
    free: true,
    quirks: { n: false },
  },
  // https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html: the whole chat API; the key is
  // the server's --api-key (VLLM_API_KEY).
  vllm: {
    keyEnv: 'VLLM_API_KEY',
    baseUrlEnv: 'VLLM_BASE_URL',
    defaultBaseUrl: 'http://127.0.0.1:8000/v1',
    enabledByBaseUrl: true,
    free: true,
  },
  // https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md: "Only one completion choice
  // is allowed"; the key is the server's --api-key (LLAMA_API_KEY).
  llamacpp: {
    keyEnv: 'LLAMA_API_KEY',
    baseUrlEnv: 'LLAMACPP_BASE_URL',
    defaultBaseUrl: 'http://127.0.0.1:8080/v1',
    enabledByBaseUrl: true,
    free: true,
    quirks: { n: false },
  },
  // https://docs.ai21.com/reference/jamba-1-6-api-ref: n up to 16; no penalties, seed, logit_bias or
  // logprobs; usage arrives on the last chunk unasked.
  ai21: {
    keyEnv: 'AI21_API_KEY',
    baseUrlEnv: 'AI21_BASE_URL',
    defaultBaseUrl: 'https://api.ai21.com/studio/v1',
    quirks: {
      drop: [
        'frequency_penalty',
        'presence_penalty',
        'logit_bias',
        'logprobs',
        'top_logprobs',
        'seed',
        'parallel_tool_calls',
        'user',
        'store',
        'metadata',
        'service_tier',
      ],
      streamUsage: false,
    },
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
