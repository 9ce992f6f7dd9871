// Validates a chat completion request in OpenAI's own vocabulary (messages, `param` and `code` as the
// OpenAI API words them), so clients that branch on those see what they expect. Parameters the gateway does
// not interpret are left for the upstream to judge.
import { invalidRequest } from '../core/errors.js';
import type { ChatRequest } from '../core/types.js';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

const wrongType = (param: string, expected: string, value: unknown) =>
  invalidRequest(
    `Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.`,
    param,
    'invalid_type',
  );

const missing = (param: string) =>
  invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkRange(
  body: Record<string, unknown>,
  param: string,
  min: number,
  max: number,
  integer: boolean,
): void {
  const value = body[param];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw wrongType(param, integer ? 'an integer' : 'a number', value);
  }
  if (integer && !Number.isInteger(value)) throw wrongType(param, 'an integer', value);
  const kind = integer ? 'integer' : 'decimal';
  if (value < min) {
    throw invalidRequest(
      `Invalid '${param}': ${kind} below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
      param,
      `${kind}_below_min_value`,
    );
  }
  if (value > max) {
    throw invalidRequest(
      `Invalid '${param}': ${kind} above maximum value. Expected a value <= ${max}, but got ${value} instead.`,
      param,
      `${kind}_above_max_value`,
    );
  }
}

function checkContentPart(part: unknown, param: string): void {
  if (!isObject(part)) throw wrongType(param, 'an object', part);
  if (typeof part.type !== 'string') throw missing(`${param}.type`);
  if (part.type === 'text' && typeof part.text !== 'string') {
    throw part.text === undefined
      ? missing(`${param}.text`)
      : wrongType(`${param}.text`, 'a string', part.text);
  }
  if (part.type === 'image_url') {
    const image = part.image_url;
    if (!isObject(image)) throw missing(`${param}.image_url`);
    if (typeof image.url !== 'string') throw missing(`${param}.image_url.url`);
  }
}

function checkMessage(message: unknown, index: number): void {
  const param = `messages[${index}]`;
  if (!isObject(message)) throw wrongType(param, 'an object', message);
  const role = message.role;
  if (role === undefined) throw missing(`${param}.role`);
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw invalidRequest(
      `Invalid value: '${String(role)}'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.`,
      `${param}.role`,
      'invalid_value',
    );
  }
  const content = message.content;
  const hasToolCalls = Array.isArray(message.tool_calls) && message.tool_calls.length > 0;
  if (content === undefined || content === null) {
    // Only an assistant turn that calls tools (or refuses) may come without content.
    if (role !== 'assistant' || (!hasToolCalls && message.refusal == null && message.function_call == null)) {
      throw missing(`${param}.content`);
    }
  } else if (Array.isArray(content)) {
    if (content.length === 0 && role !== 'assistant') {
      throw invalidRequest(
        `Invalid '${param}.content': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
        `${param}.content`,
        'empty_array',
      );
    }
    content.forEach((part, i) => {
      checkContentPart(part, `${param}.content[${i}]`);
    });
  } else if (typeof content !== 'string') {
    throw wrongType(`${param}.content`, 'one of a string or array of objects', content);
  }
  if (role === 'tool' && typeof message.tool_call_id !== 'string') throw missing(`${param}.tool_call_id`);
  if (message.tool_calls !== undefined && message.tool_calls !== null && !Array.isArray(message.tool_calls)) {
    throw wrongType(`${param}.tool_calls`, 'an array', message.tool_calls);
  }
}

function checkStop(stop: unknown): void {
  if (stop === undefined || stop === null || typeof stop === 'string') return;
  if (!Array.isArray(stop)) throw wrongType('stop', 'one of a string or array of strings', stop);
  if (stop.length > 4) {
    throw invalidRequest(
      `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${stop.length} instead.`,
      'stop',
      'array_above_max_length',
    );
  }
  stop.forEach((item, i) => {
    if (typeof item !== 'string') throw wrongType(`stop[${i}]`, 'a string', item);
  });
}

export function validateChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) {
    throw invalidRequest(
      `The request body must be a JSON object, but got ${typeName(body)}.`,
      null,
      'invalid_type',
    );
  }
  if (body.model === undefined) throw missing('model');
  if (typeof body.model !== 'string') throw wrongType('model', 'a string', body.model);
  if (body.messages === undefined) throw missing('messages');
  if (!Array.isArray(body.messages)) throw wrongType('messages', 'an array', body.messages);
  if (body.messages.length === 0) {
    throw invalidRequest(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  }
  body.messages.forEach(checkMessage);

  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw wrongType('stream', 'a boolean', stream);
  }
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (stream !== true) {
      throw invalidRequest(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        'stream_options',
        'invalid_value',
      );
    }
    if (!isObject(streamOptions)) throw wrongType('stream_options', 'an object', streamOptions);
    const includeUsage = streamOptions.include_usage;
    if (includeUsage !== undefined && typeof includeUsage !== 'boolean') {
      throw wrongType('stream_options.include_usage', 'a boolean', includeUsage);
    }
  }

  checkRange(body, 'temperature', 0, 2, false);
  checkRange(body, 'top_p', 0, 1, false);
  checkRange(body, 'n', 1, 128, true);
  checkRange(body, 'presence_penalty', -2, 2, false);
  checkRange(body, 'frequency_penalty', -2, 2, false);
  checkRange(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  checkRange(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  checkStop(body.stop);
  return body as ChatRequest;
}
