// The canonical (chat) answer → a Messages API answer, for models that do not speak the Messages API:
// finish reasons, usage, content blocks. An Anthropic upstream's own answer is relayed instead
// (see messages.ts).
import type { ChatResponse, FinishReason, Usage } from '../../core/types.js';
import { answerId } from '../../pipeline/canonical-answer.js';

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export function stopReasonOf(finish: FinishReason | null | undefined): StopReason {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** Anthropic counts cache reads and writes apart from input_tokens; chat counts them inside prompt_tokens. */
export function messagesUsage(usage: Usage | undefined): MessagesUsage {
  const prompt = usage?.prompt_tokens ?? 0;
  const read = Math.min(usage?.prompt_tokens_details?.cached_tokens ?? 0, prompt);
  const written = Math.min(Number(usage?.prompt_tokens_details?.cache_write_tokens ?? 0) || 0, prompt - read);
  return {
    input_tokens: prompt - read - written,
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: read,
  };
}

/** The answer's `msg_` id: the gateway's request id, as chat answers carry it in `chatcmpl-`. */
export const messageId = (requestId: string) => answerId('msg_', requestId);

/** Tool input as an object: arguments that are not a JSON object (a model's mistake) are kept as text. */
export function toolInput(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Falls through: kept as text.
  }
  return { _raw_arguments: args };
}

/** The first choice as a Message. `stopSequences` tells a stop at one of them from the end of the answer. */
export function chatToMessage(response: ChatResponse, requestId: string, model: string): unknown {
  const choice = response.choices[0];
  const content: unknown[] = [];
  const reasoning = choice?.message.reasoning_content;
  if (typeof reasoning === 'string' && reasoning !== '') {
    content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  }
  const text = choice?.message.content;
  if (typeof text === 'string' && text !== '') content.push({ type: 'text', text });
  for (const call of choice?.message.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments),
    });
  }
  const refusal = choice?.message.refusal;
  if (content.length === 0 && typeof refusal === 'string' && refusal !== '') {
    content.push({ type: 'text', text: refusal });
  }
  return {
    id: messageId(requestId),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReasonOf(choice?.finish_reason),
    stop_sequence: null,
    usage: messagesUsage(response.usage),
  };
}
