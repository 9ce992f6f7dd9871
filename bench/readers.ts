// Micro-benchmark of the provider response readers (`src/providers/*/*-api.ts`): µs per stream event and per
// JSON answer, over realistic wire samples, already JSON-parsed (JSON.parse is the same either way and shown
// for scale). `node --import tsx bench/readers.ts`. Each case is the whole read: from the parsed value to
// what the provider's translation uses (the schema parse plus the small mapping after it).
import {
  anthropicMessageSchema,
  anthropicStreamEventSchema,
} from '../src/providers/anthropic/anthropic-api.js';
import { converseResponseSchema, converseStreamEventSchema } from '../src/providers/bedrock/bedrock-api.js';
import {
  answerText,
  cohereChatResponseSchema,
  cohereStreamEventSchema,
} from '../src/providers/cohere/cohere-api.js';
import { googleAnswerSchema, readGoogleResponse } from '../src/providers/google/google-api.js';
import { isChatChunk, isChatResponse } from '../src/providers/openai/openai-api.js';

/** Wire samples as the providers send them (fields the gateway does not read included). */
export const SAMPLES = {
  openaiChunk:
    '{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b376dfbbd5","choices":[{"index":0,"delta":{"content":" there"},"logprobs":null,"finish_reason":null}]}',
  openaiAnswer:
    '{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"The image shows a wooden boardwalk extending through a lush green marshland.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1117,"completion_tokens":46,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_fc9f1d7035"}',
  anthropicEvent: '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}',
  anthropicStart:
    '{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}',
  anthropicAnswer:
    '{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hello! How can I help you today?"},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":503,"service_tier":"standard"}}',
  googleEvent:
    '{"candidates":[{"content":{"parts":[{"text":" there"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":3,"totalTokenCount":12,"promptTokensDetails":[{"modality":"TEXT","tokenCount":9}]},"modelVersion":"gemini-2.5-flash","responseId":"x0jLaKvNDcWvnvgPz7qIyA0"}',
  googleAnswer:
    '{"candidates":[{"content":{"parts":[{"text":"Hello! How can I help you today?"},{"functionCall":{"name":"get_weather","args":{"location":"San Francisco, CA"}},"thoughtSignature":"CiQB0e2Kb1"}],"role":"model"},"finishReason":"STOP","avgLogprobs":-0.12,"index":0}],"usageMetadata":{"promptTokenCount":2095,"candidatesTokenCount":503,"totalTokenCount":2700,"thoughtsTokenCount":102,"promptTokensDetails":[{"modality":"TEXT","tokenCount":2095}]},"modelVersion":"gemini-2.5-flash","responseId":"x0jLaKvNDcWvnvgPz7qIyA0"}',
  cohereEvent: '{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":" there"}}}}',
  cohereAnswer:
    '{"id":"c14c80c3-18eb-4519-9460-6c92edd8cfb4","finish_reason":"TOOL_CALL","message":{"role":"assistant","content":[{"type":"text","text":"Hello! How can I help you today?"}],"tool_plan":"I will look up the weather.","tool_calls":[{"id":"get_weather_1byjy32y4hvq","type":"function","function":{"name":"get_weather","arguments":"{\\"location\\":\\"San Francisco, CA\\"}"}}]},"usage":{"billed_units":{"input_tokens":2095,"output_tokens":503},"tokens":{"input_tokens":2800,"output_tokens":510},"cached_tokens":0}}',
  bedrockEvent: '{"contentBlockIndex":0,"delta":{"text":" there"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHI"}',
  bedrockAnswer:
    '{"output":{"message":{"role":"assistant","content":[{"text":"Hello! How can I help you today?"},{"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather","input":{"location":"San Francisco, CA"}}}]}},"stopReason":"tool_use","usage":{"inputTokens":2095,"outputTokens":503,"totalTokens":2598,"cacheReadInputTokens":0,"cacheWriteInputTokens":0},"metrics":{"latencyMs":1175}}',
} as const;

/** Median µs per call of `read` over many parsed copies of `json` (copies, so no one object stays hot). */
export function measure(read: (value: unknown) => unknown, json: string, rounds = 7, n = 200_000): number {
  const inputs = Array.from({ length: 1000 }, () => JSON.parse(json) as unknown);
  const times: number[] = [];
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (read(inputs[i % 1000])) sink++;
    times.push(Number(process.hrtime.bigint() - start) / n / 1000);
  }
  if (sink !== rounds * n) throw new Error('a sample was not read');
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

const bedrockMessage = (name: string) => (payload: unknown) => ({ messageType: 'event', name, payload });

/** The readers as the providers use them; each returns something truthy when the sample was read. */
export const CURRENT: Record<keyof typeof SAMPLES, (value: unknown) => unknown> = {
  openaiChunk: isChatChunk,
  openaiAnswer: isChatResponse,
  anthropicEvent: (v) => anthropicStreamEventSchema.safeParse(v).success,
  anthropicStart: (v) => anthropicStreamEventSchema.safeParse(v).success,
  anthropicAnswer: (v) => anthropicMessageSchema.safeParse(v).success,
  googleEvent: (v) => {
    const r = googleAnswerSchema.safeParse(v);
    return r.success && !r.data.error && readGoogleResponse(r.data);
  },
  googleAnswer: (v) => {
    const r = googleAnswerSchema.safeParse(v);
    return r.success && !r.data.error && readGoogleResponse(r.data);
  },
  cohereEvent: (v) => cohereStreamEventSchema.safeParse(v).success,
  cohereAnswer: (v) => {
    const r = cohereChatResponseSchema.safeParse(v);
    return r.success && answerText(r.data) !== undefined;
  },
  bedrockEvent: (v) => converseStreamEventSchema.safeParse(bedrockMessage('contentBlockDelta')(v)).success,
  bedrockAnswer: (v) => converseResponseSchema.safeParse(v).success,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('| sample | JSON.parse µs | reader µs |');
  console.log('|---|---:|---:|');
  for (const [name, json] of Object.entries(SAMPLES)) {
    const parse = measure(() => JSON.parse(json), json, 5, 50_000);
    const read = measure(CURRENT[name as keyof typeof SAMPLES], json);
    console.log(`| ${name} | ${parse.toFixed(3)} | ${read.toFixed(3)} |`);
  }
}
