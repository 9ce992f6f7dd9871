// What Azure OpenAI does with each OpenAI parameter: it speaks OpenAI's format, so everything is sent as
// is and Azure validates it against the api-version (an argument that version lacks comes back as Azure's
// own 400, with its words). Parameters OpenAI does not define pass through too (`data_sources`, ...).
import type { ParameterTable } from '../parameter-rules.js';

const same = { rule: 'translated', to: 'same name' } as const;

export const AZURE_PARAMETERS = {
  model: {
    rule: 'translated',
    to: 'deployment name in the URL (also kept in the body, as the SDK sends it)',
  },
  messages: { rule: 'translated', to: 'messages (developer → system before api-version 2024-12-01)' },
  stream: same,
  stream_options: { rule: 'translated', to: 'stream_options, include_usage always on' },
  n: same,
  stop: same,
  max_tokens: same,
  max_completion_tokens: same,
  temperature: same,
  top_p: same,
  presence_penalty: same,
  frequency_penalty: same,
  logit_bias: same,
  logprobs: same,
  top_logprobs: same,
  seed: same,
  tools: same,
  tool_choice: same,
  parallel_tool_calls: same,
  response_format: same,
  user: same,
  safety_identifier: same,
  metadata: same,
  store: same,
  service_tier: same,
  reasoning_effort: same,
  verbosity: same,
  modalities: same,
  audio: same,
  prediction: same,
  web_search_options: same,
  prompt_cache_key: same,
  prompt_cache_retention: same,
  prompt_cache_options: same,
  moderation: same,
  functions: same,
  function_call: same,
} as const satisfies ParameterTable;
