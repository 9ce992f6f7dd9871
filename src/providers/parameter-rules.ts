// What a provider does with each OpenAI Chat Completions parameter, as data. Each provider
// folder has a `parameters.ts` table checked against this type, so a parameter OpenAI adds shows up as a
// type error in every table until someone decides its rule. Shared by every provider folder that translates parameters.
import type { ChatRequest } from '../core/types.js';

/** Every request parameter of OpenAI's `POST /v1/chat/completions`. */
export const OPENAI_CHAT_PARAMETERS = [
  'model',
  'messages',
  'audio',
  'frequency_penalty',
  'function_call',
  'functions',
  'logit_bias',
  'logprobs',
  'max_completion_tokens',
  'max_tokens',
  'metadata',
  'modalities',
  'n',
  'parallel_tool_calls',
  'prediction',
  'presence_penalty',
  'prompt_cache_key',
  'prompt_cache_options',
  'prompt_cache_retention',
  'moderation',
  'reasoning_effort',
  'response_format',
  'safety_identifier',
  'seed',
  'service_tier',
  'stop',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'user',
  'verbosity',
  'web_search_options',
] as const;

export type OpenAIChatParameter = (typeof OPENAI_CHAT_PARAMETERS)[number];

export type ParameterRule =
  /** Sent to the provider under its own name (`to` says where). */
  | { readonly rule: 'translated'; readonly to: string }
  /** The router does it for providers that cannot (`supports.n/stop: false`); never faked here. */
  | { readonly rule: 'emulated-by-router'; readonly how: string }
  /** Not sent; a warning says so. Values equal to `neutral` (OpenAI's default) are dropped silently. */
  | { readonly rule: 'dropped'; readonly why: string; readonly neutral?: string | number | boolean };

export type ParameterTable = Readonly<Record<OpenAIChatParameter, ParameterRule>>;

const KNOWN = new Set<string>(OPENAI_CHAT_PARAMETERS);

export const droppedWarning = (param: string, provider: string) =>
  `'${param}' is not supported by provider '${provider}' and was dropped`;

/**
 * Warns about every set parameter the table drops, and returns the parameters OpenAI does not define (the
 * provider decides what to do with those: pass them on, or drop them with a warning).
 */
export function applyParameterTable(
  provider: string,
  request: ChatRequest,
  table: ParameterTable,
  warnings: string[],
): Record<string, unknown> {
  const extras: Record<string, unknown> = {};
  for (const [param, value] of Object.entries(request)) {
    if (value === undefined || value === null) continue;
    if (!KNOWN.has(param)) {
      extras[param] = value;
      continue;
    }
    const rule = table[param as OpenAIChatParameter];
    if (rule.rule === 'dropped' && value !== rule.neutral) warnings.push(droppedWarning(param, provider));
    if (rule.rule === 'emulated-by-router' && param === 'n' && value !== 1) {
      // The router fans `n` out before calling; reaching here means a single answer is all we can give.
      warnings.push(`'n' is not supported by provider '${provider}'; one choice was generated`);
    }
  }
  return extras;
}
