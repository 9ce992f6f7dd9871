// Token counting with real BPE encodings (gpt-tokenizer ships its ranks; nothing is downloaded). Used for
// admission of metered requests and where a provider reports no usage. Each encoding (tens of MB, a
// noticeable load time: bench/README.md) is loaded in the background on first use or by `warmTokenizers`; counting itself is synchronous.

import type { TokenizerName } from '../catalog/catalog.js';
import type { ChatMessage } from '../core/types.js';

type Counter = (text: string) => number;

const loaders: Record<TokenizerName, () => Promise<Counter>> = {
  o200k_base: async () => (await import('gpt-tokenizer/encoding/o200k_base')).countTokens,
  cl100k_base: async () => (await import('gpt-tokenizer/encoding/cl100k_base')).countTokens,
};

// Process-wide on purpose: an encoding is immutable and large, so every gateway in a process shares it.
const counters = new Map<TokenizerName, Counter>();
const loading = new Map<TokenizerName, Promise<Counter>>();

/** Loads encodings ahead of use (at start), so counting is synchronous on the request path. */
export async function warmTokenizers(names: readonly TokenizerName[] = ['o200k_base', 'cl100k_base']) {
  await Promise.all(names.map(load));
}

function load(name: TokenizerName): Promise<Counter> {
  let pending = loading.get(name);
  if (!pending) {
    pending = loaders[name]().then((count) => {
      counters.set(name, count);
      return count;
    });
    loading.set(name, pending);
  }
  return pending;
}

/**
 * What to do while an encoding is still loading (just after first use): an `upper` bound
 * (UTF-8 bytes: a BPE token is at least one byte), for reserving money, or an `estimate` (about four
 * characters a token), for counting what was generated.
 */
export type Fallback = 'upper' | 'estimate';

function fallbackCount(text: string, fallback: Fallback): number {
  return fallback === 'upper' ? Buffer.byteLength(text) : Math.ceil(text.length / 4);
}

function counter(name: TokenizerName): Counter | undefined {
  const count = counters.get(name);
  if (!count) load(name).catch(() => undefined);
  return count;
}

export function countTextTokens(
  text: string,
  tokenizer: TokenizerName,
  fallback: Fallback = 'estimate',
): number {
  if (text.length === 0) return 0;
  const count = counter(tokenizer);
  return count ? count(text) : fallbackCount(text, fallback);
}

function messageText(message: ChatMessage): string {
  const parts: string[] = [message.role];
  if (typeof message.content === 'string') parts.push(message.content);
  else if (Array.isArray(message.content)) {
    for (const part of message.content)
      if (part.type === 'text' && typeof part.text === 'string') parts.push(part.text);
  }
  if (message.name) parts.push(message.name);
  for (const call of message.tool_calls ?? []) parts.push(call.function.name, call.function.arguments);
  return parts.join('\n');
}

/**
 * Prompt tokens the way OpenAI counts chat input: each message costs 3 tokens of framing plus its text,
 * a name 1 more, and the reply is primed with 3. Images and audio are not counted (no public formula
 * holds across providers); the count is then a lower bound and marked estimated.
 */
export function countPromptTokens(
  messages: readonly ChatMessage[],
  tokenizer: TokenizerName,
  fallback: Fallback = 'estimate',
): number {
  let total = 3;
  for (const message of messages) {
    total += 3 + countTextTokens(messageText(message), tokenizer, fallback);
    if (message.name) total += 1;
  }
  return total;
}

/**
 * An upper bound of `countPromptTokens` without a tokenizer: the same framing, and each message's text
 * counted as its UTF-8 bytes (a BPE token is at least one byte). Costs a pass over the bytes, nothing more.
 */
export function promptTokenBound(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const message of messages) {
    const text = messageText(message);
    total += 3 + (text.length === 0 ? 0 : Buffer.byteLength(text));
    if (message.name) total += 1;
  }
  return total;
}

/** Tokens of several generated pieces, counted as one text (the pieces of a stream join into the answer). */
export function countGeneratedTokens(pieces: readonly string[], tokenizer: TokenizerName): number {
  return pieces.length === 0 ? 0 : countTextTokens(pieces.join(''), tokenizer);
}
