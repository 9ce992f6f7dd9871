// The body of POST /v1/responses (OpenAI's CreateResponse) as a zod schema, refused in OpenAI's own words
// (see ../validation.ts). It checks what the gateway reads to translate the request into a chat request;
// fields it only echoes (metadata, include, truncation) are checked for their type.
import { z } from 'zod';
import { invalidIsMissing, validateOpenAI } from '../validation.js';

const text = z.string();

const inputText = z.looseObject({ type: z.literal('input_text'), text });
const inputImage = z.looseObject({
  type: z.literal('input_image'),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['auto', 'low', 'high']).nullish(),
});
const inputFile = z.looseObject({
  type: z.literal('input_file'),
  file_data: z.string().nullish(),
  file_id: z.string().nullish(),
  file_url: z.string().nullish(),
  filename: z.string().nullish(),
});
// An assistant turn sent back as input carries what the model wrote.
const outputText = z.looseObject({ type: z.literal('output_text'), text });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
const contentPart = z.discriminatedUnion('type', [inputText, inputImage, inputFile, outputText, refusal]);

const message = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPart)]),
});
const functionCall = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string(),
  name: z.string(),
  namespace: z.string().nullish(),
  arguments: z.string(),
});
const functionCallOutput = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string(),
  output: z.union([z.string(), z.array(contentPart)]),
});
const reasoning = z.looseObject({
  type: z.literal('reasoning'),
  summary: z.array(z.looseObject({ type: z.string(), text: z.string() })).nullish(),
});
const itemReference = z.looseObject({ type: z.literal('item_reference'), id: z.string() });
/** Items of other types (built-in tool calls and their outputs) are refused in translation, by name. */
const otherItem = z.looseObject({
  type: invalidIsMissing(
    z
      .string()
      .refine(
        (type) =>
          !['message', 'function_call', 'function_call_output', 'reasoning', 'item_reference'].includes(type),
        { abort: true },
      ),
  ),
});
const item = z.union([message, functionCall, functionCallOutput, reasoning, itemReference, otherItem]);

const functionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
const namespaceTool = z.looseObject({
  type: z.literal('namespace'),
  name: z.string().min(1),
  description: z.string().nullish(),
  tools: z.array(z.looseObject({ type: z.string(), name: z.string().min(1) })).min(1),
});
const tool = z.looseObject({ type: z.string() });

const decimal = (min: number, max: number) => z.number().min(min).max(max).nullish();

const responsesRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item)]).nullish(),
  instructions: z.union([z.string(), z.array(item)]).nullish(),
  previous_response_id: z.string().min(1).nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  temperature: decimal(0, 2),
  top_p: decimal(0, 1),
  max_output_tokens: z.int().min(16).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.string() })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z
    .looseObject({
      format: z
        .looseObject({
          type: z.enum(['text', 'json_object', 'json_schema']),
          name: z.string().nullish(),
          schema: z.record(z.string(), z.unknown()).nullish(),
          description: z.string().nullish(),
          strict: z.boolean().nullish(),
        })
        .nullish(),
      verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    })
    .nullish(),
  reasoning: z
    .looseObject({
      effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
      summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
    })
    .nullish(),
  metadata: z.record(z.string(), z.string().max(512)).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  include: z.array(z.string()).nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  service_tier: z.string().nullish(),
  background: z.boolean().nullish(),
});

export type InputItem = z.output<typeof item>;
export type ContentPart = z.output<typeof contentPart>;
export type ResponsesRequest = z.output<typeof responsesRequest>;
export type FunctionTool = z.output<typeof functionTool>;
export type NamespaceTool = z.output<typeof namespaceTool>;

export const functionToolSchema = functionTool;
export const namespaceToolSchema = namespaceTool;

// Compiled once into generated code, as chat's schema is (strict: a schema zod cannot compile fails at load).
const compiled = z.compile(responsesRequest, { strict: true });

/** Validates a CreateResponse body (400 naming the first bad field); the client's object is returned as is. */
export function validateResponsesRequest(body: unknown): ResponsesRequest {
  return validateOpenAI(compiled, body) as ResponsesRequest;
}
