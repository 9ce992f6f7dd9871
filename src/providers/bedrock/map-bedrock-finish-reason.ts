import type { FinishReason } from '../../core/types.js';

/**
 * Bedrock `stopReason` → OpenAI `finish_reason`. `malformed_model_output` / `malformed_tool_use` end the turn
 * without a usable answer; OpenAI has no word for that, so they map to `stop` like anything new.
 */
export function mapBedrockFinishReason(stopReason: string | null): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, malformed_*, and anything new
      return 'stop';
  }
}
