// The canonical chat answer → Response output items: the reasoning the provider gave (as a summary), the
// assistant's text (or refusal) as a message, and each tool call as a `function_call` item.
import type { ChatResponse, FinishReason, ToolCall } from '../../core/types.js';
import {
  itemId,
  type OutputItem,
  type ResponseContext,
  type ResponseState,
  responseUsage,
} from './response-object.js';

/** The reasoning text a provider sent beside the answer (`reasoning_content` or `reasoning`), if any. */
export function reasoningText(fields: Record<string, unknown>): string | undefined {
  const text = fields.reasoning_content ?? fields.reasoning;
  return typeof text === 'string' && text.length > 0 ? text : undefined;
}

export const reasoningItem = (id: string, text: string): OutputItem => ({
  id,
  type: 'reasoning',
  summary: [{ type: 'summary_text', text }],
});

export const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

export function messageItem(
  id: string,
  status: 'completed' | 'incomplete',
  content: Record<string, unknown>[],
): OutputItem {
  return { id, type: 'message', status, role: 'assistant', content };
}

export function functionCallItem(
  context: ResponseContext,
  id: string,
  call: { id: string; name: string; arguments: string },
  status: 'in_progress' | 'completed' | 'incomplete',
): OutputItem {
  const namespaced = context.namespaced.get(call.name);
  return {
    id,
    type: 'function_call',
    status,
    arguments: call.arguments,
    call_id: call.id,
    ...(namespaced ? { namespace: namespaced.namespace, name: namespaced.name } : { name: call.name }),
  };
}

/** How a finish reason ends a response: completed, or incomplete with OpenAI's reason. */
export function ending(finish: FinishReason | null): Pick<ResponseState, 'status' | 'incompleteReason'> {
  if (finish === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (finish === 'content_filter') return { status: 'incomplete', incompleteReason: 'content_filter' };
  return { status: 'completed' };
}

export function responseState(context: ResponseContext, response: ChatResponse): ResponseState {
  const choice = response.choices[0];
  const output: OutputItem[] = [];
  const end = ending(choice?.finish_reason ?? null);
  const itemStatus = end.status === 'completed' ? 'completed' : 'incomplete';
  if (choice) {
    const { message } = choice;
    const reasoning = reasoningText(message);
    if (reasoning !== undefined)
      output.push(reasoningItem(itemId(context.id, 'rs', output.length), reasoning));
    const content: Record<string, unknown>[] = [];
    if (typeof message.content === 'string' && message.content.length > 0)
      content.push(outputText(message.content));
    if (typeof message.refusal === 'string' && message.refusal.length > 0)
      content.push({ type: 'refusal', refusal: message.refusal });
    if (content.length > 0)
      output.push(messageItem(itemId(context.id, 'msg', output.length), itemStatus, content));
    for (const call of (message.tool_calls ?? []) as ToolCall[]) {
      if (call.type !== 'function') continue;
      output.push(
        functionCallItem(
          context,
          itemId(context.id, 'fc', output.length),
          { id: call.id, name: call.function.name, arguments: call.function.arguments },
          itemStatus,
        ),
      );
    }
  }
  return {
    createdAt: response.created,
    ...end,
    output,
    usage: response.usage ? responseUsage(response.usage) : null,
  };
}
