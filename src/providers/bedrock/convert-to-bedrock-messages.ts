// Canonical (OpenAI) messages and tools → Converse `system`, `messages` and `toolConfig`. Converse wants
// user and assistant turns to alternate, so consecutive turns of one role (tool results, then a user
// question) are merged into one message. Content Converse cannot take is refused, never silently dropped.

import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage, ChatRequest, ContentPart } from '../../core/types.js';
import type {
  BedrockContentBlock,
  BedrockImageFormat,
  BedrockMessage,
  BedrockToolChoice,
  BedrockToolConfig,
} from './bedrock-api.js';

const IMAGE_FORMATS: Readonly<Record<string, BedrockImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function imageBlock(url: string, at: string): BedrockContentBlock {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (!match) {
    throw invalidRequest(
      'Bedrock takes images only inline: pass them as base64 `data:` URLs.',
      at,
      'unsupported_image_url',
    );
  }
  const format = IMAGE_FORMATS[match[1]?.toLowerCase() ?? ''];
  if (!format)
    throw invalidRequest(`Bedrock does not take images of type ${match[1]}.`, at, 'unsupported_image_type');
  return { image: { format, source: { bytes: match[2] ?? '' } } };
}

/** Text parts joined: for system prompts and tool results. */
function textOf(content: ChatMessage['content'], at: string): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .map((part, i) => {
      if (part.type === 'text' && typeof part.text === 'string') return part.text;
      throw invalidRequest(`Bedrock takes only text here, not '${part.type}' parts.`, `${at}.content[${i}]`);
    })
    .join('');
}

function contentBlocks(content: ChatMessage['content'], at: string): BedrockContentBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!content) return [];
  return content.flatMap((part: ContentPart, i): BedrockContentBlock[] => {
    const where = `${at}.content[${i}]`;
    if ((part.type === 'text' || part.type === 'refusal') && typeof part.text === 'string') {
      return part.text === '' ? [] : [{ text: part.text }];
    }
    if (part.type === 'refusal' && typeof part.refusal === 'string') return [{ text: part.refusal }];
    if (part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
      return [imageBlock(part.image_url.url, where)];
    }
    throw invalidRequest(`Bedrock does not take '${part.type}' content parts.`, where, 'unsupported_content');
  });
}

function toolInput(args: string, at: string): unknown {
  try {
    const input: unknown = JSON.parse(args === '' ? '{}' : args);
    if (isObject(input)) return input;
  } catch {
    // Reported below.
  }
  throw invalidRequest('Bedrock needs tool call arguments that are a JSON object.', at);
}

export interface ConvertedMessages {
  system: Array<{ text: string }>;
  messages: BedrockMessage[];
  /** Whether any turn holds a toolUse or toolResult block (Converse then requires `toolConfig`). */
  usesTools: boolean;
}

export function convertToBedrockMessages(input: readonly ChatMessage[]): ConvertedMessages {
  const system: Array<{ text: string }> = [];
  const messages: BedrockMessage[] = [];
  let usesTools = false;
  const push = (role: 'user' | 'assistant', blocks: BedrockContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  input.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content, at);
        if (text !== '') system.push({ text });
        return;
      }
      case 'user':
        push('user', contentBlocks(message.content, at));
        return;
      case 'assistant': {
        const blocks = contentBlocks(message.content, at);
        for (const [j, call] of (message.tool_calls ?? []).entries()) {
          usesTools = true;
          blocks.push({
            toolUse: {
              toolUseId: call.id,
              name: call.function.name,
              input: toolInput(call.function.arguments, `${at}.tool_calls[${j}].function.arguments`),
            },
          });
        }
        push('assistant', blocks);
        return;
      }
      case 'tool': {
        usesTools = true;
        const text = textOf(message.content, at);
        push('user', [
          { toolResult: { toolUseId: message.tool_call_id ?? '', content: text === '' ? [] : [{ text }] } },
        ]);
        return;
      }
    }
  });
  return { system, messages, usesTools };
}

function toolChoice(choice: unknown): BedrockToolChoice | undefined | 'none' {
  if (choice === 'none') return 'none';
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { tool: { name: choice.function.name } };
  }
  return undefined;
}

/**
 * OpenAI `tools` + `tool_choice` → Converse `toolConfig`. Converse has no "none": without tool turns in the
 * history the tools are left out (the model cannot call what it does not see); with them Converse insists
 * on `toolConfig`, so the tools stay and a warning says `tool_choice` could not be honoured.
 */
export function convertToBedrockTools(
  request: ChatRequest,
  usesTools: boolean,
  warn: (message: string) => void,
): BedrockToolConfig | undefined {
  const tools = Array.isArray(request.tools) ? request.tools : [];
  const specs = tools.map((tool: unknown, i) => {
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) {
      throw invalidRequest('Bedrock takes only function tools.', `tools[${i}]`);
    }
    const fn = tool.function;
    const spec: BedrockToolConfig['tools'][number]['toolSpec'] = {
      name: String(fn.name ?? ''),
      inputSchema: { json: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} } },
    };
    if (typeof fn.description === 'string' && fn.description !== '') spec.description = fn.description;
    return { toolSpec: spec };
  });
  if (specs.length === 0) return undefined;
  const choice = toolChoice(request.tool_choice);
  if (choice === 'none') {
    if (!usesTools) return undefined;
    warn(
      "'tool_choice' none is not supported by Bedrock when the conversation has tool calls; it was dropped",
    );
    return { tools: specs };
  }
  return choice ? { tools: specs, toolChoice: choice } : { tools: specs };
}
