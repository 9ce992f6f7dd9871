// The canonical (OpenAI) request → an Anthropic Messages request body. What happens to each parameter is
// in parameters.ts; this file does the work. Requests Anthropic cannot express without changing their meaning
// (audio input, file ids, malformed tool calls) are refused with a 400 here, before anything is sent.
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage, ChatRequest, ContentPart } from '../../core/types.js';
import type {
  AnthropicContentBlock,
  AnthropicImageBlock,
  AnthropicMessage,
  AnthropicRequest,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
  UserPartBlock,
} from './anthropic-api.js';
import {
  ANTHROPIC_MAX_TEMPERATURE,
  DEFAULT_MAX_TOKENS,
  isNeutral,
  JSON_TOOL_NAME,
  parameterRule,
  rejectsTemperatureWithTopP,
} from './parameters.js';

export interface ConvertedRequest {
  body: AnthropicRequest & Record<string, unknown>;
  /** Set when `response_format` asked for JSON: the tool whose input is the answer's content. */
  jsonTool: string | undefined;
}

export function convertToAnthropicRequest(
  request: ChatRequest,
  providerId: string,
  warnings: string[],
): ConvertedRequest {
  const warn = (message: string) => {
    if (!warnings.includes(message)) warnings.push(message);
  };
  const { system, messages } = convertMessages(request.messages, providerId, warn);
  const body: AnthropicRequest & Record<string, unknown> = {
    model: request.model,
    messages,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system) body.system = system;

  const stops = typeof request.stop === 'string' ? [request.stop] : (request.stop ?? []);
  const stopSequences = stops.filter((s) => s !== '');
  if (stopSequences.length > 0) body.stop_sequences = stopSequences;

  let temperature = request.temperature ?? undefined;
  if (temperature !== undefined && temperature > ANTHROPIC_MAX_TEMPERATURE) {
    warn(
      `'temperature' ${temperature} is above the maximum of provider '${providerId}' and was clamped to ${ANTHROPIC_MAX_TEMPERATURE}`,
    );
    temperature = ANTHROPIC_MAX_TEMPERATURE;
  }
  if (temperature !== undefined) body.temperature = temperature;
  const topP = request.top_p ?? undefined;
  if (topP !== undefined) {
    if (temperature !== undefined && rejectsTemperatureWithTopP(request.model)) {
      warn(`'top_p' cannot be combined with 'temperature' on model '${request.model}' and was dropped`);
    } else body.top_p = topP;
  }

  const userId = stringParam(request.safety_identifier) ?? stringParam(request.user);
  if (userId !== undefined) body.metadata = { user_id: userId };

  const jsonTool = applyTools(request, body, warn);

  for (const [name, value] of Object.entries(request)) {
    const rule = parameterRule(name);
    if (rule?.rule === 'passed') {
      if (value !== null && value !== undefined) body[name] = value;
    } else if (rule?.rule === 'emulated-by-router') {
      if (name === 'n' && typeof value === 'number' && value > 1) {
        warn(`'n' is not supported by provider '${providerId}': only one choice was generated`);
      }
    } else if (rule?.rule !== 'translated' && !isNeutral(rule, value)) {
      warn(`'${name}' is not supported by provider '${providerId}' and was dropped`);
    }
  }
  applyThinking(request, body, warn);
  return { body, jsonTool };
}

// --- reasoning_effort → extended thinking ---

/** Whether a model has extended thinking: claude-3-7-sonnet and every Claude 4 model. */
export function hasExtendedThinking(model: string): boolean {
  if (/claude-3-7-sonnet/.test(model)) return true;
  const match = /claude-(?:opus|sonnet|haiku)-(\d+)/.exec(model);
  return match !== null && Number(match[1]) >= 4;
}

/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024;

/**
 * reasoning_effort → Anthropic's extended thinking with a token budget (thinking tokens are output tokens,
 * inside `max_tokens`). Without a client `max_tokens` the budget is added to the default answer allowance;
 * with one, thinking gets at most half of it, and none when half is below Anthropic's minimum.
 */
export const THINKING_BUDGETS: Readonly<Record<string, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  // Claude Opus 4 answers at most 32,000 tokens: the budget and the default allowance must fit.
  xhigh: 24576,
};

/** The thinking budget for this request, or why Anthropic cannot think for it. */
function thinkingBudget(
  request: ChatRequest,
  body: AnthropicRequest & Record<string, unknown>,
  effort: string,
): number | string {
  const budget = THINKING_BUDGETS[effort];
  if (budget === undefined) return `'${effort}' is not an effort tokgate maps to a thinking budget`;
  if (!hasExtendedThinking(request.model)) return `model '${request.model}' has no extended thinking`;
  const choice = body.tool_choice?.type;
  if (choice === 'any' || choice === 'tool')
    return 'Anthropic does not think when a tool call is forced (tool_choice, or response_format)';
  // An open tool loop: Anthropic wants the earlier turn's thinking block, signed, which chat cannot carry.
  const lastAssistant = body.messages.findLast((m) => m.role === 'assistant');
  if (Array.isArray(lastAssistant?.content) && lastAssistant.content.some((b) => b.type === 'tool_use'))
    return 'the conversation continues a tool call, whose thinking block cannot be sent back';
  const requested = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  if (requested === undefined) return budget;
  const thinking = Math.min(budget, Math.floor(requested / 2));
  return thinking >= MIN_THINKING_BUDGET
    ? thinking
    : `max_tokens ${requested} leaves less than ${MIN_THINKING_BUDGET * 2} tokens to think and answer`;
}

function applyThinking(
  request: ChatRequest,
  body: AnthropicRequest & Record<string, unknown>,
  warn: (message: string) => void,
): void {
  const effort = request.reasoning_effort;
  if (typeof effort !== 'string' || effort === 'none') return;
  const budget = thinkingBudget(request, body, effort);
  if (typeof budget === 'string') {
    warn(`'reasoning_effort' was not applied: ${budget}`);
    return;
  }
  // Without a client max_tokens the budget comes on top of the default answer allowance.
  if ((request.max_completion_tokens ?? request.max_tokens ?? undefined) === undefined)
    body.max_tokens = DEFAULT_MAX_TOKENS + budget;
  body.thinking = { type: 'enabled', budget_tokens: budget };
  // Thinking works only at the model's own temperature, and top_p from 0.95 up.
  if (body.temperature !== undefined && body.temperature !== 1) {
    warn("'temperature' cannot be set with extended thinking on Anthropic and was dropped");
    delete body.temperature;
  }
  if (body.top_p !== undefined && body.top_p < 0.95) {
    warn("'top_p' below 0.95 cannot be set with extended thinking on Anthropic and was dropped");
    delete body.top_p;
  }
  if (body.top_k !== undefined) {
    warn("'top_k' cannot be set with extended thinking on Anthropic and was dropped");
    delete body.top_k;
  }
}

const stringParam = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

// --- Tools, tool_choice, parallel_tool_calls, response_format ---

function applyTools(
  request: ChatRequest,
  body: AnthropicRequest & Record<string, unknown>,
  warn: (message: string) => void,
): string | undefined {
  const tools = convertTools(request.tools, warn);
  let choice = convertToolChoice(request.tool_choice);
  const json = convertResponseFormat(request.response_format);
  const disableParallel = request.parallel_tool_calls === false;

  if (json) {
    if (choice?.type === 'none') tools.length = 0; // the caller's tools may not be called; only the answer
    tools.push(json);
    // Force the JSON tool, or any tool when the caller's tools may be called first.
    if (tools.length === 1) choice = { type: 'tool', name: json.name };
    else if (choice?.type !== 'tool') choice = { type: 'any' };
  }
  if (tools.length === 0) return undefined; // tool_choice without tools asks for nothing
  body.tools = tools;
  if (disableParallel && choice?.type !== 'none') {
    choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  if (choice) body.tool_choice = choice;
  return json?.name;
}

function convertTools(value: unknown, warn: (message: string) => void): AnthropicTool[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest("'tools' must be an array.", 'tools');
  return value.map((tool, i): AnthropicTool => {
    const fn =
      isObject(tool) && tool.type === 'function' && isObject(tool.function) ? tool.function : undefined;
    if (!fn || typeof fn.name !== 'string') {
      throw invalidRequest(
        `tools[${i}]: only function tools with a name are supported by Anthropic.`,
        `tools[${i}]`,
      );
    }
    if (fn.strict === true) warn("'strict' on tools is not supported by Anthropic and was ignored");
    const out: AnthropicTool = {
      name: fn.name,
      input_schema: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    };
    if (typeof fn.description === 'string') out.description = fn.description;
    return out;
  });
}

function convertToolChoice(value: unknown): AnthropicToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto') return { type: 'auto' };
  if (value === 'none') return { type: 'none' };
  if (value === 'required') return { type: 'any' };
  if (isObject(value) && value.type === 'function' && isObject(value.function)) {
    const name = value.function.name;
    if (typeof name === 'string') return { type: 'tool', name };
  }
  throw invalidRequest(
    "'tool_choice' must be 'auto', 'none', 'required' or {type:'function', function:{name}}.",
    'tool_choice',
  );
}

/** JSON answers, the documented Anthropic way: a forced tool whose input_schema is the wanted schema. */
function convertResponseFormat(value: unknown): AnthropicTool | undefined {
  if (!isObject(value) || value.type === 'text') return undefined;
  if (value.type === 'json_object') {
    return {
      name: JSON_TOOL_NAME,
      description: 'Give the answer as a JSON object: call this tool with the answer as its input.',
      input_schema: { type: 'object', additionalProperties: true },
    };
  }
  if (value.type === 'json_schema' && isObject(value.json_schema)) {
    const spec = value.json_schema;
    const schema = isObject(spec.schema) ? spec.schema : { type: 'object', additionalProperties: true };
    const about = typeof spec.description === 'string' ? ` ${spec.description}` : '';
    return {
      name: JSON_TOOL_NAME,
      description: `Give the answer as JSON matching the schema: call this tool with the answer as its input.${about}`,
      input_schema: schema,
    };
  }
  throw invalidRequest(
    "'response_format' must be of type text, json_object or json_schema.",
    'response_format',
  );
}

// --- Messages ---

interface Turn {
  role: 'user' | 'assistant';
  blocks: AnthropicContentBlock[];
}

function convertMessages(
  input: readonly ChatMessage[],
  providerId: string,
  warn: (message: string) => void,
): { system: string | AnthropicTextBlock[] | undefined; messages: AnthropicMessage[] } {
  const system: AnthropicTextBlock[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn['role'], blocks: AnthropicContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    // Anthropic alternates user and assistant turns: consecutive same-role messages become one turn.
    if (last?.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };

  input.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (typeof message.name === 'string' && message.name !== '') {
      warn(`'name' on messages is not supported by provider '${providerId}' and was dropped`);
    }
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content, at));
        return;
      case 'user':
        push('user', contentBlocks(message.content, at, warn));
        return;
      case 'assistant':
        push('assistant', assistantBlocks(message, at));
        return;
      case 'tool':
        push('user', [toolResult(message, at, warn)]);
        return;
      default:
        throw invalidRequest(`${at}: unknown role '${String(message.role)}'.`, `${at}.role`);
    }
  });

  const messages = turns.map(({ role, blocks }): AnthropicMessage => {
    // tool_result blocks must open a user turn, before any text the user adds.
    const ordered =
      role === 'user'
        ? [
            ...blocks.filter((b) => b.type === 'tool_result'),
            ...blocks.filter((b) => b.type !== 'tool_result'),
          ]
        : blocks;
    const only = ordered[0];
    return {
      role,
      content: ordered.length === 1 && only?.type === 'text' ? only.text : ordered,
    };
  });
  trimFinalAssistant(messages);

  const systemOut = system.length === 0 ? undefined : system.length === 1 ? system[0]?.text : system;
  return { system: systemOut, messages };
}

/** Anthropic refuses a final (prefill) assistant turn that ends in whitespace; the whitespace means nothing. */
function trimFinalAssistant(messages: AnthropicMessage[]): void {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return;
  if (typeof last.content === 'string') {
    last.content = last.content.trimEnd();
    if (last.content === '') messages.pop();
    return;
  }
  const block = last.content.at(-1);
  if (block?.type === 'text') {
    block.text = block.text.trimEnd();
    if (block.text === '') last.content.pop();
  }
}

function text(value: string): AnthropicTextBlock[] {
  // Anthropic refuses empty text blocks; an empty string adds nothing.
  return value === '' ? [] : [{ type: 'text', text: value }];
}

/** System and tool contents: text only. */
function textBlocks(content: ChatMessage['content'], at: string): AnthropicTextBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return text(content);
  return content.flatMap((part, j) => {
    if (part.type === 'text' && typeof part.text === 'string') return text(part.text);
    throw invalidRequest(`${at}.content[${j}]: only text parts are allowed here.`, `${at}.content`);
  });
}

function contentBlocks(
  content: ChatMessage['content'],
  at: string,
  warn: (message: string) => void,
): AnthropicContentBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return text(content);
  return content.flatMap((part, j) => partBlocks(part, `${at}.content[${j}]`, warn));
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function partBlocks(part: ContentPart, at: string, warn: (message: string) => void): UserPartBlock[] {
  if (part.type === 'text' && typeof part.text === 'string') return text(part.text);
  if (part.type === 'refusal' && typeof part.refusal === 'string') return text(part.refusal);
  if (part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
    const detail = part.image_url.detail;
    if (detail !== undefined && detail !== 'auto') {
      warn("image 'detail' is not supported by Anthropic and was ignored");
    }
    return [image(part.image_url.url, at)];
  }
  if (part.type === 'file' && isObject(part.file) && typeof part.file.file_data === 'string') {
    const data = DATA_URL.exec(part.file.file_data);
    if (data?.[1] === 'application/pdf' && data[2] !== undefined) {
      const title = typeof part.file.filename === 'string' ? { title: part.file.filename } : {};
      return [
        {
          type: 'document',
          source: { type: 'base64', media_type: 'application/pdf', data: data[2] },
          ...title,
        },
      ];
    }
  }
  throw invalidRequest(
    `${at}: content parts of type '${part.type}' are not supported by Anthropic (text, image_url and PDF files are).`,
    at,
  );
}

function image(url: string, at: string): AnthropicImageBlock {
  const data = DATA_URL.exec(url);
  if (data?.[1] !== undefined && data[2] !== undefined) {
    return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalidRequest(`${at}: an image URL must be an http(s) URL or a base64 data URL.`, at);
}

function assistantBlocks(message: ChatMessage, at: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  const { content } = message;
  if (typeof content === 'string') blocks.push(...text(content));
  else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      if (part.type === 'text' && typeof part.text === 'string') blocks.push(...text(part.text));
      else if (part.type === 'refusal' && typeof part.refusal === 'string')
        blocks.push(...text(part.refusal));
      else throw invalidRequest(`${at}.content[${j}]: only text parts are allowed here.`, `${at}.content`);
    });
  }
  (message.tool_calls ?? []).forEach((call, j) => {
    const where = `${at}.tool_calls[${j}]`;
    let input: unknown;
    try {
      input = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
    } catch {
      throw invalidRequest(`${where}: function.arguments is not valid JSON.`, `${where}.function.arguments`);
    }
    if (!isObject(input)) {
      throw invalidRequest(
        `${where}: function.arguments must be a JSON object for Anthropic.`,
        `${where}.function.arguments`,
      );
    }
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
  });
  return blocks;
}

function toolResult(
  message: ChatMessage,
  at: string,
  warn: (message: string) => void,
): AnthropicToolResultBlock {
  if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') {
    throw invalidRequest(`${at}: a tool message needs tool_call_id.`, `${at}.tool_call_id`);
  }
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: message.tool_call_id };
  const { content } = message;
  // An empty result is sent without content, which Anthropic reads as "no output".
  if (typeof content === 'string' && content !== '') block.content = content;
  else if (Array.isArray(content)) {
    const blocks = content.flatMap((part, j) => partBlocks(part, `${at}.content[${j}]`, warn));
    if (blocks.length > 0) block.content = blocks;
  }
  return block;
}
