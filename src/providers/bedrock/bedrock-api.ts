// The Amazon Bedrock Converse API wire format (POST /model/{modelId}/converse and /converse-stream): the
// request shapes tokgate sends, and lenient schemas of what Bedrock answers (after vercel/ai's
// bedrock-api.ts). The schemas require only what the gateway relies on; fields, block and event types
// Bedrock adds later are ignored, never an error; absent or null optional fields are absent.
import { z } from 'zod';

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

const count = z.number().nullish();

export const bedrockUsageSchema = z.object({
  inputTokens: count,
  outputTokens: count,
  cacheReadInputTokens: count,
  cacheWriteInputTokens: count,
});
export type BedrockUsage = z.output<typeof bedrockUsageSchema>;

/** A Converse response. Content blocks other than text and toolUse (reasoningContent, citations, ...) have
 * no canonical place yet: they read as neither. */
export const converseResponseSchema = z.object({
  output: z.object({
    message: z.object({
      content: z.array(
        z.object({
          text: z.string().nullish(),
          toolUse: z
            .object({ toolUseId: z.string().nullish(), name: z.string().nullish(), input: z.unknown() })
            .nullish(),
        }),
      ),
    }),
  }),
  stopReason: z.string().nullish(),
  usage: bedrockUsageSchema.nullish(),
});
export type ConverseResponse = z.output<typeof converseResponseSchema>;

const blockIndex = z.number().nullish();

const knownStreamEvents = z.discriminatedUnion('name', [
  z.object({ name: z.literal('messageStart') }),
  z.object({
    name: z.literal('contentBlockStart'),
    payload: z.object({
      contentBlockIndex: blockIndex,
      start: z
        .object({
          toolUse: z.object({ toolUseId: z.string().nullish(), name: z.string().nullish() }).nullish(),
        })
        .nullish(),
    }),
  }),
  z.object({
    name: z.literal('contentBlockDelta'),
    payload: z.object({
      contentBlockIndex: blockIndex,
      delta: z
        .object({
          text: z.string().nullish(),
          toolUse: z.object({ input: z.string().nullish() }).nullish(),
        })
        .nullish(),
    }),
  }),
  z.object({ name: z.literal('contentBlockStop') }),
  z.object({ name: z.literal('messageStop'), payload: z.object({ stopReason: z.string().nullish() }) }),
  z.object({ name: z.literal('metadata'), payload: z.object({ usage: bedrockUsageSchema.nullish() }) }),
]);
const knownNames = new Set(knownStreamEvents._zod.propValues.name);

/**
 * One ConverseStream event message (`{name: :event-type, payload}`, see bedrock-event-stream.ts); event types
 * newer than this code read as `unknown`, a known one that is malformed fails.
 */
export const converseStreamEventSchema = z.union([
  knownStreamEvents,
  z
    .object({ name: z.string().refine((name) => !knownNames.has(name)) })
    .transform(() => ({ name: 'unknown' as const })),
]);
export type ConverseStreamEvent = z.output<typeof converseStreamEventSchema>;

/** An error body: `{"message"}` (some services spell it `Message`), the type in `__type` or `code`. */
export const bedrockErrorSchema = z.object({
  message: z.string().optional().catch(undefined),
  Message: z.string().optional().catch(undefined),
  __type: z.string().optional().catch(undefined),
  code: z.string().optional().catch(undefined),
});

/** The payload of an `exception` message inside a stream. */
export const bedrockExceptionSchema = z.object({ message: z.string() });
