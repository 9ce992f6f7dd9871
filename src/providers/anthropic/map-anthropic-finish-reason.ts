import type { FinishReason } from '../../core/types.js';

/**
 * Anthropic `stop_reason` → OpenAI `finish_reason`. `pause_turn` (a server tool paused a long turn) has no
 * OpenAI equivalent; the turn did end, so it maps to `stop`. Unknown future reasons also map to `stop`.
 */
export function mapAnthropicFinishReason(stopReason: string | null): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn, and anything new
      return 'stop';
  }
}
