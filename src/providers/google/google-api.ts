// The Gemini API wire format (https://ai.google.dev/api/generate-content): what the provider sends, typed
// exactly, and lenient readers of what Gemini answers (only what the gateway relies on is required).

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

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

function readCandidate(value: unknown, position: number): GoogleCandidate | undefined {
  if (!isObject(value)) return undefined;
  const content = isObject(value.content) ? value.content : {};
  const parts = Array.isArray(content.parts) ? content.parts : [];
  let text = '';
  const functionCalls: GoogleFunctionCall[] = [];
  for (const part of parts) {
    if (!isObject(part) || part.thought === true) continue;
    if (typeof part.text === 'string') text += part.text;
    const call = part.functionCall;
    if (isObject(call) && typeof call.name === 'string') {
      functionCalls.push({ name: call.name, args: isObject(call.args) ? call.args : {} });
    }
  }
  return {
    // Gemini omits `index` in some stream events; then the position in the array is the index.
    index: Number.isInteger(value.index) ? (value.index as number) : position,
    text,
    functionCalls,
    finishReason: typeof value.finishReason === 'string' ? value.finishReason : undefined,
  };
}

function readUsage(value: unknown): GoogleUsageMetadata | undefined {
  if (!isObject(value)) return undefined;
  return {
    promptTokenCount: count(value.promptTokenCount) ?? 0,
    candidatesTokenCount: count(value.candidatesTokenCount) ?? 0,
    thoughtsTokenCount: count(value.thoughtsTokenCount),
    cachedContentTokenCount: count(value.cachedContentTokenCount),
    toolUsePromptTokenCount: count(value.toolUsePromptTokenCount),
  };
}

/** A GenerateContentResponse, or undefined when the value is not one (an error object, or garbage). */
export function readGoogleResponse(value: unknown): GoogleResponse | undefined {
  if (!isObject(value) || value.error !== undefined) return undefined;
  const candidates: GoogleCandidate[] = [];
  if (Array.isArray(value.candidates)) {
    value.candidates.forEach((raw, position) => {
      const candidate = readCandidate(raw, position);
      if (candidate) candidates.push(candidate);
    });
  }
  const feedback = isObject(value.promptFeedback) ? value.promptFeedback : {};
  return {
    candidates,
    usage: readUsage(value.usageMetadata),
    modelVersion: typeof value.modelVersion === 'string' ? value.modelVersion : undefined,
    responseId: typeof value.responseId === 'string' ? value.responseId : undefined,
    blockReason: typeof feedback.blockReason === 'string' ? feedback.blockReason : undefined,
  };
}

/** Google's error body `{"error":{"code","message","status","details"}}` (sometimes wrapped in an array). */
export interface GoogleErrorDetail {
  code: number | undefined;
  message: string;
  status: string | undefined;
  /** `details[].reason` of the google.rpc.ErrorInfo, e.g. API_KEY_INVALID. */
  reason: string | undefined;
  /** `details[].retryDelay` of the google.rpc.RetryInfo, in seconds. */
  retryDelaySeconds: number | undefined;
}

export function readGoogleError(value: unknown): GoogleErrorDetail | undefined {
  const body = Array.isArray(value) ? value[0] : value;
  if (!isObject(body) || !isObject(body.error)) return undefined;
  const error = body.error;
  let reason: string | undefined;
  let retryDelaySeconds: number | undefined;
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    if (!isObject(detail)) continue;
    if (typeof detail.reason === 'string') reason ??= detail.reason;
    // Durations are JSON strings like "37s" or "0.5s".
    const delay = typeof detail.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay) : null;
    if (delay?.[1]) retryDelaySeconds = Math.ceil(Number(delay[1]));
  }
  return {
    code: typeof error.code === 'number' ? error.code : undefined,
    message: typeof error.message === 'string' ? error.message : '',
    status: typeof error.status === 'string' ? error.status : undefined,
    reason,
    retryDelaySeconds,
  };
}
