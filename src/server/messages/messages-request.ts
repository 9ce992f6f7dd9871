// Reads a Messages API request (POST /v1/messages, https://docs.anthropic.com/en/api/messages): validates
// what the gateway relies on, in Anthropic's own words ("messages.0.role: ..."), and leaves the rest as
// sent (Anthropic-protocol upstreams get the body unchanged, so fields this code does not know still reach
// them). Translation to the canonical request is messages-to-chat.ts's.
import { z } from 'zod';
import { invalidRequest } from '../../core/errors.js';

const block = z.object({ type: z.string() }).loose();

const content = z.union([z.string(), z.array(block)]);

const message = z
  .object({
    role: z.enum(['user', 'assistant'], { error: "Input should be 'user' or 'assistant'" }),
    content,
  })
  .loose();

const tool = z.object({ name: z.string().optional(), type: z.string().optional() }).loose();

const toolChoice = z
  .object({
    type: z.enum(['auto', 'any', 'tool', 'none']),
    name: z.string().optional(),
    disable_parallel_tool_use: z.boolean().optional(),
  })
  .loose();

export const messagesRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(message),
    max_tokens: z.number().int().min(1),
    system: z.union([z.string(), z.array(block)]).optional(),
    stop_sequences: z.array(z.string()).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    tools: z.array(tool).optional(),
    tool_choice: toolChoice.optional(),
    metadata: z.object({ user_id: z.string().nullish() }).loose().optional(),
    thinking: z.object({ type: z.string() }).loose().optional(),
  })
  .loose();

export type MessagesRequest = z.output<typeof messagesRequestSchema>;
export type MessageBlock = z.output<typeof block>;
export type MessagesMessage = z.output<typeof message>;

/** The count_tokens body: a Messages request without max_tokens (and never streamed). */
export const countTokensRequestSchema = messagesRequestSchema
  .omit({ max_tokens: true, stream: true })
  .extend({ max_tokens: z.number().int().min(1).optional() });
export type CountTokensRequest = z.output<typeof countTokensRequestSchema>;

/** Anthropic's wording of a validation problem: `path: message`, path segments joined by dots. */
function wording(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'Field required';
  return path === '' ? message : `${path}: ${message}`;
}

/** Validates a body with `schema`, throwing a 400 in Anthropic's words (the first problem found). */
export function readMessagesBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object.');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw invalidRequest(wording(issue), issue.path.map(String).join('.') || null);
}
