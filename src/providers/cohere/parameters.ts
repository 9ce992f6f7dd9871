// What Cohere v2 chat does with each OpenAI parameter. Parameters OpenAI does not define pass through only
// when they are Cohere's own (COHERE_NATIVE_EXTRAS: `k`, `documents`, `safety_mode`, ...): Cohere answers
// 400 to a field it does not know, so anything else is dropped with a warning.
import type { ParameterTable } from '../parameter-rules.js';

export const COHERE_PARAMETERS = {
  model: { rule: 'translated', to: 'model' },
  messages: { rule: 'translated', to: 'messages (developer → system)' },
  stream: { rule: 'translated', to: 'stream' },
  stream_options: { rule: 'translated', to: 'usage always read from message-end' },
  max_tokens: { rule: 'translated', to: 'max_tokens' },
  max_completion_tokens: { rule: 'translated', to: 'max_tokens' },
  temperature: { rule: 'translated', to: 'temperature' },
  top_p: { rule: 'translated', to: 'p (clamped to 0.01..0.99)' },
  stop: { rule: 'translated', to: 'stop_sequences' },
  frequency_penalty: { rule: 'translated', to: 'frequency_penalty (clamped to 0..1)' },
  presence_penalty: { rule: 'translated', to: 'presence_penalty (clamped to 0..1)' },
  seed: { rule: 'translated', to: 'seed' },
  tools: { rule: 'translated', to: 'tools (+ strict_tools when every tool is strict)' },
  tool_choice: { rule: 'translated', to: 'tool_choice REQUIRED/NONE (a named tool: only it, REQUIRED)' },
  response_format: { rule: 'translated', to: 'response_format json_object (+ json_schema)' },
  n: { rule: 'emulated-by-router', how: 'n parallel calls (supports.n = false)' },
  logprobs: { rule: 'dropped', why: 'Cohere log probabilities have another shape', neutral: false },
  top_logprobs: { rule: 'dropped', why: 'Cohere reports no top log probabilities' },
  logit_bias: { rule: 'dropped', why: 'no Cohere equivalent' },
  parallel_tool_calls: { rule: 'dropped', why: 'the model decides', neutral: true },
  user: { rule: 'dropped', why: 'no Cohere equivalent' },
  safety_identifier: { rule: 'dropped', why: 'no Cohere equivalent' },
  metadata: { rule: 'dropped', why: 'no Cohere equivalent' },
  store: { rule: 'dropped', why: 'Cohere stores nothing', neutral: false },
  service_tier: { rule: 'dropped', why: 'no Cohere equivalent (priority is a number)', neutral: 'auto' },
  reasoning_effort: { rule: 'dropped', why: 'Cohere reasoning is set with `thinking`' },
  verbosity: { rule: 'dropped', why: 'no Cohere equivalent' },
  modalities: { rule: 'dropped', why: 'Cohere answers text' },
  audio: { rule: 'dropped', why: 'Cohere answers text' },
  prediction: { rule: 'dropped', why: 'no Cohere equivalent' },
  web_search_options: { rule: 'dropped', why: 'no Cohere equivalent' },
  prompt_cache_key: { rule: 'dropped', why: 'no Cohere equivalent' },
  prompt_cache_retention: { rule: 'dropped', why: 'no Cohere equivalent' },
  prompt_cache_options: { rule: 'dropped', why: 'no Cohere equivalent' },
  moderation: { rule: 'dropped', why: 'no Cohere equivalent' },
  functions: { rule: 'dropped', why: 'deprecated by OpenAI: use tools' },
  function_call: { rule: 'dropped', why: 'deprecated by OpenAI: use tool_choice' },
} as const satisfies ParameterTable;

export const COHERE_P_RANGE = [0.01, 0.99] as const;
export const COHERE_PENALTY_RANGE = [0, 1] as const;
