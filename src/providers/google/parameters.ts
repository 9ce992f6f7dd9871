// Every OpenAI Chat Completions parameter and what the Gemini provider does with it: one typed table, read by
// the request conversion (to warn about what it drops) and by the README (what users can expect).
import type { OpenAIChatParameter, ParameterRule, ParameterTable } from '../parameter-rules.js';

// The rule type is shared by every provider folder (../parameter-rules.ts): a parameter OpenAI adds is a type
// error here until someone decides what Gemini does with it.
export const GOOGLE_PARAMETERS = {
  model: { rule: 'translated', to: 'URL path /v1beta/models/{model}:generateContent' },
  messages: {
    rule: 'translated',
    to: 'contents (user/model turns, consecutive same-role turns merged) + systemInstruction',
  },
  stream: { rule: 'translated', to: ':streamGenerateContent?alt=sse' },
  stream_options: {
    rule: 'translated',
    to: 'usageMetadata is always reported; the usage chunk is always emitted (the server strips it)',
  },
  temperature: { rule: 'translated', to: 'generationConfig.temperature (same 0-2 range)' },
  top_p: { rule: 'translated', to: 'generationConfig.topP' },
  n: {
    rule: 'translated',
    to: 'generationConfig.candidateCount: up to 8 per JSON call on Gemini 1.5/2.x; beyond that, on other models and for streams, n is split into parallel calls (options.max_candidates overrides the cap)',
  },
  stop: { rule: 'translated', to: 'generationConfig.stopSequences (stop text excluded, as OpenAI)' },
  max_completion_tokens: { rule: 'translated', to: 'generationConfig.maxOutputTokens' },
  max_tokens: { rule: 'translated', to: 'generationConfig.maxOutputTokens (max_completion_tokens wins)' },
  presence_penalty: { rule: 'translated', to: 'generationConfig.presencePenalty' },
  frequency_penalty: { rule: 'translated', to: 'generationConfig.frequencyPenalty' },
  seed: { rule: 'translated', to: 'generationConfig.seed' },
  response_format: {
    rule: 'translated',
    to: 'json_object → responseMimeType application/json; json_schema → + responseSchema (OpenAPI subset)',
  },
  tools: {
    rule: 'translated',
    to: 'tools[].functionDeclarations (non-function tools dropped with a warning)',
  },
  tool_choice: {
    rule: 'translated',
    to: 'toolConfig.functionCallingConfig: auto → AUTO, none → NONE, required → ANY, named → ANY + allowedFunctionNames',
  },
  reasoning_effort: {
    rule: 'translated',
    to: 'generationConfig.thinkingConfig: thinkingLevel on Gemini 3, thinkingBudget on Gemini 2.5',
  },
  parallel_tool_calls: {
    rule: 'dropped',
    why: 'Gemini always may call several functions at once',
    neutral: true,
  },
  logit_bias: { rule: 'dropped', why: 'Gemini has no token biasing' },
  logprobs: { rule: 'dropped', why: 'Gemini log probabilities are not translated', neutral: false },
  top_logprobs: { rule: 'dropped', why: 'Gemini log probabilities are not translated' },
  user: { rule: 'dropped', why: 'Gemini has no end-user id' },
  safety_identifier: { rule: 'dropped', why: 'Gemini has no end-user id' },
  prompt_cache_key: { rule: 'dropped', why: 'Gemini caches implicitly, or through cachedContents' },
  prompt_cache_retention: { rule: 'dropped', why: 'Gemini caches implicitly, or through cachedContents' },
  prompt_cache_options: { rule: 'dropped', why: 'Gemini caches implicitly, or through cachedContents' },
  moderation: { rule: 'dropped', why: 'Gemini has its own safety settings' },
  store: { rule: 'dropped', why: 'OpenAI-only stored completions', neutral: false },
  metadata: { rule: 'dropped', why: 'OpenAI-only stored completions' },
  service_tier: { rule: 'dropped', why: 'OpenAI-only' },
  modalities: { rule: 'dropped', why: 'only text output is translated' },
  audio: { rule: 'dropped', why: 'only text output is translated' },
  prediction: { rule: 'dropped', why: 'Gemini has no predicted outputs' },
  web_search_options: { rule: 'dropped', why: 'Google Search grounding is not translated' },
  verbosity: { rule: 'dropped', why: 'Gemini has no verbosity setting' },
  functions: { rule: 'dropped', why: 'deprecated by OpenAI: use tools' },
  function_call: { rule: 'dropped', why: 'deprecated by OpenAI: use tool_choice' },
} as const satisfies ParameterTable;

export function parameterRule(name: string): ParameterRule | undefined {
  return Object.hasOwn(GOOGLE_PARAMETERS, name) ? GOOGLE_PARAMETERS[name as OpenAIChatParameter] : undefined;
}
