// The Gemini API wire format (https://ai.google.dev/api/generate-content): what the provider sends, typed
// exactly, and lenient schemas of what Gemini answers (after vercel/ai's google-generative-ai-api.ts): only
// what the gateway relies on is required; unknown fields and part kinds pass, absent or null ones are absent.
import { z } from 'zod';

export interface GoogleInlineData {
  mimeType: string;
  /** Base64. */
  data: string;
}

export interface GooglePart {
  text?: string;
  /** A thought summary (only sent when includeThoughts is set): never part of the answer. */
  thought?: boolean;
  /** Opaque signature of the model's reasoning, attached to function calls by thinking models. */
  thoughtSignature?: string;
  inlineData?: GoogleInlineData;
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
}

export interface GoogleContent {
  role?: 'user' | 'model';
  parts: GooglePart[];
}

/** Gemini's Schema: a subset of OpenAPI 3.0 (https://ai.google.dev/api/caching#Schema). */
export interface GoogleSchema {
  type?: 'STRING' | 'NUMBER' | 'INTEGER' | 'BOOLEAN' | 'ARRAY' | 'OBJECT' | 'NULL';
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  maxItems?: number;
  minItems?: number;
  properties?: Record<string, GoogleSchema>;
  required?: string[];
  minProperties?: number;
  maxProperties?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  example?: unknown;
  anyOf?: GoogleSchema[];
  propertyOrdering?: string[];
  default?: unknown;
  items?: GoogleSchema;
  minimum?: number;
  maximum?: number;
}

export interface GoogleThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: 'minimal' | 'low' | 'medium' | 'high';
  includeThoughts?: boolean;
}

export interface GoogleGenerationConfig {
  stopSequences?: string[];
  responseMimeType?: string;
  responseSchema?: GoogleSchema;
  candidateCount?: number;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  thinkingConfig?: GoogleThinkingConfig;
}

export interface GoogleFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: GoogleSchema;
}

export type FunctionCallingMode = 'AUTO' | 'ANY' | 'NONE';

export interface GoogleRequest {
  contents: GoogleContent[];
  systemInstruction?: GoogleContent;
  generationConfig?: GoogleGenerationConfig;
  tools?: { functionDeclarations: GoogleFunctionDeclaration[] }[];
  toolConfig?: { functionCallingConfig: { mode: FunctionCallingMode; allowedFunctionNames?: string[] } };
}

// ---- Answers, read leniently ----

/** proto3 JSON omits zero counts, so an absent count inside usageMetadata is 0 (see `readGoogleResponse`). */
const count = z.number().nonnegative().nullish();

const googleUsageSchema = z.object({
  promptTokenCount: count,
  candidatesTokenCount: count,
  thoughtsTokenCount: count,
  cachedContentTokenCount: count,
  toolUsePromptTokenCount: count,
});

const googlePartSchema = z.object({
  text: z.string().nullish(),
  /** A thought summary (only sent when includeThoughts is set): never part of the answer. */
  thought: z.boolean().nullish(),
  functionCall: z.object({ name: z.string(), args: z.record(z.string(), z.unknown()).nullish() }).nullish(),
});

const googleCandidateSchema = z.object({
  // Gemini omits `index` in some stream events; then the position in the array is the index.
  index: z.number().int().nullish(),
  // A candidate stopped by a safety filter may have no content at all.
  content: z.object({ parts: z.array(googlePartSchema).nullish() }).nullish(),
  finishReason: z.string().nullish(),
});

/** A GenerateContentResponse (the JSON answer, or one stream event). */
export const googleResponseSchema = z.object({
  // Error bodies are read by googleErrorBodySchema instead.
  error: z.undefined().optional(),
  candidates: z.array(googleCandidateSchema).nullish(),
  usageMetadata: googleUsageSchema.nullish(),
  modelVersion: z.string().nullish(),
  responseId: z.string().nullish(),
  promptFeedback: z.object({ blockReason: z.string().nullish() }).nullish(),
});

const googleErrorSchema = z.object({
  error: z.object({
    code: z.number().optional().catch(undefined),
    message: z.string().catch(''),
    status: z.string().optional().catch(undefined),
    details: z
      .array(
        z
          .object({
            reason: z.string().optional().catch(undefined),
            retryDelay: z.string().optional().catch(undefined),
          })
          .catch({}),
      )
      .optional()
      .catch(undefined),
  }),
});

/** Google's error body `{"error":{"code","message","status","details"}}`, sometimes wrapped in an array. */
export const googleErrorBodySchema = z.union([
  googleErrorSchema,
  z.tuple([googleErrorSchema], z.unknown()).transform(([first]) => first),
]);

/** What a 200 answer or stream event holds: a response, or an error sent in-band. */
export const googleAnswerSchema = z.union([googleResponseSchema, googleErrorBodySchema]);

export interface GoogleFunctionCall {
  name: string;
  args: Record<string, unknown>;
}

/** One candidate as the gateway needs it: its answer text, its function calls, and why it ended. */
export interface GoogleCandidate {
  index: number;
  text: string;
  functionCalls: GoogleFunctionCall[];
  finishReason: string | undefined;
}

/** Counts Gemini reported. proto3 JSON omits zero counts, so an absent count inside usageMetadata is 0. */
export interface GoogleUsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  thoughtsTokenCount: number | undefined;
  cachedContentTokenCount: number | undefined;
  toolUsePromptTokenCount: number | undefined;
}

export interface GoogleResponse {
  candidates: GoogleCandidate[];
  usage: GoogleUsageMetadata | undefined;
  modelVersion: string | undefined;
  responseId: string | undefined;
  /** Set when the prompt itself was blocked (then there are no candidates). */
  blockReason: string | undefined;
}

function readCandidate(candidate: z.output<typeof googleCandidateSchema>, position: number): GoogleCandidate {
  let text = '';
  const functionCalls: GoogleFunctionCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.thought === true) continue;
    if (typeof part.text === 'string') text += part.text;
    const call = part.functionCall;
    if (call) functionCalls.push({ name: call.name, args: call.args ?? {} });
  }
  return {
    index: candidate.index ?? position,
    text,
    functionCalls,
    finishReason: candidate.finishReason ?? undefined,
  };
}

/** A parsed GenerateContentResponse as the gateway uses it: each candidate's parts joined. */
export function readGoogleResponse(response: z.output<typeof googleResponseSchema>): GoogleResponse {
  const usage = response.usageMetadata;
  return {
    candidates: (response.candidates ?? []).map(readCandidate),
    usage: usage
      ? {
          promptTokenCount: usage.promptTokenCount ?? 0,
          candidatesTokenCount: usage.candidatesTokenCount ?? 0,
          thoughtsTokenCount: usage.thoughtsTokenCount ?? undefined,
          cachedContentTokenCount: usage.cachedContentTokenCount ?? undefined,
          toolUsePromptTokenCount: usage.toolUsePromptTokenCount ?? undefined,
        }
      : undefined,
    modelVersion: response.modelVersion ?? undefined,
    responseId: response.responseId ?? undefined,
    blockReason: response.promptFeedback?.blockReason ?? undefined,
  };
}

/** A Google error, as googleError (google-error.ts) maps it. */
export interface GoogleErrorDetail {
  code: number | undefined;
  message: string;
  status: string | undefined;
  /** `details[].reason` of the google.rpc.ErrorInfo, e.g. API_KEY_INVALID. */
  reason: string | undefined;
  /** `details[].retryDelay` of the google.rpc.RetryInfo, in seconds (fractional: the router waits to the ms). */
  retryDelaySeconds: number | undefined;
}

export function toGoogleErrorDetail(body: z.output<typeof googleErrorBodySchema>): GoogleErrorDetail {
  const { error } = body;
  let reason: string | undefined;
  let retryDelaySeconds: number | undefined;
  for (const detail of error.details ?? []) {
    reason ??= detail.reason;
    // Durations are JSON strings like "37s" or "0.5s".
    const delay = detail.retryDelay === undefined ? null : /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay);
    if (delay?.[1]) retryDelaySeconds = Number(delay[1]);
  }
  return { code: error.code, message: error.message, status: error.status, reason, retryDelaySeconds };
}
