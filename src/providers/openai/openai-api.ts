// Lenient checks of what OpenAI-compatible upstreams send: only what the gateway relies on is required,
// every other field travels untouched.
import type { ChatChunk, ChatResponse } from '../../core/types.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function isChatResponse(value: unknown): value is ChatResponse {
  return isObject(value) && Array.isArray(value.choices);
}

export function isChatChunk(value: unknown): value is ChatChunk {
  return isObject(value) && Array.isArray(value.choices);
}

/** An error object sent in-band, as a JSON body or as an SSE event (`{"error": {...}}`). */
export function readErrorObject(value: unknown): {
  message: string;
  param?: string | null;
  code?: string | null;
} {
  const error = isObject(value) && isObject(value.error) ? value.error : undefined;
  if (!error) return { message: '' };
  const message = typeof error.message === 'string' ? error.message : '';
  const param = typeof error.param === 'string' ? error.param : null;
  const code = typeof error.code === 'string' ? error.code : null;
  return { message, param, code };
}
