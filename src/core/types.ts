// Canonical types: the OpenAI Chat Completions shapes themselves, so the common path (OpenAI and
// OpenAI-compatible upstreams) needs no translation. This module imports nothing and changes deliberately.

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}
/** Other part types (input_audio, file, refusal) travel untouched. */
export interface OtherPart {
  type: string;
  [field: string]: unknown;
}
export type ContentPart = TextPart | ImagePart | OtherPart;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: Role;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [field: string]: unknown;
}

export interface StreamOptions {
  include_usage?: boolean;
  [field: string]: unknown;
}

/** A validated request. Parameters the gateway does not interpret travel in the index signature. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: StreamOptions | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  [field: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [field: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; [field: string]: unknown };
  /** tokgate extension: what the request cost, in USD. */
  cost?: number;
  [field: string]: unknown;
}

export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  refusal?: string | null;
  tool_calls?: ToolCall[];
  [field: string]: unknown;
}

export interface Choice {
  index: number;
  message: AssistantMessage;
  finish_reason: FinishReason | null;
  logprobs: unknown;
  [field: string]: unknown;
}

export interface ChatResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Choice[];
  usage?: Usage;
  system_fingerprint?: string | null;
  [field: string]: unknown;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[];
  [field: string]: unknown;
}

export interface ChunkChoice {
  index: number;
  delta: ChunkDelta;
  finish_reason: FinishReason | null;
  logprobs?: unknown;
  [field: string]: unknown;
}

export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChunkChoice[];
  usage?: Usage | null;
  system_fingerprint?: string | null;
  [field: string]: unknown;
}

export interface ModelInfo {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** Where a row's token counts came from: the provider, the gateway's tokenizer, or a cached answer. */
export type UsageSource = 'provider' | 'estimated' | 'cache';

/**
 * How a provider learns that its call is abandoned (the client went away, a timeout): the part of an
 * AbortSignal it may use. undici's `request` takes it as its `signal`. An AbortSignal is one; the gateway's
 * attempts pass a lighter object, since creating an AbortController per attempt showed in the profile.
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What a provider is asked to do: the canonical request, with `model` already the upstream's model name. */
export interface UpstreamCall {
  request: ChatRequest;
  signal: CallSignal;
  /** Settings the provider could not honour and dropped; surfaced in `x-tokgate-warnings` and the log. */
  warnings: string[];
  /**
   * The caller writes OpenAI-format chunks and takes them with their upstream text (core/relayed-chunk.ts):
   * a provider of that format may then skip parsing its plain text deltas. Never set where chunks change.
   */
  relay?: boolean;
}

/**
 * A provider speaks one wire format. It translates the canonical request to it and the answer (or the
 * stream) back. It throws GatewayError for every failure, with `retryable` set.
 */
export interface Provider {
  /** The id used as the model prefix, e.g. `openai`, `groq`, `my-vllm`. */
  readonly id: string;
  /** The wire format, e.g. `openai`, `anthropic`. */
  readonly format: string;
  /**
   * What the provider honours natively. When `n` or `stop` is false the router emulates it (parallel calls,
   * gateway-side stop matching), so providers never fake either. Absent means native.
   */
  readonly supports?: { readonly n?: boolean; readonly stop?: boolean };
  /**
   * Whether the provider takes a front door's protocol natively for this (upstream) model (see
   * core/native.ts): such a request goes upstream as the client sent it; any other gets the canonical
   * translation.
   */
  speaks?(protocol: string, model: string): boolean;
  complete(call: UpstreamCall): Promise<ChatResponse>;
  /**
   * Yields canonical chunks in batches: the chunks that one network read produced, together (never an
   * empty batch), so a stream costs a hop through the async machinery per read rather than per chunk. The
   * last chunk carries `usage` when the upstream reports it (see `translateBatches` in providers/sse.ts).
   */
  stream(call: UpstreamCall): AsyncIterable<ChatChunk[]>;
  /**
   * The upstream's own count of a request's input tokens (Anthropic's count_tokens), for requests in a
   * protocol it `speaks`; free and unmetered.
   */
  countTokens?(request: ChatRequest, signal: CallSignal): Promise<number>;
}
