// A canonical ChatRequest as a Gemini GenerateContentRequest: messages, generationConfig, tools and tool
// choice. What Gemini cannot take is dropped with a warning, as parameters.ts says.
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatRequest } from '../../core/types.js';
import { toGoogleSchema } from './convert-json-schema.js';
import { convertToGoogleContents } from './convert-to-google-contents.js';
import type {
  GoogleFunctionDeclaration,
  GoogleGenerationConfig,
  GoogleRequest,
  GoogleThinkingConfig,
} from './google-api.js';
import { parameterRule } from './parameters.js';

/** Gemini 1.x and 2.x predate thought signatures and thinking levels. */
export const isGemini3OrLater = (model: string) =>
  !/^(models\/)?gemini-(1|2)(\.|-)/.test(model) && /^(models\/)?gemini-/.test(model);

function warnDropped(request: ChatRequest, warnings: string[]): void {
  for (const [name, value] of Object.entries(request)) {
    if (value === undefined || value === null) continue;
    const rule = parameterRule(name);
    if (!rule) {
      warnings.push(`'${name}' is not a Gemini parameter and was dropped`);
    } else if (rule.rule === 'dropped' && !('neutral' in rule && rule.neutral === value)) {
      warnings.push(`'${name}' is not supported by Gemini (${rule.why}) and was dropped`);
    }
  }
}

function stopSequences(stop: ChatRequest['stop']): string[] | undefined {
  const list = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : [];
  const kept = list.filter((s) => s !== '');
  return kept.length > 0 ? kept : undefined;
}

function responseFormat(value: unknown, config: GoogleGenerationConfig, warnings: string[]): void {
  if (!isObject(value) || value.type === 'text') return;
  if (value.type === 'json_object') {
    config.responseMimeType = 'application/json';
    return;
  }
  if (value.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const spec = isObject(value.json_schema) ? value.json_schema : {};
    if (spec.schema === undefined) return;
    const { schema, dropped } = toGoogleSchema(spec.schema);
    config.responseSchema = schema;
    if (dropped.length > 0) {
      warnings.push(`response_format: JSON Schema keywords Gemini lacks were dropped: ${dropped.join(', ')}`);
    }
    return;
  }
  throw invalidRequest(
    `Invalid value for 'response_format.type': '${String(value.type)}'.`,
    'response_format.type',
    'invalid_value',
  );
}

/** OpenAI reasoning_effort as Google's own OpenAI-compatible endpoint maps it. */
function thinkingConfig(effort: unknown, model: string): GoogleThinkingConfig | undefined {
  if (typeof effort !== 'string') return undefined;
  if (isGemini3OrLater(model)) {
    // Every Gemini 3 model takes low and high; thinking cannot be switched off there.
    return { thinkingLevel: effort === 'medium' || effort === 'high' ? 'high' : 'low' };
  }
  const budgets: Record<string, number> = { none: 0, minimal: 1024, low: 1024, medium: 8192, high: 24576 };
  const budget = budgets[effort];
  return budget === undefined ? undefined : { thinkingBudget: budget };
}

function functionDeclarations(tools: unknown, warnings: string[]): GoogleFunctionDeclaration[] {
  if (!Array.isArray(tools)) return [];
  const declarations: GoogleFunctionDeclaration[] = [];
  const dropped = new Set<string>();
  for (const tool of tools) {
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) {
      warnings.push(
        `tools of type '${String(isObject(tool) ? tool.type : tool)}' are not supported by Gemini and were dropped`,
      );
      continue;
    }
    const fn = tool.function;
    if (typeof fn.name !== 'string')
      throw invalidRequest("Missing required parameter: 'tools[].function.name'.", 'tools');
    const declaration: GoogleFunctionDeclaration = { name: fn.name };
    if (typeof fn.description === 'string') declaration.description = fn.description;
    if (fn.parameters !== undefined) {
      const converted = toGoogleSchema(fn.parameters);
      for (const keyword of converted.dropped) dropped.add(keyword);
      // Gemini rejects an OBJECT without properties: a function without parameters simply has none.
      const { schema } = converted;
      const empty = schema.type === 'OBJECT' && Object.keys(schema.properties ?? {}).length === 0;
      if (!empty) declaration.parameters = schema;
    }
    declarations.push(declaration);
  }
  if (dropped.size > 0) {
    warnings.push(`tools: JSON Schema keywords Gemini lacks were dropped: ${[...dropped].join(', ')}`);
  }
  return declarations;
}

function toolConfig(choice: unknown): GoogleRequest['toolConfig'] {
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  if (choice === undefined || choice === null) return undefined;
  throw invalidRequest("Invalid value for 'tool_choice'.", 'tool_choice', 'invalid_value');
}

/** The request without candidateCount: the provider sets it per upstream call (see candidates.ts). */
export function convertToGoogleRequest(request: ChatRequest, warnings: string[]): GoogleRequest {
  warnDropped(request, warnings);
  const { contents, systemInstruction } = convertToGoogleContents(request.messages, warnings, {
    signFunctionCalls: isGemini3OrLater(request.model),
  });
  const out: GoogleRequest = { contents };
  if (systemInstruction) out.systemInstruction = systemInstruction;

  const config: GoogleGenerationConfig = {};
  const stops = stopSequences(request.stop);
  if (stops) config.stopSequences = stops;
  responseFormat(request.response_format, config, warnings);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === 'number') config.maxOutputTokens = maxTokens;
  if (typeof request.temperature === 'number') config.temperature = request.temperature;
  if (typeof request.top_p === 'number') config.topP = request.top_p;
  if (typeof request.seed === 'number') config.seed = request.seed;
  if (typeof request.presence_penalty === 'number') config.presencePenalty = request.presence_penalty;
  if (typeof request.frequency_penalty === 'number') config.frequencyPenalty = request.frequency_penalty;
  const thinking = thinkingConfig(request.reasoning_effort, request.model);
  if (thinking) config.thinkingConfig = thinking;
  if (Object.keys(config).length > 0) out.generationConfig = config;

  const declarations = functionDeclarations(request.tools, warnings);
  if (declarations.length > 0) {
    out.tools = [{ functionDeclarations: declarations }];
    const choice = toolConfig(request.tool_choice);
    if (choice) out.toolConfig = choice;
  }
  return out;
}
