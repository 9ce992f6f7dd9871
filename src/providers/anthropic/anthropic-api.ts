// The Anthropic Messages API wire format (POST /v1/messages, version 2023-06-01): the request shapes tokgate
// sends, and lenient schemas of what Anthropic answers (after vercel/ai's anthropic-messages-api.ts). The
// schemas require only what the gateway relies on; anything new Anthropic adds (fields, block, delta and
// event types) is ignored, never an error. Absent or null optional fields are read as absent.
import { z } from 'zod';
import { withOther } from '../wire-schema.js';

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

// Counts are null in some events (message_delta's input_tokens on older models): read as not reported.
const count = z.number().nullish();

/** Token counts as reported; a count Anthropic did not send stays null or undefined. */
export const anthropicUsageSchema = z.object({
  input_tokens: count,
  output_tokens: count,
  cache_read_input_tokens: count,
  cache_creation_input_tokens: count,
  /** The cache writes by lifetime (5 minutes, 1 hour), priced apart. */
  cache_creation: z
    .object({ ephemeral_5m_input_tokens: count, ephemeral_1h_input_tokens: count })
    .nullish()
    .catch(undefined),
});
export type AnthropicUsage = z.output<typeof anthropicUsageSchema>;

/** The content blocks tokgate translates; others (redacted thinking, server tools, ...) are read as `other`. */
export const anthropicBlockSchema = withOther(
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('text'), text: z.string() }),
    z.object({ type: z.literal('thinking'), thinking: z.string() }),
    z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  ]),
  'other',
);
export type ResponseBlock = z.output<typeof anthropicBlockSchema>;

/** A Message object: the JSON answer, or `message` of a `message_start` event. */
export const anthropicMessageSchema = z.object({
  type: z.literal('message'),
  id: z.string().nullish(),
  model: z.string().nullish(),
  content: z.array(anthropicBlockSchema),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: anthropicUsageSchema.nullish(),
});
export type ResponseMessage = z.output<typeof anthropicMessageSchema>;

/** `{type, message}` of an error body or an `event: error`; read whatever it holds (it is an error anyway). */
const anthropicErrorDetailSchema = z
  .object({ type: z.string().catch(''), message: z.string().catch('') })
  .catch({ type: '', message: '' });
export type AnthropicErrorDetail = z.output<typeof anthropicErrorDetailSchema>;

/** Anthropic's error body: `{"type":"error","error":{"type","message"},"request_id"}`. */
export const anthropicErrorSchema = z.object({ error: anthropicErrorDetailSchema });

const streamDeltaSchema = withOther(
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('text_delta'), text: z.string() }),
    z.object({ type: z.literal('input_json_delta'), partial_json: z.string() }),
    // Thinking streams as `reasoning_content` (as DeepSeek and OpenRouter's chat APIs do).
    z.object({ type: z.literal('thinking_delta'), thinking: z.string().catch('') }),
    // Known, not translated; listed so that reasoning models' many deltas take the fast path.
    z.object({ type: z.enum(['signature_delta', 'citations_delta']) }),
  ]),
  'other',
);
export type StreamDelta = z.output<typeof streamDeltaSchema>;

/** One streamed event, by its JSON `type` (which always equals the SSE `event:` name). */
export const anthropicStreamEventSchema = withOther(
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('message_start'), message: anthropicMessageSchema }),
    z.object({
      type: z.literal('content_block_start'),
      index: z.number(),
      content_block: anthropicBlockSchema,
    }),
    z.object({ type: z.literal('content_block_delta'), index: z.number(), delta: streamDeltaSchema }),
    z.object({ type: z.literal('content_block_stop'), index: z.number() }),
    z.object({
      type: z.literal('message_delta'),
      delta: z.object({ stop_reason: z.string().nullish() }).nullish(),
      usage: anthropicUsageSchema.nullish(),
    }),
    z.object({ type: z.literal('message_stop') }),
    z.object({ type: z.literal('ping') }),
    z.object({ type: z.literal('error'), error: anthropicErrorDetailSchema }),
  ]),
  'unknown',
);
export type StreamEvent = z.output<typeof anthropicStreamEventSchema>;
