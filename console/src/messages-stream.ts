// Streams an answer from the gateway's Anthropic Messages API (`POST /v1/messages`, Anthropic's SSE events)
// for the playground.
import { ApiError } from './api.js';
import { errorOf, refusal, requestIdOf, sseEvents } from './sse.js';

/** The API version the request is written against (Anthropic requires the header). */
export const ANTHROPIC_VERSION = '2023-06-01';

export interface MessagesBody {
  model: string;
  /** Required by the Messages API. */
  max_tokens: number;
  system?: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
  temperature?: number;
}

/** Anthropic's usage: input_tokens excludes the prompt tokens read from or written to the cache. */
export interface MessagesUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface MessagesResult {
  usage: MessagesUsage | undefined;
  stopReason: string | undefined;
  ttftMs: number | undefined;
  totalMs: number;
  /** The gateway's request id (`x-request-id`): the answer's row in the request log. */
  requestId: string | undefined;
}

interface EventShape {
  type?: unknown;
  message?: { usage?: unknown };
  delta?: { type?: unknown; text?: unknown; stop_reason?: unknown };
  usage?: unknown;
}

const USAGE_FIELDS = [
  'input_tokens',
  'output_tokens',
  'cache_creation_input_tokens',
  'cache_read_input_tokens',
] as const;

/**
 * message_start carries the input count, message_delta the cumulative output (and, on newer models, the
 * input again): each count present overrides the earlier one.
 */
function mergeUsage(current: MessagesUsage | undefined, reported: unknown): MessagesUsage | undefined {
  if (!reported || typeof reported !== 'object') return current;
  const next: MessagesUsage = { ...current };
  for (const field of USAGE_FIELDS) {
    const value = (reported as Record<string, unknown>)[field];
    if (typeof value === 'number') next[field] = value;
  }
  return next;
}

export async function streamMessages(
  key: string,
  body: MessagesBody,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<MessagesResult> {
  const started = performance.now();
  const res = await fetch('/v1/messages', {
    method: 'POST',
    headers: { 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  if (!res.ok || !res.body) throw await refusal(res);

  let usage: MessagesUsage | undefined;
  let stopReason: string | undefined;
  let ttftMs: number | undefined;
  let complete = false;
  for await (const { event, data } of sseEvents(res.body)) {
    // As Anthropic's SDK reads the stream: by the event's name; unnamed events are not part of it.
    if (event === undefined || event === 'ping') continue;
    if (event === 'error') {
      const error = errorOf(data);
      throw new ApiError(
        error?.message ?? 'The stream ended with an error.',
        res.status,
        error?.code ?? null,
      );
    }
    let parsed: EventShape;
    try {
      parsed = JSON.parse(data) as EventShape;
    } catch {
      continue;
    }
    if (parsed.type === 'message_start') usage = mergeUsage(usage, parsed.message?.usage);
    else if (parsed.type === 'content_block_delta') {
      const text = parsed.delta?.type === 'text_delta' ? parsed.delta.text : undefined;
      if (typeof text === 'string' && text) {
        ttftMs ??= performance.now() - started;
        onText(text);
      }
    } else if (parsed.type === 'message_delta') {
      if (typeof parsed.delta?.stop_reason === 'string') stopReason = parsed.delta.stop_reason;
      usage = mergeUsage(usage, parsed.usage);
    } else if (parsed.type === 'message_stop') {
      complete = true;
      break;
    }
  }
  if (!complete) throw new ApiError('The stream ended before the answer was complete.', res.status);
  return { usage, stopReason, ttftMs, totalMs: performance.now() - started, requestId: requestIdOf(res) };
}
