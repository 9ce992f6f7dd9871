// A Messages request → the canonical (chat) request. Every request gets one: admission, metering and the
// ledger read it, and upstreams that do not speak the Messages API are sent it. What chat cannot say
// either changes nothing a client relies on (dropped with a warning, shown only when a translation is
// actually sent) or changes the meaning (server tools, documents by file id: the translation is refused,
// while an Anthropic upstream still gets the request as sent).
import { isObject } from '../../core/is-object.js';
import type { ChatMessage, ChatRequest, ContentPart, ToolCall } from '../../core/types.js';
import type { MessageBlock, MessagesMessage, MessagesRequest } from './messages-request.js';

export interface Translation {
  request: ChatRequest;
  /** Said in `x-tokgate-warnings` when a translation is what goes upstream. */
  warnings: string[];
  /** Why the request cannot be translated, when it cannot. */
  refusal: string | undefined;
}

/** Fields of a Messages request that chat has no equivalent for and that only tune the answer. */
const DROPPED_FIELDS: Record<string, string> = {
  thinking: "'thinking' is only supported by Anthropic models and was dropped",
  // OpenAI's API refuses top_k; chat completions has no such parameter.
  top_k: "'top_k' is only supported by Anthropic models and was dropped",
  context_management: "'context_management' is only supported by Anthropic models and was dropped",
  service_tier: "'service_tier' is only supported by Anthropic models and was dropped",
  container: "'container' is only supported by Anthropic models and was dropped",
  output_config: "'output_config' is only supported by Anthropic models and was dropped",
  inference_geo: "'inference_geo' is only supported by Anthropic models and was dropped",
};

/** Fields read by the translation itself. */
const TRANSLATED_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'metadata',
]);

class Translator {
  readonly warnings: string[] = [];
  refusal: string | undefined;

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  refuse(message: string): void {
    this.refusal ??= message;
  }

  text(value: string | MessageBlock[], at: string): string {
    if (typeof value === 'string') return value;
    const parts: string[] = [];
    for (const block of value) {
      if (block.type === 'text' && typeof block.text === 'string') parts.push(block.text);
      else this.refuse(`${at}: '${block.type}' blocks cannot be translated for this model.`);
    }
    return parts.join('\n\n');
  }

  /** A user-side content block as a chat content part. */
  part(block: MessageBlock, at: string): ContentPart | undefined {
    switch (block.type) {
      case 'text':
        return { type: 'text', text: String(block.text ?? '') };
      case 'image': {
        const source = isObject(block.source) ? block.source : {};
        if (source.type === 'base64') {
          return {
            type: 'image_url',
            image_url: { url: `data:${String(source.media_type)};base64,${String(source.data)}` },
          };
        }
        if (source.type === 'url') return { type: 'image_url', image_url: { url: String(source.url) } };
        this.refuse(`${at}: images by '${String(source.type)}' source cannot be translated for this model.`);
        return undefined;
      }
      case 'document': {
        const source = isObject(block.source) ? block.source : {};
        if (source.type === 'text') return { type: 'text', text: String(source.data ?? '') };
        if (source.type === 'base64') {
          const file: Record<string, unknown> = {
            file_data: `data:${String(source.media_type)};base64,${String(source.data)}`,
          };
          if (typeof block.title === 'string') file.filename = block.title;
          return { type: 'file', file };
        }
        this.refuse(
          `${at}: documents by '${String(source.type)}' source cannot be translated for this model.`,
        );
        return undefined;
      }
      default:
        this.refuse(`${at}: '${block.type}' blocks cannot be translated for this model.`);
        return undefined;
    }
  }

  /** One Messages turn as one or more chat messages (tool results become `tool` messages, first). */
  turn(message: MessagesMessage, i: number): ChatMessage[] {
    const at = `messages.${i}`;
    if (typeof message.content === 'string') return [{ role: message.role, content: message.content }];
    if (message.role === 'assistant') return [this.assistant(message.content, at)];
    const out: ChatMessage[] = [];
    const parts: ContentPart[] = [];
    for (const [j, block] of message.content.entries()) {
      if (block.type === 'tool_result') {
        out.push(this.toolResult(block, `${at}.content.${j}`));
        continue;
      }
      const part = this.part(block, `${at}.content.${j}`);
      if (part) parts.push(part);
    }
    if (parts.length > 0) {
      const onlyText = parts.every((p) => p.type === 'text');
      out.push({
        role: 'user',
        content: onlyText ? parts.map((p) => (p as { text: string }).text).join('\n\n') : parts,
      });
    }
    return out;
  }

  toolResult(block: MessageBlock, at: string): ChatMessage {
    const raw = block.content;
    let content: string;
    if (raw === undefined || raw === null) content = '';
    else if (typeof raw === 'string') content = raw;
    else if (Array.isArray(raw)) {
      content = raw
        .map((inner, k) => {
          if (isObject(inner) && inner.type === 'text') return String(inner.text ?? '');
          this.refuse(`${at}.content.${k}: only text tool results can be translated for this model.`);
          return '';
        })
        .join('\n\n');
    } else content = JSON.stringify(raw);
    // Chat has no error flag on a tool result: the model reads it from the text, as Anthropic's would.
    if (block.is_error === true) content = `Error: ${content}`;
    return { role: 'tool', tool_call_id: String(block.tool_use_id ?? ''), content };
  }

  assistant(blocks: MessageBlock[], at: string): ChatMessage {
    const texts: string[] = [];
    const calls: ToolCall[] = [];
    for (const [j, block] of blocks.entries()) {
      if (block.type === 'text') texts.push(String(block.text ?? ''));
      else if (block.type === 'tool_use') {
        calls.push({
          id: String(block.id ?? ''),
          type: 'function',
          function: { name: String(block.name ?? ''), arguments: JSON.stringify(block.input ?? {}) },
        });
      } else if (block.type === 'thinking' || block.type === 'redacted_thinking') {
      } else this.refuse(`${at}.content.${j}: '${block.type}' blocks cannot be translated for this model.`);
    }
    const message: ChatMessage = { role: 'assistant', content: texts.length > 0 ? texts.join('') : null };
    if (calls.length > 0) message.tool_calls = calls;
    return message;
  }

  tools(request: MessagesRequest, chat: ChatRequest): void {
    if (request.tools && request.tools.length > 0) {
      chat.tools = request.tools.map((tool, i) => {
        const custom = tool.type === undefined || tool.type === 'custom';
        if (!custom || typeof tool.name !== 'string') {
          this.refuse(
            `tools.${i}: the server tool '${String(tool.type)}' cannot be translated for this model.`,
          );
        }
        const fn: Record<string, unknown> = {
          name: String(tool.name ?? ''),
          parameters: isObject(tool.input_schema) ? tool.input_schema : { type: 'object', properties: {} },
        };
        if (typeof tool.description === 'string') fn.description = tool.description;
        return { type: 'function', function: fn };
      });
    }
    const choice = request.tool_choice;
    if (!choice) return;
    if (choice.type === 'auto') chat.tool_choice = 'auto';
    else if (choice.type === 'any') chat.tool_choice = 'required';
    else if (choice.type === 'none') chat.tool_choice = 'none';
    else chat.tool_choice = { type: 'function', function: { name: String(choice.name ?? '') } };
    if (choice.disable_parallel_tool_use === true && chat.tools) chat.parallel_tool_calls = false;
  }
}

export function messagesToChat(request: MessagesRequest): Translation {
  const t = new Translator();
  const messages: ChatMessage[] = [];
  if (request.system !== undefined) {
    const system = t.text(request.system, 'system');
    if (system !== '') messages.push({ role: 'system', content: system });
  }
  for (const [i, message] of request.messages.entries()) messages.push(...t.turn(message, i));

  const chat: ChatRequest = { model: request.model, messages, max_tokens: request.max_tokens };
  if (request.stream) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  if (request.stop_sequences && request.stop_sequences.length > 0) chat.stop = request.stop_sequences;
  if (request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== undefined) chat.top_p = request.top_p;
  const userId = request.metadata?.user_id;
  if (typeof userId === 'string' && userId !== '') chat.user = userId;
  t.tools(request, chat);

  for (const [field, value] of Object.entries(request)) {
    if (TRANSLATED_FIELDS.has(field) || value === undefined || value === null) continue;
    t.warn(DROPPED_FIELDS[field] ?? `'${field}' cannot be translated for this model and was dropped`);
  }
  return { request: chat, warnings: t.warnings, refusal: t.refusal };
}
