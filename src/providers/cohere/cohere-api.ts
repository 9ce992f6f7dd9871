// The Cohere v2 Chat API wire format (POST /v2/chat): the request shapes tokgate sends, and lenient schemas
// of what Cohere answers, as JSON or as SSE events (`event: <type>` + `data: {"type": <type>, ...}`), after
// vercel/ai's *-api.ts: what the gateway relies on is required; unknown fields and types pass, absent or
// null optional fields are absent.
import { z } from 'zod';
import { withOther } from '../wire-schema.js';

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

const count = z.number().nullish();
const tokens = z.object({ input_tokens: count, output_tokens: count }).nullish();

/** `billed_units` are the tokens Cohere bills; `tokens` those the model saw (with Cohere's own template). */
export const cohereUsageSchema = z.object({ billed_units: tokens, tokens, cached_tokens: count });
export type CohereUsage = z.output<typeof cohereUsageSchema>;

const cohereToolCallSchema = z.object({
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

/** A tool call as OpenAI spells it; what Cohere left out is ''. */
export function toToolCall(call: z.output<typeof cohereToolCallSchema>): CohereToolCall {
  return {
    id: call.id ?? '',
    type: 'function',
    function: { name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' },
  };
}

/** A chat response (POST /v2/chat without stream). */
export const cohereChatResponseSchema = z.object({
  id: z.string().nullish(),
  finish_reason: z.string().nullish(),
  message: z.object({
    // `thinking` parts (reasoning models) have no `text`, and no canonical place yet.
    content: z.array(z.object({ type: z.string(), text: z.string().nullish() })).nullish(),
    tool_calls: z.array(cohereToolCallSchema).nullish(),
  }),
  usage: cohereUsageSchema.nullish(),
});
export type CohereChatResponse = z.output<typeof cohereChatResponseSchema>;

/** The answer's text parts joined; null when it has none (a tool-call answer). */
export function answerText(response: CohereChatResponse): string | null {
  let text: string | null = null;
  for (const part of response.message.content ?? []) {
    if (part.type === 'text' && typeof part.text === 'string') text = (text ?? '') + part.text;
  }
  return text;
}

/** `delta.message` of a stream event, holding `inner`. */
const deltaMessage = <T extends z.ZodType>(inner: T) => z.object({ message: inner.nullish() }).nullish();

/** One streamed event; content-end, tool-plan-delta, tool-call-end, citation-*, debug are read as `other`. */
export const cohereStreamEventSchema = withOther(
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('message-start'), id: z.string().nullish() }),
    // Text arrives in content-delta; content-start usually carries '' (and `thinking` parts have no text).
    z.object({
      type: z.enum(['content-start', 'content-delta']),
      delta: deltaMessage(z.object({ content: z.object({ text: z.string().nullish() }).nullish() })),
    }),
    z.object({
      type: z.literal('tool-call-start'),
      index: count,
      delta: z.object({ message: z.object({ tool_calls: cohereToolCallSchema }) }),
    }),
    z.object({
      type: z.literal('tool-call-delta'),
      index: count,
      delta: deltaMessage(
        z.object({
          tool_calls: z
            .object({ function: z.object({ arguments: z.string().nullish() }).nullish() })
            .nullish(),
        }),
      ),
    }),
    z.object({
      type: z.literal('message-end'),
      delta: z
        .object({
          finish_reason: z.string().nullish(),
          error: z.string().nullish(),
          usage: cohereUsageSchema.nullish(),
        })
        .nullish(),
    }),
  ]),
  'other',
);
export type CohereStreamEvent = z.output<typeof cohereStreamEventSchema>;

/** An error body: `{"id"?, "message"}`. */
export const cohereErrorSchema = z.object({ message: z.string() });
