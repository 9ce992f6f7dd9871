// Responses input items → chat messages. Messages keep their role (developer and system included); an
// assistant's `function_call` items join its turn as `tool_calls`, and each `function_call_output` becomes a
// `tool` message, so every provider's translation sees the pairing it needs. Reasoning items cannot go back
// through a chat request and are left out (a provider's own reasoning is not replayable across models).
// What has no chat form (an image by file id, a built-in tool's item) is told to `untranslatable` and left
// out: it refuses the request only where it cannot pass through (see door.ts).
import { type GatewayError, invalidRequest } from '../../core/errors.js';
import type { ChatMessage, ContentPart as ChatPart, ToolCall } from '../../core/types.js';
import type { ContentPart, InputItem } from './request.js';
import { namespacedName } from './tools.js';

function unsupported(message: string, param: string) {
  return invalidRequest(message, param, 'unsupported_content');
}

/** Told what has no chat form; the first one is why the request cannot be translated. */
export type Untranslatable = (why: GatewayError) => void;

/** What stands for a part that has no chat form (nothing: it is left out). */
const LEFT_OUT: ChatPart = { type: 'text', text: '' };

function chatPart(part: ContentPart, param: string, untranslatable: Untranslatable): ChatPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image': {
      if (typeof part.image_url !== 'string') {
        untranslatable(
          unsupported(
            'Images by file_id are files stored at OpenAI; send the image as image_url (a URL or a data URL).',
            `${param}.image_url`,
          ),
        );
        return LEFT_OUT;
      }
      const image: { url: string; detail?: 'auto' | 'low' | 'high' } = { url: part.image_url };
      if (part.detail) image.detail = part.detail;
      return { type: 'image_url', image_url: image };
    }
    case 'input_file': {
      if (typeof part.file_data !== 'string') {
        untranslatable(
          unsupported(
            'Files by file_id or file_url are not fetched by this gateway; send the file inline as file_data.',
            `${param}.file_data`,
          ),
        );
        return LEFT_OUT;
      }
      const file: Record<string, string> = { file_data: part.file_data };
      if (part.filename) file.filename = part.filename;
      return { type: 'file', file };
    }
  }
}

function chatContent(
  content: string | ContentPart[],
  param: string,
  untranslatable: Untranslatable,
): string | ChatPart[] {
  if (typeof content === 'string') return content;
  return content.map((part, i) => chatPart(part, `${param}[${i}]`, untranslatable));
}

/** An assistant turn's words as one string (chat's assistant content), or null when it has none. */
function assistantText(content: string | ContentPart[]): string | null {
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const part of content) {
    if (part.type === 'output_text' || part.type === 'input_text') texts.push(part.text);
    else if (part.type === 'refusal') texts.push(part.refusal);
  }
  return texts.length > 0 ? texts.join('') : null;
}

/**
 * Appends the chat messages for `items` to `messages`; `at` names the items in errors (`input`). A stored
 * conversation's items of built-in tools (`previous_response_id`: a web search the upstream ran) are its
 * record of what happened and are left out quietly; the messages around them carry what they found.
 */
export function appendItems(
  messages: ChatMessage[],
  items: readonly InputItem[],
  at: string,
  untranslatable: Untranslatable,
): void {
  for (const [i, item] of items.entries()) {
    const param = `${at}[${i}]`;
    const last = messages[messages.length - 1];
    switch (item.type) {
      case undefined:
      case 'message': {
        const message = item as Extract<InputItem, { role: string }>;
        if (message.role === 'assistant') {
          messages.push({ role: 'assistant', content: assistantText(message.content) });
        } else {
          messages.push({
            role: message.role,
            content: chatContent(message.content, `${param}.content`, untranslatable),
          });
        }
        break;
      }
      case 'function_call': {
        const call = item as Extract<InputItem, { type: 'function_call' }>;
        const toolCall: ToolCall = {
          id: call.call_id,
          type: 'function',
          function: {
            name: call.namespace ? namespacedName(call.namespace, call.name) : call.name,
            arguments: call.arguments,
          },
        };
        // Calls made in one turn belong to that turn's assistant message.
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), toolCall];
        else messages.push({ role: 'assistant', content: null, tool_calls: [toolCall] });
        break;
      }
      case 'function_call_output': {
        const result = item as Extract<InputItem, { type: 'function_call_output' }>;
        messages.push({
          role: 'tool',
          tool_call_id: result.call_id,
          content: chatContent(result.output, `${param}.output`, untranslatable),
        });
        break;
      }
      case 'reasoning':
        break;
      case 'item_reference':
        untranslatable(
          unsupported(
            'item_reference is not supported: send the item itself, or continue with previous_response_id.',
            param,
          ),
        );
        break;
      default:
        if (at === 'previous_response_id') break;
        untranslatable(
          unsupported(
            `Input items of type '${item.type}' come from tools built into OpenAI's platform, which this gateway does not run for this model.`,
            `${param}.type`,
          ),
        );
    }
  }
}
