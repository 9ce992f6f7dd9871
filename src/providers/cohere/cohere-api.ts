// The Cohere v2 Chat API wire format (POST /v2/chat): the request shapes tokgate sends, and lenient readers
// of what Cohere answers, as JSON or as SSE events (`event: <type>` + `data: {"type": <type>, ...}`).

// --- What tokgate sends ---

export type CohereContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

export interface CohereToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type CohereMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | CohereContentPart[] }
  | { role: 'assistant'; content?: string; tool_calls?: CohereToolCall[]; tool_plan?: string }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface CohereTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export interface CohereChatRequest {
  model: string;
  messages: CohereMessage[];
  stream: boolean;
  tools?: CohereTool[];
  tool_choice?: 'REQUIRED' | 'NONE';
  strict_tools?: boolean;
  response_format?: { type: 'text' } | { type: 'json_object'; json_schema?: Record<string, unknown> };
  max_tokens?: number;
  stop_sequences?: string[];
  temperature?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  p?: number;
  [nativeExtra: string]: unknown;
}

/** Cohere request fields with no OpenAI counterpart; a client may send them and they pass through. */
export const COHERE_NATIVE_EXTRAS = new Set([
  'k',
  'documents',
  'citation_options',
  'safety_mode',
  'strict_tools',
  'thinking',
  'priority',
]);

// --- What Cohere answers ---

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

export interface CohereUsage {
  billedInput?: number;
  billedOutput?: number;
  input?: number;
  output?: number;
  cached?: number;
}

export function readUsage(value: unknown): CohereUsage | undefined {
  if (!isObject(value)) return undefined;
  const billed = isObject(value.billed_units) ? value.billed_units : {};
  const tokens = isObject(value.tokens) ? value.tokens : {};
  const usage: CohereUsage = {};
  const set = (key: keyof CohereUsage, n: number | undefined) => {
    if (n !== undefined) usage[key] = n;
  };
  set('billedInput', num(billed.input_tokens));
  set('billedOutput', num(billed.output_tokens));
  set('input', num(tokens.input_tokens));
  set('output', num(tokens.output_tokens));
  set('cached', num(value.cached_tokens));
  return usage;
}

function readToolCall(value: unknown): CohereToolCall | undefined {
  if (!isObject(value)) return undefined;
  const fn = isObject(value.function) ? value.function : {};
  return {
    id: str(value.id) ?? '',
    type: 'function',
    function: { name: str(fn.name) ?? '', arguments: str(fn.arguments) ?? '' },
  };
}

export interface CohereAnswer {
  id: string | undefined;
  text: string | null;
  toolCalls: CohereToolCall[];
  finishReason: string | null;
  usage: CohereUsage | undefined;
}

/** Reads a chat response; undefined when it has no `message` object. */
export function readChatResponse(value: unknown): CohereAnswer | undefined {
  if (!isObject(value) || !isObject(value.message)) return undefined;
  const { content, tool_calls } = value.message;
  let text: string | null = null;
  for (const part of Array.isArray(content) ? content : []) {
    // `thinking` parts (reasoning models) have no canonical place yet.
    if (isObject(part) && part.type === 'text' && typeof part.text === 'string')
      text = (text ?? '') + part.text;
  }
  const toolCalls = (Array.isArray(tool_calls) ? tool_calls : []).flatMap((c) => readToolCall(c) ?? []);
  return {
    id: str(value.id),
    text,
    toolCalls,
    finishReason: str(value.finish_reason) ?? null,
    usage: readUsage(value.usage),
  };
}

export type CohereStreamEvent =
  | { type: 'message-start'; id: string | undefined }
  | { type: 'content-delta'; text: string }
  | { type: 'tool-call-start'; index: number; call: CohereToolCall }
  | { type: 'tool-call-delta'; index: number; arguments: string }
  | {
      type: 'message-end';
      finishReason: string | null;
      error: string | undefined;
      usage: CohereUsage | undefined;
    }
  | { type: 'other'; name: string };

const messageOf = (delta: unknown): Record<string, unknown> =>
  isObject(delta) && isObject(delta.message) ? delta.message : {};

export function readStreamEvent(value: unknown): CohereStreamEvent | undefined {
  if (!isObject(value) || typeof value.type !== 'string') return undefined;
  const index = num(value.index) ?? 0;
  const message = messageOf(value.delta);
  switch (value.type) {
    case 'message-start':
      return { type: 'message-start', id: str(value.id) };
    case 'content-start':
    case 'content-delta': {
      // Text arrives in content-delta; content-start usually carries '' (and `thinking` parts are skipped).
      const content = isObject(message.content) ? message.content : {};
      return { type: 'content-delta', text: str(content.text) ?? '' };
    }
    case 'tool-call-start': {
      const call = readToolCall(message.tool_calls);
      return call ? { type: 'tool-call-start', index, call } : { type: 'other', name: value.type };
    }
    case 'tool-call-delta': {
      const call = isObject(message.tool_calls) ? message.tool_calls : {};
      const fn = isObject(call.function) ? call.function : {};
      return { type: 'tool-call-delta', index, arguments: str(fn.arguments) ?? '' };
    }
    case 'message-end': {
      const delta = isObject(value.delta) ? value.delta : {};
      return {
        type: 'message-end',
        finishReason: str(delta.finish_reason) ?? null,
        error: str(delta.error),
        usage: readUsage(delta.usage),
      };
    }
    default:
      // content-end, tool-plan-delta, tool-call-end, citation-*, debug
      return { type: 'other', name: value.type };
  }
}
