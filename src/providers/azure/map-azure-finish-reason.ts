import type { FinishReason } from '../../core/types.js';

const CANONICAL = new Set<string>(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

/**
 * Azure uses OpenAI's finish reasons, `content_filter` included (its filters cut the answer); they pass as
 * they are. Anything else (older previews, new values) maps to `stop`; `null` stays `null` mid-stream.
 */
export function mapAzureFinishReason(finishReason: unknown): FinishReason | null {
  if (finishReason === null || finishReason === undefined) return null;
  return typeof finishReason === 'string' && CANONICAL.has(finishReason)
    ? (finishReason as FinishReason)
    : 'stop';
}
