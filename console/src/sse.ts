// What the playground's stream readers share: the events of an SSE response body, and the error a refused
// stream request answered (OpenAI's and Anthropic's error bodies both carry `error.message`).
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ApiError } from './api.js';

export interface SseEvent {
  /** The `event:` name; undefined for unnamed events (OpenAI names none). */
  event: string | undefined;
  data: string;
}

/** The events of an SSE byte stream (events without data are skipped). */
export async function* sseEvents(body: ReadableStream<Uint8Array<ArrayBuffer>>): AsyncGenerator<SseEvent> {
  const events = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = events.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.data) yield { event: value.event, data: value.data };
    }
  } finally {
    reader.releaseLock();
    // Also cancels the response body: the gateway sees the client go.
    await events.cancel().catch(() => undefined);
  }
}

interface ErrorShape {
  error?: { message?: unknown; type?: unknown; code?: unknown };
}

/** The message and code of an error body (`{"error":{...}}`, either API's shape), if it is one. */
export function errorOf(data: string): { message: string; code: string | null } | undefined {
  let parsed: ErrorShape;
  try {
    parsed = JSON.parse(data) as ErrorShape;
  } catch {
    return undefined;
  }
  const error = parsed?.error;
  if (!error || typeof error !== 'object' || typeof error.message !== 'string') return undefined;
  const code =
    typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : null;
  return { message: error.message, code };
}

/** The ApiError of a response that did not open a stream. */
export async function refusal(res: Response): Promise<ApiError> {
  const error = errorOf(await res.text());
  return new ApiError(
    error?.message ?? `The gateway answered HTTP ${res.status}.`,
    res.status,
    error?.code ?? null,
  );
}

/** The gateway's id of the request (it keys the request log). */
export const requestIdOf = (res: Response): string | undefined =>
  res.headers.get('x-request-id') ?? undefined;
