// Streams a chat completion from the gateway (OpenAI's SSE format) for the playground.
import { ApiError } from './api.js';
import { refusal, requestIdOf, sseEvents } from './sse.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface StreamUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  /** The gateway's price of this answer in USD; absent when the model has no price. */
  cost?: number;
}

export interface StreamResult {
  usage: StreamUsage | undefined;
  finishReason: string | undefined;
  ttftMs: number | undefined;
  totalMs: number;
  /** The gateway's request id (`x-request-id`): the answer's row in the request log. */
  requestId: string | undefined;
}

interface ChunkShape {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: unknown;
  error?: { message?: unknown; code?: unknown };
}

export async function streamChat(
  key: string,
  body: { model: string; messages: ChatMessage[]; temperature?: number; max_tokens?: number },
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<StreamResult> {
  const started = performance.now();
  const res = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!res.ok || !res.body) throw await refusal(res);

  let usage: StreamUsage | undefined;
  let finishReason: string | undefined;
  let ttftMs: number | undefined;
  for await (const { data } of sseEvents(res.body)) {
    if (data === '[DONE]') break;
    let chunk: ChunkShape;
    try {
      chunk = JSON.parse(data) as ChunkShape;
    } catch {
      continue;
    }
    if (chunk.error) {
      throw new ApiError(
        typeof chunk.error.message === 'string' ? chunk.error.message : 'The stream ended with an error.',
        res.status,
      );
    }
    const choice = chunk.choices?.[0];
    const content = choice?.delta?.content;
    if (typeof content === 'string' && content) {
      ttftMs ??= performance.now() - started;
      onText(content);
    }
    if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
    if (chunk.usage && typeof chunk.usage === 'object') usage = chunk.usage as StreamUsage;
  }
  return { usage, finishReason, ttftMs, totalMs: performance.now() - started, requestId: requestIdOf(res) };
}
