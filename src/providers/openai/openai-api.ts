// Lenient schemas of what OpenAI-compatible upstreams send (after vercel/ai's openai-chat-api.ts). The
// canonical types are this wire format, so answers are only checked, never rebuilt: what the gateway relies on
// is required, and every other field travels to the client untouched.
import { z } from 'zod';
import type { ChatChunk, ChatResponse } from '../../core/types.js';

/** A chat.completion: choices are what the router reads (their count, each one's message and finish). */
export const openaiChatResponseSchema = z.object({ choices: z.array(z.object({})) });

/**
 * Whether a stream event is a chat.completion.chunk. A hand check, not a schema: chunks are relayed as they
 * came on the hot path, and `z.object({ choices: z.array(z.unknown()) })` checks the same for 6 to 10 times
 * the CPU (~0.04 µs a chunk against ~0.006; bench/readers.ts).
 */
export function isChatChunk(value: unknown): value is ChatChunk {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as { choices?: unknown }).choices)
  );
}

/** Checks an answer, which then goes on as it came (the schema's output keeps only what it names). */
export function isChatResponse(value: unknown): value is ChatResponse {
  return openaiChatResponseSchema.safeParse(value).success;
}

/** An error object sent in-band, as a JSON body or as an SSE event (`{"error": {...}}`). */
export const openaiErrorSchema = z.object({
  error: z.object({
    message: z.string().catch(''),
    // Some vendors send a number or an object here: it says nothing the gateway can pass on.
    param: z.string().nullable().catch(null),
    code: z.string().nullable().catch(null),
  }),
});

export type OpenAIErrorDetail = { message: string; param?: string | null; code?: string | null };

/** The error an in-band or HTTP error body holds; `{message: ''}` when it holds none. */
export function readErrorObject(value: unknown): OpenAIErrorDetail {
  return openaiErrorSchema.safeParse(value).data?.error ?? { message: '' };
}

/** The Responses API's usage: input and output counts, with the cached and reasoning ones inside them. */
const responsesUsageSchema = z.looseObject({
  input_tokens: z.number(),
  output_tokens: z.number(),
  total_tokens: z.number().optional(),
  input_tokens_details: z.looseObject({ cached_tokens: z.number().optional() }).nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: z.number().optional() }).nullish(),
});

export type ResponsesUsage = z.infer<typeof responsesUsageSchema>;

/** A Response (POST /v1/responses): what the gateway reads of it; the rest goes to the client as it came. */
export const responsesAnswerSchema = z.looseObject({
  id: z.string(),
  model: z.string().optional(),
  created_at: z.number().optional(),
  status: z.string().optional(),
  incomplete_details: z.looseObject({ reason: z.string().optional() }).nullish(),
  output: z.array(z.looseObject({ type: z.string() })),
  usage: responsesUsageSchema.nullish(),
});

export type ResponsesAnswer = z.infer<typeof responsesAnswerSchema>;
