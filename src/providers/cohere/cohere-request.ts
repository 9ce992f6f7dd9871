// A canonical ChatRequest → the Cohere v2 chat request body, following the table in parameters.ts.
import { isObject } from '../../core/is-object.js';
import type { ChatRequest } from '../../core/types.js';
import { applyParameterTable, droppedWarning } from '../parameter-rules.js';
import { COHERE_NATIVE_EXTRAS, type CohereChatRequest } from './cohere-api.js';
import { convertToCohereMessages, convertToCohereTools } from './convert-to-cohere-messages.js';
import { COHERE_P_RANGE, COHERE_PARAMETERS, COHERE_PENALTY_RANGE } from './parameters.js';

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const clamp = (value: number, [min, max]: readonly [number, number]) => Math.min(max, Math.max(min, value));

function responseFormat(format: unknown): CohereChatRequest['response_format'] {
  if (!isObject(format)) return undefined;
  if (format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type === 'json_schema' && isObject(format.json_schema) && isObject(format.json_schema.schema)) {
    return { type: 'json_object', json_schema: format.json_schema.schema };
  }
  return undefined;
}

export function toCohereRequest(
  request: ChatRequest,
  stream: boolean,
  provider: string,
  warnings: string[],
): CohereChatRequest {
  const extras = applyParameterTable(provider, request, COHERE_PARAMETERS, warnings);
  const body: CohereChatRequest = {
    model: request.model,
    messages: convertToCohereMessages(request.messages),
    stream,
    ...convertToCohereTools(request),
  };
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (isNumber(maxTokens)) body.max_tokens = maxTokens;
  if (isNumber(request.temperature)) body.temperature = request.temperature;
  if (isNumber(request.top_p)) body.p = clamp(request.top_p, COHERE_P_RANGE);
  const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (Array.isArray(stop) && stop.length > 0) body.stop_sequences = stop;
  for (const param of ['frequency_penalty', 'presence_penalty'] as const) {
    const value = request[param];
    if (!isNumber(value)) continue;
    body[param] = clamp(value, COHERE_PENALTY_RANGE);
    if (body[param] !== value) {
      warnings.push(
        `'${param}' ${value} is outside provider '${provider}''s range 0..1; ${body[param]} was sent`,
      );
    }
  }
  if (isNumber(request.seed)) body.seed = request.seed;
  const format = responseFormat(request.response_format);
  if (format) body.response_format = format;
  for (const [param, value] of Object.entries(extras)) {
    if (COHERE_NATIVE_EXTRAS.has(param)) body[param] = value;
    else warnings.push(droppedWarning(param, provider));
  }
  return body;
}
