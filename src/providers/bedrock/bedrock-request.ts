// A canonical ChatRequest → the Converse request body, following the table in parameters.ts.
import { isObject } from '../../core/is-object.js';
import type { ChatRequest } from '../../core/types.js';
import { applyParameterTable, droppedWarning } from '../parameter-rules.js';
import type { BedrockInferenceConfig, ConverseRequest } from './bedrock-api.js';
import { convertToBedrockMessages, convertToBedrockTools } from './convert-to-bedrock-messages.js';
import { BEDROCK_MAX_TEMPERATURE, BEDROCK_PARAMETERS } from './parameters.js';

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function inferenceConfig(request: ChatRequest, provider: string, warnings: string[]): BedrockInferenceConfig {
  const config: BedrockInferenceConfig = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (isNumber(maxTokens)) config.maxTokens = maxTokens;
  if (isNumber(request.temperature)) {
    config.temperature = Math.min(request.temperature, BEDROCK_MAX_TEMPERATURE);
    if (request.temperature > BEDROCK_MAX_TEMPERATURE) {
      warnings.push(
        `'temperature' ${request.temperature} is above provider '${provider}''s maximum of 1; 1 was sent`,
      );
    }
  }
  if (isNumber(request.top_p)) config.topP = request.top_p;
  const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (Array.isArray(stop) && stop.length > 0) config.stopSequences = stop;
  return config;
}

function outputConfig(
  request: ChatRequest,
  provider: string,
  warnings: string[],
): ConverseRequest['outputConfig'] {
  const format = request.response_format;
  if (!isObject(format) || format.type === 'text') return undefined;
  if (format.type === 'json_schema' && isObject(format.json_schema)) {
    const { name, description, schema } = format.json_schema;
    const jsonSchema: { schema: string; name?: string; description?: string } = {
      schema: JSON.stringify(schema ?? { type: 'object' }),
    };
    if (typeof name === 'string') jsonSchema.name = name;
    if (typeof description === 'string') jsonSchema.description = description;
    return { textFormat: { type: 'json_schema', structure: { jsonSchema } } };
  }
  // json_object: Converse has structured output only with a schema.
  warnings.push(droppedWarning('response_format', provider));
  return undefined;
}

export function toConverseRequest(
  request: ChatRequest,
  provider: string,
  warnings: string[],
): ConverseRequest {
  const extras = applyParameterTable(provider, request, BEDROCK_PARAMETERS, warnings);
  const { system, messages, usesTools } = convertToBedrockMessages(request.messages);
  const body: ConverseRequest = { messages };
  if (system.length > 0) body.system = system;
  const inference = inferenceConfig(request, provider, warnings);
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  const toolConfig = convertToBedrockTools(request, usesTools, (message) => warnings.push(message));
  if (toolConfig) body.toolConfig = toolConfig;
  const output = outputConfig(request, provider, warnings);
  if (output) body.outputConfig = output;
  if (isObject(request.metadata)) {
    body.requestMetadata = Object.fromEntries(
      Object.entries(request.metadata).map(([k, v]) => [k, String(v)]),
    );
  }
  const tier = request.service_tier;
  if (tier === 'default' || tier === 'flex' || tier === 'priority') body.serviceTier = { type: tier };
  else if (typeof tier === 'string' && tier !== 'auto')
    warnings.push(droppedWarning('service_tier', provider));
  if (Object.keys(extras).length > 0) body.additionalModelRequestFields = extras;
  return body;
}
