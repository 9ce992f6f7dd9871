// What each OpenAI-compatible vendor does differently from OpenAI, as its own API reference says (the
// same references are named beside each vendor in src/config/vendors.ts). The fake upstream
// (startFakeOpenAI's `vendor` option) acts it out; test/contract/vendors.test.ts runs the gateway's vendor
// table against it, so a vendor entry that sends what its vendor refuses fails there.
import type { VendorBehaviour } from './openai.js';

export interface VendorCase {
  /** The provider id (`src/config/vendors.ts`). */
  id: string;
  /** A model, as the client names it: one of its catalog's unless `listed` is false. */
  model: string;
  /**
   * False for vendors with no built-in models: local servers (any model, free) and vendors without a
   * per-token list price (served unpriced).
   */
  listed?: boolean;
  /** Environment enabling the vendor against a fake at `url`. */
  env(url: string): Record<string, string>;
  behaviour: VendorBehaviour;
}

const keyed = (key: string, baseUrl: string) => (url: string) => ({ [key]: 'upstream-key', [baseUrl]: url });
const local = (baseUrl: string) => (url: string) => ({ [baseUrl]: url });

export const VENDOR_CASES: VendorCase[] = [
  {
    id: 'perplexity',
    model: 'perplexity/sonar',
    env: keyed('PERPLEXITY_API_KEY', 'PERPLEXITY_BASE_URL'),
    behaviour: {
      rejects: ['logit_bias', 'logprobs', 'seed', 'tools', 'tool_choice'],
      singleChoice: true,
      rejectsStreamOptions: true,
      streamUsage: 'every-chunk',
    },
  },
  {
    id: 'cerebras',
    model: 'cerebras/gpt-oss-120b',
    env: keyed('CEREBRAS_API_KEY', 'CEREBRAS_BASE_URL'),
    behaviour: {
      rejects: ['frequency_penalty', 'presence_penalty', 'logit_bias', 'parallel_tool_calls', 'service_tier'],
      singleChoice: true,
    },
  },
  {
    id: 'sambanova',
    model: 'sambanova/Meta-Llama-3.3-70B-Instruct',
    env: keyed('SAMBANOVA_API_KEY', 'SAMBANOVA_BASE_URL'),
    behaviour: { rejects: ['logit_bias', 'logprobs'], singleChoice: true },
  },
  {
    id: 'deepinfra',
    model: 'deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo',
    env: keyed('DEEPINFRA_TOKEN', 'DEEPINFRA_BASE_URL'),
    behaviour: { rejects: ['logit_bias'], errors: 'detail' },
  },
  {
    id: 'nebius',
    model: 'nebius/meta-llama/Llama-3.3-70B-Instruct',
    env: keyed('NEBIUS_API_KEY', 'NEBIUS_BASE_URL'),
    behaviour: { rejects: ['service_tier'] },
  },
  {
    id: 'hyperbolic',
    model: 'hyperbolic/meta-llama/Llama-3.3-70B-Instruct',
    env: keyed('HYPERBOLIC_API_KEY', 'HYPERBOLIC_BASE_URL'),
    behaviour: { rejects: ['logit_bias'], singleChoice: true },
  },
  {
    id: 'novita',
    model: 'novita/meta-llama/llama-3.3-70b-instruct',
    listed: false,
    env: keyed('NOVITA_API_KEY', 'NOVITA_BASE_URL'),
    behaviour: { rejects: ['service_tier'] },
  },
  {
    id: 'moonshot',
    model: 'moonshot/kimi-k2-0905-preview',
    env: keyed('MOONSHOT_API_KEY', 'MOONSHOT_BASE_URL'),
    behaviour: { rejects: ['logit_bias', 'logprobs'], rejectsStreamOptions: true, streamUsage: 'in-choice' },
  },
  {
    id: 'zhipu',
    model: 'zhipu/glm-5.2',
    env: keyed('ZAI_API_KEY', 'ZHIPU_BASE_URL'),
    behaviour: {
      rejects: ['frequency_penalty', 'presence_penalty', 'logit_bias', 'seed', 'user'],
      singleChoice: true,
      maxStops: 1,
      rejectsStreamOptions: true,
      streamUsage: 'finish-chunk',
    },
  },
  {
    id: 'dashscope',
    model: 'dashscope/qwen-plus',
    env: keyed('DASHSCOPE_API_KEY', 'DASHSCOPE_BASE_URL'),
    behaviour: { rejects: ['logit_bias'], singleChoice: true },
  },
  {
    id: 'minimax',
    model: 'minimax/MiniMax-M2',
    env: keyed('MINIMAX_API_KEY', 'MINIMAX_BASE_URL'),
    behaviour: {
      rejects: ['presence_penalty', 'frequency_penalty', 'logit_bias', 'seed'],
      singleChoice: true,
    },
  },
  {
    id: 'nvidia',
    model: 'nvidia/meta/llama-3.3-70b-instruct',
    listed: false,
    env: keyed('NVIDIA_API_KEY', 'NVIDIA_BASE_URL'),
    behaviour: { rejects: ['logit_bias'], singleChoice: true },
  },
  {
    id: 'cloudflare',
    model: 'cloudflare/@cf/meta/llama-3.3-70b-instruct-fp8-fast',
    env: keyed('CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_BASE_URL'),
    behaviour: {
      rejects: ['logit_bias', 'logprobs', 'user', 'parallel_tool_calls'],
      singleChoice: true,
      rejectsStreamOptions: true,
      errors: 'cloudflare',
    },
  },
  {
    id: 'huggingface',
    model: 'huggingface/meta-llama/Llama-3.3-70B-Instruct',
    listed: false,
    env: keyed('HF_TOKEN', 'HF_BASE_URL'),
    behaviour: { singleChoice: true, errors: 'string' },
  },
  {
    id: 'github',
    model: 'github/openai/gpt-4.1-mini',
    listed: false,
    env: keyed('GITHUB_TOKEN', 'GITHUB_MODELS_BASE_URL'),
    behaviour: { singleChoice: true },
  },
  {
    id: 'lmstudio',
    model: 'lmstudio/qwen2.5-7b-instruct',
    listed: false,
    env: local('LMSTUDIO_BASE_URL'),
    behaviour: { singleChoice: true, keyless: true },
  },
  {
    id: 'vllm',
    model: 'vllm/meta-llama/Llama-3.1-8B-Instruct',
    listed: false,
    env: local('VLLM_BASE_URL'),
    behaviour: { keyless: true },
  },
  {
    id: 'llamacpp',
    model: 'llamacpp/default',
    listed: false,
    env: local('LLAMACPP_BASE_URL'),
    behaviour: { singleChoice: true, keyless: true },
  },
  {
    id: 'ai21',
    model: 'ai21/jamba-large',
    env: keyed('AI21_API_KEY', 'AI21_BASE_URL'),
    behaviour: {
      rejects: ['frequency_penalty', 'presence_penalty', 'logit_bias', 'seed', 'user'],
      rejectsStreamOptions: true,
      streamUsage: 'finish-chunk',
    },
  },
];
