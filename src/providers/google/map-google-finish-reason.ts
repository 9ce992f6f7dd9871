// Gemini finish reasons (https://ai.google.dev/api/generate-content#FinishReason) in OpenAI's vocabulary.
import type { FinishReason } from '../../core/types.js';

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/**
 * STOP is `tool_calls` when the candidate called functions. Reasons OpenAI has no word for (LANGUAGE, OTHER,
 * MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, ...) are `stop`; the raw reason travels beside it as
 * `native_finish_reason`.
 */
export function mapGoogleFinishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && FILTERED.has(reason)) return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}
