// Canonical (OpenAI) messages and tools → Cohere v2 `messages`, `tools` and `tool_choice`. The shapes are
// close (Cohere v2 took OpenAI's tool calls as they are); content Cohere cannot take is refused, never
// silently dropped.
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage, ChatRequest } from '../../core/types.js';
import type { CohereChatRequest, CohereContentPart, CohereMessage, CohereTool } from './cohere-api.js';

function textOf(content: ChatMessage['content'], at: string): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .map((part, i) => {
      if ((part.type === 'text' || part.type === 'refusal') && typeof part.text === 'string')
        return part.text;
      if (part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
      throw invalidRequest(`Cohere takes only text here, not '${part.type}' parts.`, `${at}.content[${i}]`);
    })
    .join('');
}

function userContent(content: ChatMessage['content'], at: string): string | CohereContentPart[] {
  if (typeof content === 'string' || !content) return content ?? '';
  return content.map((part, i): CohereContentPart => {
    if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
    if (part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
      const { url, detail } = part.image_url;
      return detail === 'auto' || detail === 'low' || detail === 'high'
        ? { type: 'image_url', image_url: { url, detail } }
        : { type: 'image_url', image_url: { url } };
    }
    throw invalidRequest(
      `Cohere does not take '${part.type}' content parts.`,
      `${at}.content[${i}]`,
      'unsupported_content',
    );
  });
}

export function convertToCohereMessages(input: readonly ChatMessage[]): CohereMessage[] {
  return input.map((message, i): CohereMessage => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: textOf(message.content, at) };
      case 'user':
        return { role: 'user', content: userContent(message.content, at) };
      case 'assistant': {
        const out: CohereMessage & { role: 'assistant' } = { role: 'assistant' };
        const text = textOf(message.content, at);
        if (text !== '') out.content = text;
        if (message.tool_calls && message.tool_calls.length > 0) {
          out.tool_calls = message.tool_calls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.function.name, arguments: call.function.arguments },
          }));
        }
        return out;
      }
      case 'tool':
        return {
          role: 'tool',
          tool_call_id: message.tool_call_id ?? '',
          content: textOf(message.content, at),
        };
    }
    throw invalidRequest(`Unknown role '${String(message.role)}'.`, `${at}.role`);
  });
}

type ToolFields = Pick<CohereChatRequest, 'tools' | 'tool_choice' | 'strict_tools'>;

/**
 * OpenAI `tools` + `tool_choice` → Cohere. Cohere cannot force one named tool; offering only that tool with
 * `REQUIRED` is the same thing, so that is what is sent.
 */
export function convertToCohereTools(request: ChatRequest): ToolFields {
  const tools = Array.isArray(request.tools) ? request.tools : [];
  if (tools.length === 0) return {};
  let strict = true;
  let converted: CohereTool[] = tools.map((tool: unknown, i) => {
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) {
      throw invalidRequest('Cohere takes only function tools.', `tools[${i}]`);
    }
    const fn = tool.function;
    if (fn.strict !== true) strict = false;
    const out: CohereTool = {
      type: 'function',
      function: {
        name: String(fn.name ?? ''),
        parameters: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
      },
    };
    if (typeof fn.description === 'string' && fn.description !== '')
      out.function.description = fn.description;
    return out;
  });
  const choice = request.tool_choice;
  const fields: ToolFields = {};
  if (choice === 'required') fields.tool_choice = 'REQUIRED';
  else if (choice === 'none') fields.tool_choice = 'NONE';
  else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') {
    const name = choice.function.name;
    converted = converted.filter((tool) => tool.function.name === name);
    if (converted.length === 0)
      throw invalidRequest(`tool_choice names '${name}', which is not in tools.`, 'tool_choice');
    fields.tool_choice = 'REQUIRED';
  }
  fields.tools = converted;
  if (strict) fields.strict_tools = true;
  return fields;
}
