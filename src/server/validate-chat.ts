// The body of POST /v1/chat/completions as a zod schema, refused in OpenAI's own words (see validation.ts).
// It checks what the gateway interprets; parameters it does not interpret, and unknown ones, are left for
// the upstream to judge.
import { z } from 'zod';
import type { ChatRequest } from '../core/types.js';
import { invalidIsMissing, missingIssue, nullIsMissing, openAIIssue, validateOpenAI } from './validation.js';

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: invalidIsMissing(z.looseObject({ url: invalidIsMissing(z.string()) })),
});
// Any other part type (input_audio, file, a vendor's video_url, ...) is the upstream's to judge. The
// refinement aborts so that a broken text or image part reports its own fault, not this option's.
const otherPart = z.looseObject({
  type: invalidIsMissing(
    z.string().refine((type) => type !== 'text' && type !== 'image_url', { abort: true }),
  ),
});
const parts = z.array(z.union([textPart, imagePart, otherPart]));

const content = nullIsMissing(z.union([z.string(), parts.min(1)]));
// A call the gateway may have to translate for another provider: its id, and the function's name and
// arguments (a JSON string). Custom tool calls (`type: 'custom'`) carry `custom` instead of `function`.
const functionToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
const customToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('custom'),
  custom: z.looseObject({ name: z.string(), input: z.string() }),
});
// Checked for every role, as OpenAI does.
const toolCalls = z.array(z.union([functionToolCall, customToolCall])).nullish();

const turn = <Role extends string>(role: Role) =>
  z.looseObject({ role: z.literal(role), content, tool_calls: toolCalls });

const assistant = z
  .looseObject({
    role: z.literal('assistant'),
    content: z.union([z.string(), parts]).nullish(),
    tool_calls: toolCalls,
  })
  .check((ctx) => {
    // Only an assistant turn that calls tools (or refuses) may come without content.
    const message = ctx.value;
    const callsTools = Array.isArray(message.tool_calls) && message.tool_calls.length > 0;
    if (message.content == null && !callsTools && message.refusal == null && message.function_call == null) {
      ctx.issues.push(missingIssue(message, ['content']));
    }
  });

const message = z.discriminatedUnion('role', [
  turn('system'),
  turn('developer'),
  turn('user'),
  assistant,
  z.looseObject({
    role: z.literal('tool'),
    content,
    tool_call_id: invalidIsMissing(z.string()),
    tool_calls: toolCalls,
  }),
]);

const decimal = (min: number, max: number) => z.number().min(min).max(max).nullish();
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().min(min).max(max).nullish();

// Keys in the order the faults are reported: the first one found is the one the client sees.
const chatRequest = z
  .looseObject({
    model: z.string(),
    messages: z.array(message).min(1),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
    temperature: decimal(0, 2),
    top_p: decimal(0, 1),
    n: integer(1, 128),
    presence_penalty: decimal(-2, 2),
    frequency_penalty: decimal(-2, 2),
    max_tokens: integer(1),
    max_completion_tokens: integer(1),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  })
  .check((ctx) => {
    const body = ctx.value;
    if (body.stream_options != null && body.stream !== true) {
      ctx.issues.push(
        openAIIssue(
          body,
          ['stream_options'],
          'invalid_value',
          "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        ),
      );
    }
  });

// Compiled once into generated code (about 4x faster than zod's interpreter on this schema); strict, so a
// schema zod cannot compile fails at load instead of silently running slower.
const compiled = z.compile(chatRequest, { strict: true });

export function validateChatRequest(body: unknown): ChatRequest {
  // The schema covers the fields the gateway reads; ChatRequest's other fields are optional and passed on.
  return validateOpenAI(compiled, body) as ChatRequest;
}
