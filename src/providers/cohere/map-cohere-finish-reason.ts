import type { FinishReason } from '../../core/types.js';

/**
 * Cohere `finish_reason` → OpenAI `finish_reason`. `ERROR` and `TIMEOUT` are failures, not endings: the
 * provider turns them into errors before asking here. Anything new maps to `stop`.
 */
export function mapCohereFinishReason(finishReason: string | null): FinishReason {
  switch (finishReason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    default:
      // COMPLETE, STOP_SEQUENCE, and anything new
      return 'stop';
  }
}
