// The Anthropic Messages API wire format (POST /v1/messages, version 2023-06-01): the request shapes tokgate
// sends, and lenient readers of what Anthropic answers. Readers require only what the gateway relies on;
// anything new Anthropic adds (block types, usage fields) is ignored, never an error.

export const ANTHROPIC_VERSION = '2023-06-01';

// --- What tokgate sends ---

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
}

export interface AnthropicImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
}

export interface AnthropicDocumentBlock {
  type: 'document';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
  title?: string;
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | UserPartBlock[];
}

/** What an OpenAI content part becomes. */
export type UserPartBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock;

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock;

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | AnthropicContentBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export type AnthropicToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export interface AnthropicRequest {
  model: string;
  messages: AnthropicMessage[];
  max_tokens: number;
  system?: string | AnthropicTextBlock[];
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  metadata?: { user_id: string };
  stream?: boolean;
}

// --- What Anthropic answers ---

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Token counts as reported; a count Anthropic did not send stays undefined. */
export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export function readUsage(value: unknown): AnthropicUsage {
  if (!isObject(value)) return {};
  const usage: AnthropicUsage = {};
  const input = num(value.input_tokens);
  const output = num(value.output_tokens);
  const cacheRead = num(value.cache_read_input_tokens);
  const cacheWrite = num(value.cache_creation_input_tokens);
  if (input !== undefined) usage.input_tokens = input;
  if (output !== undefined) usage.output_tokens = output;
  if (cacheRead !== undefined) usage.cache_read_input_tokens = cacheRead;
  if (cacheWrite !== undefined) usage.cache_creation_input_tokens = cacheWrite;
  return usage;
}

/** The content blocks tokgate translates; others (thinking, server tools, ...) are read as `other`. */
export type ResponseBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'other'; raw: string };

export function readBlock(value: unknown): ResponseBlock {
  if (!isObject(value)) return { type: 'other', raw: 'unknown' };
  if (value.type === 'text') return { type: 'text', text: str(value.text) ?? '' };
  if (value.type === 'tool_use') {
    return { type: 'tool_use', id: str(value.id) ?? '', name: str(value.name) ?? '', input: value.input };
  }
  return { type: 'other', raw: str(value.type) ?? 'unknown' };
}

export interface ResponseMessage {
  id: string;
  model: string;
  content: ResponseBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** A Message object (the JSON answer, or `message` of a `message_start` event); undefined if it is not one. */
export function readMessage(value: unknown): ResponseMessage | undefined {
  if (!isObject(value) || value.type !== 'message' || !Array.isArray(value.content)) return undefined;
  return {
    id: str(value.id) ?? '',
    model: str(value.model) ?? '',
    content: value.content.map(readBlock),
    stop_reason: str(value.stop_reason) ?? null,
    stop_sequence: str(value.stop_sequence) ?? null,
    usage: readUsage(value.usage),
  };
}

/** One streamed event, by its JSON `type` (which always equals the SSE `event:` name). */
export type StreamEvent =
  | { type: 'message_start'; message: ResponseMessage }
  | { type: 'content_block_start'; index: number; block: ResponseBlock }
  | { type: 'content_block_delta'; index: number; delta: StreamDelta }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; stop_reason: string | null; usage: AnthropicUsage }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: AnthropicErrorDetail }
  | { type: 'unknown'; raw: string };

export type StreamDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'other' };

/** Undefined when the event is not well formed (a known type missing what the gateway needs). */
export function readStreamEvent(value: unknown): StreamEvent | undefined {
  if (!isObject(value) || typeof value.type !== 'string') return undefined;
  const index = num(value.index);
  switch (value.type) {
    case 'message_start': {
      const message = readMessage(value.message);
      return message ? { type: 'message_start', message } : undefined;
    }
    case 'content_block_start':
      return index === undefined
        ? undefined
        : { type: 'content_block_start', index, block: readBlock(value.content_block) };
    case 'content_block_delta': {
      if (index === undefined || !isObject(value.delta)) return undefined;
      const delta = value.delta;
      if (delta.type === 'text_delta') {
        return {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: str(delta.text) ?? '' },
        };
      }
      if (delta.type === 'input_json_delta') {
        const partial = str(delta.partial_json) ?? '';
        return {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: partial },
        };
      }
      return { type: 'content_block_delta', index, delta: { type: 'other' } };
    }
    case 'content_block_stop':
      return index === undefined ? undefined : { type: 'content_block_stop', index };
    case 'message_delta': {
      const delta = isObject(value.delta) ? value.delta : {};
      return {
        type: 'message_delta',
        stop_reason: str(delta.stop_reason) ?? null,
        usage: readUsage(value.usage),
      };
    }
    case 'message_stop':
      return { type: 'message_stop' };
    case 'ping':
      return { type: 'ping' };
    case 'error':
      return { type: 'error', error: readErrorDetail(value) };
    default:
      return { type: 'unknown', raw: value.type };
  }
}

export interface AnthropicErrorDetail {
  /** Anthropic's error type (`overloaded_error`, `rate_limit_error`, ...); '' when absent. */
  type: string;
  message: string;
}

/** Reads `{type:'error', error:{type, message}}`; tolerant of anything else. */
export function readErrorDetail(value: unknown): AnthropicErrorDetail {
  const error = isObject(value) && isObject(value.error) ? value.error : undefined;
  return { type: str(error?.type) ?? '', message: str(error?.message) ?? '' };
}
