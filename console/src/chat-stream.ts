// Streams a chat completion from the gateway (OpenAI's SSE format) for the playground.
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ApiError } from './api.js';

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
}

interface ChunkShape {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: unknown;
  error?: { message?: unknown; code?: unknown };
}

/** The data of each event of an SSE byte stream (events without data are skipped). */
async function* sseData(body: ReadableStream<Uint8Array<ArrayBuffer>>): AsyncGenerator<string> {
  const events = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = events.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.data) yield value.data;
    }
  } finally {
    reader.releaseLock();
    // Also cancels the response body: the gateway sees the client go.
    await events.cancel().catch(() => undefined);
  }
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
  if (!res.ok || !res.body) {
    const text = await res.text();
    let message = `The gateway answered HTTP ${res.status}.`;
    try {
      const parsed = JSON.parse(text) as ChunkShape;
      if (typeof parsed.error?.message === 'string') message = parsed.error.message;
    } catch {
      // Not JSON: keep the status message.
    }
    throw new ApiError(message, res.status);
  }

  let usage: StreamUsage | undefined;
  let finishReason: string | undefined;
  let ttftMs: number | undefined;
  for await (const data of sseData(res.body)) {
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
        200,
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
  return { usage, finishReason, ttftMs, totalMs: performance.now() - started };
}
