// Cost in integer micro-dollars. Prices are micro-USD per million tokens, so the only division is the
// final one by 1e6, rounded half up once per request.
import type { Usage } from '../core/types.js';
import type { Price } from '../router/catalog.js';

/** Cost of one answer, or undefined when the model has no price (unpriced is loud, never $0). */
export function costMicros(price: Price | undefined, usage: Usage): number | undefined {
  if (!price) return undefined;
  const cached = Math.min(usage.prompt_tokens_details?.cached_tokens ?? 0, usage.prompt_tokens);
  const uncached = usage.prompt_tokens - cached;
  const scaled = uncached * price.input + cached * price.cachedInput + usage.completion_tokens * price.output;
  return Math.round(scaled / 1_000_000);
}

export const microsToUsd = (micros: number) => micros / 1_000_000;
export const usdToMicros = (usd: number) => Math.round(usd * 1_000_000);
