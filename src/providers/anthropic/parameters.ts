// Every OpenAI Chat Completions parameter and what happens to it on the way to Anthropic's Messages API, as
// one typed table. Anthropic rejects unknown top-level fields with a 400 ("x: Extra inputs are not
// permitted"), so nothing reaches it unless this table says how.
//
// Rules:
// - translated: the provider maps it to Anthropic's own field (see convert-to-anthropic-messages.ts).
// - emulated-by-router: Anthropic has no equivalent; the router emulates it (the provider never sends it).
// - dropped-with-warning: no equivalent and harmless to omit; dropped with a warning in `call.warnings`,
//   silently only when the value asks for nothing (`neutral`: 0 penalties, `logprobs: false`, ...).
// - passed: an Anthropic field accepted as an extension of the OpenAI request, sent as is.
// A parameter missing from the table is dropped with a warning, like `dropped-with-warning`.

export type ParameterRule =
  | { readonly rule: 'translated'; readonly to: string; readonly note: string }
  | { readonly rule: 'emulated-by-router'; readonly note: string }
  | { readonly rule: 'dropped-with-warning'; readonly note: string; readonly neutral?: unknown }
  | { readonly rule: 'passed'; readonly note: string };

/**
 * Anthropic requires `max_tokens`; OpenAI does not. 4096 is the largest output every Claude model accepts
 * (claude-3-haiku's limit), so the default never causes a 400; it is not capped further for now. Clients
 * that want longer answers set `max_tokens` / `max_completion_tokens`.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/**
 * OpenAI's temperature is 0–2, Anthropic's 0–1. Both divide the same logits, so T means the same on both
 * sides (1 = the model's own distribution, the default of each): values 0–1 pass unchanged and values above
 * 1 are clamped to 1 with a warning. Halving would change every request (the common 0.7 would become 0.35,
 * and OpenAI's default of 1 would become Anthropic's 0.5), while clamping only touches the rare > 1.
 */
export const ANTHROPIC_MAX_TEMPERATURE = 1;

/**
 * Models that answer 400 "`temperature` and `top_p` cannot both be specified for this model": from these
 * versions of each family on (claude-opus-4-1, claude-sonnet-4-5, claude-haiku-4-5, and every later one).
 * When both are set for them, `top_p` is dropped with a warning (temperature is the more common knob).
 */
export const REJECTS_TEMPERATURE_WITH_TOP_P: readonly { family: string; from: readonly [number, number] }[] =
  [
    { family: 'opus', from: [4, 1] },
    { family: 'sonnet', from: [4, 5] },
    { family: 'haiku', from: [4, 5] },
  ];

/** `claude-sonnet-4-5-20250929` → sonnet 4.5; `claude-sonnet-4-20250514` → sonnet 4.0; old `claude-3-5-*` → none. */
export function rejectsTemperatureWithTopP(model: string): boolean {
  const match = /claude-(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=$|[-@:.])/.exec(model);
  if (!match) return false;
  const major = Number(match[2]);
  const minor = Number(match[3] ?? 0);
  return REJECTS_TEMPERATURE_WITH_TOP_P.some(
    ({ family, from: [fromMajor, fromMinor] }) =>
      family === match[1] && (major > fromMajor || (major === fromMajor && minor >= fromMinor)),
  );
}

/** The name of the forced tool that carries `response_format` JSON answers (see `response_format`). */
export const JSON_TOOL_NAME = 'json_response';

export const ANTHROPIC_PARAMETERS = {
  model: { rule: 'translated', to: 'model', note: 'the upstream model name' },
  messages: {
    rule: 'translated',
    to: 'system + messages',
    note: 'system/developer → top-level system; same-role turns merged; tool results → user tool_result blocks',
  },
  stream: { rule: 'translated', to: 'stream', note: 'SSE events translated back to chat.completion.chunk' },
  stream_options: {
    rule: 'translated',
    to: '(always on)',
    note: 'Anthropic always reports usage; a final usage chunk is always produced',
  },
  max_tokens: {
    rule: 'translated',
    to: 'max_tokens',
    note: `required upstream: default ${DEFAULT_MAX_TOKENS}`,
  },
  max_completion_tokens: {
    rule: 'translated',
    to: 'max_tokens',
    note: 'takes precedence over max_tokens',
  },
  temperature: { rule: 'translated', to: 'temperature', note: '0–2 → 0–1 by clamping values above 1' },
  top_p: {
    rule: 'translated',
    to: 'top_p',
    note: 'dropped with a warning when temperature is also set on models that reject the pair',
  },
  stop: { rule: 'translated', to: 'stop_sequences', note: 'a string becomes a one-element list' },
  tools: { rule: 'translated', to: 'tools', note: 'function tools → {name, description, input_schema}' },
  tool_choice: {
    rule: 'translated',
    to: 'tool_choice',
    note: "auto → auto, none → none, required → any, {function:{name}} → {type:'tool', name}",
  },
  parallel_tool_calls: {
    rule: 'translated',
    to: 'tool_choice.disable_parallel_tool_use',
    note: 'false → disable_parallel_tool_use: true',
  },
  response_format: {
    rule: 'translated',
    to: 'tools + tool_choice',
    note: `json_schema/json_object → a forced tool '${JSON_TOOL_NAME}' whose input_schema is the schema; its input is returned as the message content`,
  },
  user: { rule: 'translated', to: 'metadata.user_id', note: 'an opaque end-user id' },
  safety_identifier: {
    rule: 'translated',
    to: 'metadata.user_id',
    note: "OpenAI's successor of `user`; wins when both are set",
  },
  n: {
    rule: 'emulated-by-router',
    note: 'supports.n is false: the router fans out n parallel calls',
  },
  top_k: { rule: 'passed', note: 'Anthropic sampling parameter, accepted as an extension' },
  seed: { rule: 'dropped-with-warning', note: 'Anthropic has no seeded sampling' },
  frequency_penalty: { rule: 'dropped-with-warning', note: 'no equivalent', neutral: 0 },
  presence_penalty: { rule: 'dropped-with-warning', note: 'no equivalent', neutral: 0 },
  logit_bias: { rule: 'dropped-with-warning', note: 'no equivalent', neutral: {} },
  logprobs: { rule: 'dropped-with-warning', note: 'Anthropic returns no log probabilities', neutral: false },
  top_logprobs: { rule: 'dropped-with-warning', note: 'Anthropic returns no log probabilities', neutral: 0 },
  functions: { rule: 'dropped-with-warning', note: 'deprecated by OpenAI; use tools' },
  function_call: { rule: 'dropped-with-warning', note: 'deprecated by OpenAI; use tool_choice' },
  metadata: {
    rule: 'dropped-with-warning',
    note: "OpenAI's stored-completion tags; Anthropic's metadata only holds user_id",
    neutral: {},
  },
  store: { rule: 'dropped-with-warning', note: 'OpenAI stored completions', neutral: false },
  service_tier: {
    rule: 'dropped-with-warning',
    note: "OpenAI's tiers do not match Anthropic's (auto | standard_only)",
    neutral: 'auto',
  },
  reasoning_effort: {
    rule: 'translated',
    to: 'thinking',
    note: 'extended thinking with a token budget per effort (THINKING_BUDGETS), where the model has it',
  },
  verbosity: { rule: 'dropped-with-warning', note: 'no equivalent' },
  modalities: { rule: 'dropped-with-warning', note: 'text output only', neutral: ['text'] },
  audio: { rule: 'dropped-with-warning', note: 'no audio output' },
  prediction: { rule: 'dropped-with-warning', note: 'no predicted outputs' },
  web_search_options: { rule: 'dropped-with-warning', note: 'no OpenAI-style web search' },
  prompt_cache_key: { rule: 'dropped-with-warning', note: 'Anthropic caching uses cache_control blocks' },
  prompt_cache_retention: {
    rule: 'dropped-with-warning',
    note: 'Anthropic caching uses cache_control blocks',
  },
  prompt_cache_options: { rule: 'dropped-with-warning', note: 'Anthropic caching uses cache_control blocks' },
  moderation: { rule: 'dropped-with-warning', note: 'no OpenAI-style moderation' },
} as const satisfies Record<string, ParameterRule>;

export type AnthropicParameter = keyof typeof ANTHROPIC_PARAMETERS;

const RULES: Readonly<Record<string, ParameterRule>> = ANTHROPIC_PARAMETERS;

export function parameterRule(name: string): ParameterRule | undefined {
  return Object.hasOwn(RULES, name) ? RULES[name] : undefined;
}

/** Whether a value of a dropped parameter asks for nothing, so dropping it needs no warning. */
export function isNeutral(rule: ParameterRule | undefined, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (rule?.rule !== 'dropped-with-warning' || !('neutral' in rule)) return false;
  return JSON.stringify(value) === JSON.stringify(rule.neutral);
}
