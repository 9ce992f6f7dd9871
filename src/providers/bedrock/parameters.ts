// What Bedrock Converse does with each OpenAI parameter. Parameters OpenAI does not define travel in
// `additionalModelRequestFields`, the Converse field for model-specific settings (e.g. `top_k`, `thinking`).
import type { ParameterTable } from '../parameter-rules.js';

export const BEDROCK_PARAMETERS = {
  model: { rule: 'translated', to: 'modelId (URL path)' },
  messages: { rule: 'translated', to: 'messages + system' },
  stream: { rule: 'translated', to: '/converse-stream instead of /converse' },
  stream_options: { rule: 'translated', to: 'usage always read from the metadata event' },
  max_tokens: { rule: 'translated', to: 'inferenceConfig.maxTokens' },
  max_completion_tokens: { rule: 'translated', to: 'inferenceConfig.maxTokens' },
  temperature: { rule: 'translated', to: 'inferenceConfig.temperature (clamped to 0..1)' },
  top_p: { rule: 'translated', to: 'inferenceConfig.topP' },
  stop: { rule: 'translated', to: 'inferenceConfig.stopSequences' },
  tools: { rule: 'translated', to: 'toolConfig.tools[].toolSpec' },
  tool_choice: { rule: 'translated', to: 'toolConfig.toolChoice (auto/any/tool; none = tools left out)' },
  response_format: { rule: 'translated', to: 'outputConfig.textFormat (json_schema only)' },
  metadata: { rule: 'translated', to: 'requestMetadata' },
  service_tier: { rule: 'translated', to: 'serviceTier.type (default/flex/priority)' },
  n: { rule: 'emulated-by-router', how: 'n parallel calls (supports.n = false)' },
  frequency_penalty: { rule: 'dropped', why: 'no Converse equivalent', neutral: 0 },
  presence_penalty: { rule: 'dropped', why: 'no Converse equivalent', neutral: 0 },
  seed: { rule: 'dropped', why: 'no Converse equivalent' },
  logit_bias: { rule: 'dropped', why: 'no Converse equivalent' },
  logprobs: { rule: 'dropped', why: 'Converse reports no log probabilities', neutral: false },
  top_logprobs: { rule: 'dropped', why: 'Converse reports no log probabilities' },
  parallel_tool_calls: { rule: 'dropped', why: 'the model decides', neutral: true },
  user: { rule: 'dropped', why: 'no Converse equivalent' },
  safety_identifier: { rule: 'dropped', why: 'no Converse equivalent' },
  store: { rule: 'dropped', why: 'Bedrock stores nothing', neutral: false },
  reasoning_effort: { rule: 'dropped', why: 'model-specific: pass it in additionalModelRequestFields' },
  verbosity: { rule: 'dropped', why: 'no Converse equivalent' },
  modalities: { rule: 'dropped', why: 'Converse answers text' },
  audio: { rule: 'dropped', why: 'Converse answers text' },
  prediction: { rule: 'dropped', why: 'no Converse equivalent' },
  web_search_options: { rule: 'dropped', why: 'no Converse equivalent' },
  prompt_cache_key: { rule: 'dropped', why: 'Converse caches with cachePoint blocks' },
  prompt_cache_retention: { rule: 'dropped', why: 'Converse caches with cachePoint blocks' },
  prompt_cache_options: { rule: 'dropped', why: 'Converse caches with cachePoint blocks' },
  moderation: { rule: 'dropped', why: 'Bedrock moderates with guardrails' },
  functions: { rule: 'dropped', why: 'deprecated by OpenAI: use tools' },
  function_call: { rule: 'dropped', why: 'deprecated by OpenAI: use tool_choice' },
} as const satisfies ParameterTable;

/** Converse rejects temperatures above 1 for every model family it serves. */
export const BEDROCK_MAX_TEMPERATURE = 1;
