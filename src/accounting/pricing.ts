// Cost in integer micro-dollars. Prices are micro-USD per million tokens, so the only division is the
// final one by 1e6, rounded half up once per request.

import type { Price } from '../catalog/catalog.js';
import type { Usage } from '../core/types.js';

/** Cost of one answer, or undefined when the model has no price (unpriced is loud, never $0). */
export function costMicros(price: Price | undefined, usage: Usage): number | undefined {
  if (!price) return undefined;
  // prompt_tokens includes cache reads and cache writes (Anthropic); each of the three is priced on its own.
  const details = usage.prompt_tokens_details;
  const cached = Math.min(details?.cached_tokens ?? 0, usage.prompt_tokens);
  const written = Math.min(Number(details?.cache_write_tokens ?? 0) || 0, usage.prompt_tokens - cached);
  // Of the writes, those to Anthropic's 1-hour cache have a price of their own.
  const writtenHour = Math.min(Number(details?.cache_write_1h_tokens ?? 0) || 0, written);
  // Audio tokens have prices of their own where the model lists them (gpt-4o-transcribe in, gpt-4o-mini-tts
  // out); elsewhere they are priced as text, as before.
  const audioIn =
    price.audioInput === undefined
      ? 0
      : Math.min(Number(details?.audio_tokens ?? 0) || 0, usage.prompt_tokens - cached - written);
  const outDetails = usage.completion_tokens_details;
  const audioOut =
    price.audioOutput === undefined
      ? 0
      : Math.min(Number(outDetails?.audio_tokens ?? 0) || 0, usage.completion_tokens);
  // Reasoning tokens are output tokens; a model that bills them apart has a `reasoning` price.
  const reasoning =
    price.reasoning === undefined
      ? 0
      : Math.min(Number(outDetails?.reasoning_tokens ?? 0) || 0, usage.completion_tokens - audioOut);
  const uncached = usage.prompt_tokens - cached - written - audioIn;
  const writePrice = price.cacheWrite ?? price.input;
  const scaled =
    uncached * price.input +
    cached * price.cachedInput +
    (written - writtenHour) * writePrice +
    writtenHour * (price.cacheWrite1h ?? writePrice) +
    audioIn * (price.audioInput ?? 0) +
    (usage.completion_tokens - audioOut - reasoning) * price.output +
    audioOut * (price.audioOutput ?? 0) +
    reasoning * (price.reasoning ?? 0);
  return Math.round(scaled / 1_000_000);
}

/**
 * The largest amount (USD) an account's credits, a top-up or a key's budget may be. Anything larger is a
 * typo or an attack, and the bound keeps every sum of micro-dollars an exact integer (under 2^53) and
 * within PostgreSQL's bigint.
 */
export const MAX_AMOUNT_USD = 1_000_000_000;

export const microsToUsd = (micros: number) => micros / 1_000_000;
export const usdToMicros = (usd: number) => Math.round(usd * 1_000_000);
