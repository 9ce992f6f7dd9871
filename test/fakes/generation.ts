// The fake upstreams' generation: the reply, its "tokens" (words split on single spaces, each with its
// trailing space, so they concatenate back to the reply) and how max_tokens and stop sequences cut it.
import type { FinishReason } from '../../src/core/types.js';

export const DEFAULT_REPLY = 'Hello from the fake upstream. It speaks the OpenAI wire format.';

/** The fake's tokens: words split on single spaces, each with its trailing space. */
export function tokenize(text: string): string[] {
  const words = text.split(' ');
  return words.map((w, i) => (i < words.length - 1 ? `${w} ` : w)).filter((t) => t !== '');
}

export interface Generation {
  /** What is emitted, one stream chunk each. */
  pieces: string[];
  finishReason: FinishReason;
}

/** The pieces cut before the earliest of `stops` in their text (empty stops ignored), and which one it was. */
export function cutAtStop(
  pieces: readonly string[],
  stops: readonly string[],
): { pieces: string[]; stop: string | null } {
  const text = pieces.join('');
  let cut = -1;
  let stop: string | null = null;
  for (const candidate of stops) {
    if (candidate === '') continue;
    const at = text.indexOf(candidate);
    if (at >= 0 && (cut < 0 || at < cut)) {
      cut = at;
      stop = candidate;
    }
  }
  if (cut < 0) return { pieces: [...pieces], stop: null };
  const kept: string[] = [];
  let position = 0;
  for (const piece of pieces) {
    if (position + piece.length <= cut) kept.push(piece);
    else {
      if (cut > position) kept.push(piece.slice(0, cut - position));
      break;
    }
    position += piece.length;
  }
  return { pieces: kept, stop };
}

/** Applies max_tokens / max_completion_tokens (→ 'length') then stop sequences (→ 'stop', stop text cut). */
export function generate(reply: string, maxTokens: number | undefined, stops: readonly string[]): Generation {
  const all = tokenize(reply);
  const limited = maxTokens === undefined ? all : all.slice(0, Math.max(0, maxTokens));
  const { pieces, stop } = cutAtStop(limited, stops);
  const finishReason: FinishReason = stop !== null ? 'stop' : limited.length < all.length ? 'length' : 'stop';
  return { pieces, finishReason };
}
