// The Amazon Bedrock Converse API wire format (POST /model/{modelId}/converse and /converse-stream): the
// request shapes tokgate sends, and lenient readers of what Bedrock answers. Readers require only what the
// gateway relies on; block and event types Bedrock adds later are ignored, never an error.

// --- What tokgate sends ---

export type BedrockImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export type BedrockContentBlock =
  | { text: string }
  | { image: { format: BedrockImageFormat; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | {
      toolResult: {
        toolUseId: string;
        content: Array<{ text: string } | { json: unknown }>;
        status?: 'success' | 'error';
      };
    };

export interface BedrockMessage {
  role: 'user' | 'assistant';
  content: BedrockContentBlock[];
}

export interface BedrockToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown } };
}

export type BedrockToolChoice =
  | { auto: Record<string, never> }
  | { any: Record<string, never> }
  | { tool: { name: string } };

export interface BedrockToolConfig {
  tools: BedrockToolSpec[];
  toolChoice?: BedrockToolChoice;
}

export interface BedrockInferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

export interface ConverseRequest {
  messages: BedrockMessage[];
  system?: Array<{ text: string }>;
  inferenceConfig?: BedrockInferenceConfig;
  toolConfig?: BedrockToolConfig;
  additionalModelRequestFields?: Record<string, unknown>;
  requestMetadata?: Record<string, string>;
  serviceTier?: { type: 'default' | 'flex' | 'priority' };
  outputConfig?: {
    textFormat: {
      type: 'json_schema';
      structure: { jsonSchema: { schema: string; name?: string; description?: string } };
    };
  };
}

// --- What Bedrock answers ---

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

export interface BedrockUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export function readUsage(value: unknown): BedrockUsage | undefined {
  if (!isObject(value)) return undefined;
  const usage: BedrockUsage = {};
  for (const key of [
    'inputTokens',
    'outputTokens',
    'cacheReadInputTokens',
    'cacheWriteInputTokens',
  ] as const) {
    const n = num(value[key]);
    if (n !== undefined) usage[key] = n;
  }
  return usage;
}

export interface ReadToolUse {
  toolUseId: string;
  name: string;
  input: unknown;
}

export interface ConverseAnswer {
  text: string | null;
  toolUses: ReadToolUse[];
  stopReason: string | null;
  usage: BedrockUsage | undefined;
}

/** Reads a Converse response; undefined when it has no `output.message.content` array. */
export function readConverseResponse(value: unknown): ConverseAnswer | undefined {
  if (!isObject(value) || !isObject(value.output) || !isObject(value.output.message)) return undefined;
  const content = value.output.message.content;
  if (!Array.isArray(content)) return undefined;
  let text: string | null = null;
  const toolUses: ReadToolUse[] = [];
  for (const block of content) {
    if (!isObject(block)) continue;
    const blockText = str(block.text);
    if (blockText !== undefined) text = (text ?? '') + blockText;
    const toolUse = block.toolUse;
    if (isObject(toolUse)) {
      toolUses.push({
        toolUseId: str(toolUse.toolUseId) ?? '',
        name: str(toolUse.name) ?? '',
        input: toolUse.input,
      });
    }
    // reasoningContent, citations and other blocks have no canonical place yet.
  }
  return { text, toolUses, stopReason: str(value.stopReason) ?? null, usage: readUsage(value.usage) };
}

/** One ConverseStream event, by its `:event-type` header; payload fields read leniently. */
export type ConverseStreamEvent =
  | { type: 'messageStart' }
  | { type: 'contentBlockStart'; index: number; toolUse?: { toolUseId: string; name: string } }
  | { type: 'contentBlockDelta'; index: number; text?: string; toolUseInput?: string }
  | { type: 'contentBlockStop'; index: number }
  | { type: 'messageStop'; stopReason: string | null }
  | { type: 'metadata'; usage: BedrockUsage | undefined }
  | { type: 'unknown'; name: string };

export function readStreamEvent(name: string, payload: unknown): ConverseStreamEvent {
  const body = isObject(payload) ? payload : {};
  const index = num(body.contentBlockIndex) ?? 0;
  switch (name) {
    case 'messageStart':
      return { type: 'messageStart' };
    case 'contentBlockStart': {
      const start = isObject(body.start) ? body.start : {};
      const toolUse = isObject(start.toolUse) ? start.toolUse : undefined;
      return toolUse
        ? {
            type: 'contentBlockStart',
            index,
            toolUse: { toolUseId: str(toolUse.toolUseId) ?? '', name: str(toolUse.name) ?? '' },
          }
        : { type: 'contentBlockStart', index };
    }
    case 'contentBlockDelta': {
      const delta = isObject(body.delta) ? body.delta : {};
      const event: ConverseStreamEvent = { type: 'contentBlockDelta', index };
      const text = str(delta.text);
      if (text !== undefined) event.text = text;
      const input = isObject(delta.toolUse) ? str(delta.toolUse.input) : undefined;
      if (input !== undefined) event.toolUseInput = input;
      return event;
    }
    case 'contentBlockStop':
      return { type: 'contentBlockStop', index };
    case 'messageStop':
      return { type: 'messageStop', stopReason: str(body.stopReason) ?? null };
    case 'metadata':
      return { type: 'metadata', usage: readUsage(body.usage) };
    default:
      return { type: 'unknown', name };
  }
}
