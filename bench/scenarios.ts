// The request bodies of the benchmark. The fake upstream and the bare proxy get the same bytes as the gateway,
// except where the gateway translates between front door and provider (`upstream` below): then they get the
// request the gateway itself sends upstream, so the bare proxy is the floor for the same answer.

export const MODEL = 'openai/gpt-4o';
/** An OpenAI-format model whose upstream has no Responses API: `/v1/responses` requests are translated. */
export const CHAT_ONLY_MODEL = 'deepseek/deepseek-chat';
/** An Anthropic model: `/v1/messages` requests for it are passed through natively. */
export const ANTHROPIC_MODEL = 'anthropic/claude-sonnet-4-5';

export const CHAT_PATH = '/v1/chat/completions';
export const MESSAGES_PATH = '/v1/messages';
export const RESPONSES_PATH = '/v1/responses';
export const EMBEDDINGS_PATH = '/v1/embeddings';
export const RERANK_PATH = '/v1/rerank';

export type ScenarioName =
  | 'small'
  | 'prompt32k'
  | 'stream200'
  | 'messages-small'
  | 'messages-stream200'
  | 'messages-agent256k'
  | 'messages-openai-small'
  | 'messages-openai-stream200'
  | 'responses'
  | 'responses-stream200'
  | 'responses-agent'
  | 'responses-chat-small'
  | 'responses-chat-stream200'
  | 'embed16'
  | 'embed16f'
  | 'rerank16';

export interface BenchRequest {
  path: string;
  body: string;
  /** Besides content-type and the gateway's key. */
  headers: Record<string, string>;
}

export interface Scenario extends BenchRequest {
  name: ScenarioName;
  label: string;
  stream: boolean;
  /** What the fake upstream and the bare proxy are sent when it differs from the gateway's request. */
  upstream?: BenchRequest;
}

/** About 32 KB of plain prose, deterministic so runs compare. */
function longPrompt(bytes: number): string {
  const words = [
    'the',
    'gateway',
    'forwards',
    'every',
    'request',
    'to',
    'a',
    'model',
    'and',
    'counts',
    'tokens',
  ];
  const out: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const word = words[(i * 7 + (i >> 3)) % words.length]!;
    out.push(word);
    length += word.length + 1;
  }
  return out.join(' ');
}

const ask = [{ role: 'user', content: 'Say hello in five words.' }];

/** 16 passages of about 200 characters: a typical embeddings batch of a RAG ingest. */
const passages = Array.from({ length: 16 }, (_, i) => `Passage ${i}: ${longPrompt(200)}`);

const embeddings = (encoding: 'base64' | 'float'): BenchRequest => ({
  path: EMBEDDINGS_PATH,
  body: JSON.stringify({
    model: 'openai/text-embedding-3-small',
    input: passages,
    encoding_format: encoding,
  }),
  headers: {},
});

/** A rerank of the 16 passages, as a RAG query does it; Jina's API at the fake (its wire shape is TokModel's). */
const rerankBody = (model: string) => ({
  model,
  query: 'which passage counts tokens',
  documents: passages,
  top_n: 5,
});

const chat = (body: object): BenchRequest => ({ path: CHAT_PATH, body: JSON.stringify(body), headers: {} });

// What Claude Code and Anthropic's SDKs send: max_tokens is required, anthropic-version always set.
const messages = (body: object): BenchRequest => ({
  path: MESSAGES_PATH,
  body: JSON.stringify(body),
  headers: { 'anthropic-version': '2023-06-01' },
});

// The Responses API with OpenAI's defaults (store: true): the answer is kept for previous_response_id.
const responses = (body: object): BenchRequest => ({
  path: RESPONSES_PATH,
  body: JSON.stringify(body),
  headers: {},
});

const smallChat = chat({ model: MODEL, messages: ask });
// The client asks for usage like most SDK users do; the gateway asks the upstream for it anyway.
const streamChat = chat({
  model: MODEL,
  messages: ask,
  stream: true,
  stream_options: { include_usage: true },
});

/** An agent tool's JSON schema, as the agent requests below give each of their tools. */
const toolParameters = () => ({
  type: 'object',
  properties: { path: { type: 'string', description: longPrompt(200) }, limit: { type: 'integer' } },
  required: ['path'],
  additionalProperties: false,
});

/**
 * A request the way Claude Code sends one deep into a session (../shared/AGENT-CLIENTS.md): a dozen tools
 * with JSON schemas, system blocks with cache_control, thinking, and a long history of tool calls and
 * results, about 256 KB in all, streamed. Past 128 KB a string is a large object to V8 (core/raw-json.ts).
 */
function agentRequest(bytes: number): object {
  const tools = Array.from({ length: 12 }, (_, i) => ({
    name: `tool_${i}`,
    description: longPrompt(600),
    input_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...toolParameters() },
  }));
  const request = {
    model: ANTHROPIC_MODEL,
    max_tokens: 32000,
    stream: true,
    system: [{ type: 'text', text: longPrompt(8000), cache_control: { type: 'ephemeral' } }],
    tools,
    metadata: { user_id: '{"device_id":"bench","session_id":"bench"}' },
    messages: [{ role: 'user', content: [{ type: 'text', text: longPrompt(2000) }] }] as object[],
  };
  for (let turn = 0; JSON.stringify(request).length < bytes; turn++) {
    const id = `toolu_${turn}`;
    request.messages.push(
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id, name: `tool_${turn % 12}`, input: { path: `src/f${turn}.ts` } }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: longPrompt(6000) }] },
    );
  }
  return request;
}

/**
 * A request the way Codex sends one deep into a session (../shared/AGENT-CLIENTS.md): always streamed,
 * `store: false`, instructions, a dozen function tools with JSON schemas, reasoning summaries, and a
 * history of function calls and their outputs in `input`, about `bytes` in all. OpenAI echoes the
 * instructions and tools in every Response object of the stream, and so does the fake upstream.
 */
function codexRequest(bytes: number): object {
  const tools = Array.from({ length: 12 }, (_, i) => ({
    type: 'function',
    name: `tool_${i}`,
    description: longPrompt(600),
    strict: false,
    parameters: toolParameters(),
  }));
  const request = {
    model: MODEL,
    instructions: longPrompt(8000),
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: longPrompt(2000) }] },
    ] as object[],
    tools,
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'bench-session',
  };
  for (let turn = 0; JSON.stringify(request).length < bytes; turn++) {
    const callId = `call_${turn}`;
    request.input.push(
      {
        type: 'function_call',
        call_id: callId,
        name: `tool_${turn % 12}`,
        arguments: `{"path":"src/f${turn}.ts"}`,
      },
      { type: 'function_call_output', call_id: callId, output: longPrompt(6000) },
    );
  }
  return request;
}

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  small: { name: 'small', label: 'small JSON', stream: false, ...smallChat },
  prompt32k: {
    name: 'prompt32k',
    label: '32 KB prompt',
    stream: false,
    ...chat({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are a careful assistant. Summarise the text.' },
        { role: 'user', content: longPrompt(32 * 1024) },
      ],
    }),
  },
  stream200: { name: 'stream200', label: 'stream 200 chunks', stream: true, ...streamChat },
  'messages-small': {
    name: 'messages-small',
    label: 'messages pass-through, small JSON',
    stream: false,
    ...messages({ model: ANTHROPIC_MODEL, max_tokens: 1024, messages: ask }),
  },
  'messages-stream200': {
    name: 'messages-stream200',
    label: 'messages pass-through, stream 200 deltas',
    stream: true,
    ...messages({ model: ANTHROPIC_MODEL, max_tokens: 1024, messages: ask, stream: true }),
  },
  'messages-agent256k': {
    name: 'messages-agent256k',
    label: 'messages pass-through, 256 KB agent request, stream 200 deltas',
    stream: true,
    ...messages(agentRequest(256 * 1024)),
  },
  'messages-openai-small': {
    name: 'messages-openai-small',
    label: 'messages → OpenAI, small JSON',
    stream: false,
    ...messages({ model: MODEL, max_tokens: 1024, messages: ask }),
    upstream: smallChat,
  },
  'messages-openai-stream200': {
    name: 'messages-openai-stream200',
    label: 'messages → OpenAI, stream 200 chunks',
    stream: true,
    ...messages({ model: MODEL, max_tokens: 1024, messages: ask, stream: true }),
    upstream: streamChat,
  },
  // OpenAI has the Responses API: passed through (the fake and the bare proxy get the same request).
  responses: {
    name: 'responses',
    label: 'responses pass-through, small JSON',
    stream: false,
    ...responses({ model: MODEL, input: 'Say hello in five words.' }),
  },
  'responses-stream200': {
    name: 'responses-stream200',
    label: 'responses pass-through, stream 200 deltas',
    stream: true,
    ...responses({ model: MODEL, input: 'Say hello in five words.', stream: true }),
  },
  'responses-agent': {
    name: 'responses-agent',
    label: 'responses pass-through, 128 KB agent request (tools echoed), stream 200 deltas',
    stream: true,
    ...responses(codexRequest(128 * 1024)),
  },
  'responses-chat-small': {
    name: 'responses-chat-small',
    label: 'responses → chat (DeepSeek), small JSON',
    stream: false,
    ...responses({ model: CHAT_ONLY_MODEL, input: 'Say hello in five words.' }),
    upstream: smallChat,
  },
  'responses-chat-stream200': {
    name: 'responses-chat-stream200',
    label: 'responses → chat (DeepSeek), stream 200 chunks',
    stream: true,
    ...responses({ model: CHAT_ONLY_MODEL, input: 'Say hello in five words.', stream: true }),
    upstream: streamChat,
  },
  // The openai SDK asks for base64 unless told otherwise (OpenAI makes it: the gateway passes it on); the AI
  // SDK asks for floats.
  embed16: {
    name: 'embed16',
    label: 'embeddings, 16 inputs (base64)',
    stream: false,
    ...embeddings('base64'),
  },
  embed16f: {
    name: 'embed16f',
    label: 'embeddings, 16 inputs (float)',
    stream: false,
    ...embeddings('float'),
  },
  rerank16: {
    name: 'rerank16',
    label: 'rerank, 16 documents, top 5',
    stream: false,
    path: RERANK_PATH,
    body: JSON.stringify(rerankBody('jina/jina-reranker-v2-base-multilingual')),
    headers: {},
    upstream: {
      path: RERANK_PATH,
      body: JSON.stringify(rerankBody('jina-reranker-v2-base-multilingual')),
      headers: {},
    },
  },
};

/** What a target is sent: the gateway the scenario's request, the fake and the bare proxy its upstream's. */
export function requestFor(scenario: Scenario, gateway: boolean): BenchRequest {
  return gateway ? scenario : (scenario.upstream ?? scenario);
}

/** What the last event of a complete stream of this request holds (checked before a cell is loaded). */
export function streamEnd(request: BenchRequest): string {
  if (request.path === MESSAGES_PATH) return '{"type":"message_stop"}';
  if (request.path === RESPONSES_PATH) return '"type":"response.completed"';
  return 'data: [DONE]';
}

/**
 * The chat completions cell each messages cell is compared with (same answer size, same run): the issue's
 * target is pass-through costing no more CPU per request than chat completions for OpenAI (within 10 %).
 */
export const CHAT_COUNTERPART: Partial<Record<ScenarioName, ScenarioName>> = {
  'messages-small': 'small',
  'messages-stream200': 'stream200',
  'messages-openai-small': 'small',
  'messages-openai-stream200': 'stream200',
  responses: 'small',
  'responses-stream200': 'stream200',
  'responses-chat-small': 'small',
  'responses-chat-stream200': 'stream200',
};

/** A streaming body for the TTFT probe, the open-streams test and the soak. */
export const STREAM_BODY = SCENARIOS.stream200.body;
