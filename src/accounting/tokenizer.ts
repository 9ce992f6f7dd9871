// Token counting with real BPE encodings (gpt-tokenizer ships its ranks; nothing is downloaded). Used for
// admission of metered requests and where a provider reports no usage. Each encoding (tens of MB, a
// noticeable load time: bench/README.md) is loaded on first use or by `warmTokenizers`. Counting here is
// synchronous and linear in the text; the gateway runs it off the event loop (token-pool.ts).

import type { TokenizerName } from '../catalog/catalog.js';
import type { ChatMessage } from '../core/types.js';

type Counter = (text: string) => number;

// Special-token text (`<|endoftext|>`) in a prompt is counted as plain text, as tiktoken's
// `disallowed_special=()` does: gpt-tokenizer's default throws on it.
const PLAIN = { disallowedSpecial: new Set<string>() };

interface Encoding {
  countTokens(text: string, options: typeof PLAIN): number;
  setMergeCacheSize(size: number): void;
}

// gpt-tokenizer's merge cache is a Map evicted oldest-first; once full, its deleted entries make every
// eviction slower (1 MB of `./\n` took 55 s with it, 0.4 s without: bench/README.md). Without it, common
// words are still one lookup (they are tokens themselves).
const counterOf = (encoding: Encoding): Counter => {
  encoding.setMergeCacheSize(0);
  return (text) => encoding.countTokens(text, PLAIN);
};

const loaders: Record<TokenizerName, () => Promise<Counter>> = {
  o200k_base: async () => counterOf(await import('gpt-tokenizer/encoding/o200k_base')),
  cl100k_base: async () => counterOf(await import('gpt-tokenizer/encoding/cl100k_base')),
};

// Process-wide (per thread) on purpose: an encoding is immutable and large, so everything in a thread shares it.
const counters = new Map<TokenizerName, Counter>();
const loading = new Map<TokenizerName, Promise<Counter>>();

/** Loads encodings ahead of use, so counting is synchronous. */
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
 * What a count is for. `upper`, for reserving money: never meant to be below the tokenizer's count (the
 * UTF-8 bytes while the encoding loads: a BPE token is at least one byte; one token of slack per hard cut,
 * see `countSegmented`). `estimate`, for counting what was used: the closest guess (about four characters a
 * token while the encoding loads).
 */
export type Purpose = 'upper' | 'estimate';

export function fallbackCount(text: string, purpose: Purpose): number {
  return purpose === 'upper' ? Buffer.byteLength(text) : Math.ceil(text.length / 4);
}

/**
 * Longest text handed to BPE at once. BPE is quadratic in the length of a pre-tokenizer piece, and a run
 * without spaces (`xxxx…`, base64, minified JSON) is one piece: 160 KB of `x` took 20 s in one call.
 */
export const MAX_SEGMENT = 256;

// JavaScript's \s, which the encodings' pre-tokenizers use.
const isSpace = (c: number) =>
  (c >= 9 && c <= 13) ||
  c === 32 ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;

/**
 * Counts `text` in segments of at most `MAX_SEGMENT` characters, so the cost is linear. A segment ends
 * before the last space that follows a non-space in its window when there is one: no piece of either
 * encoding's pre-tokenizer spans that point (a space only ever starts a piece or continues a run of
 * spaces), so such text counts exactly as in one call. A window without one (a long run; text written
 * without spaces, like Japanese) is cut hard, which can move the count by about a token; `upper` adds one
 * per hard cut. Returns undefined when `expired` says so (checked between segments).
 */
export function countSegmented(
  count: Counter,
  text: string,
  purpose: Purpose,
  expired?: () => boolean,
): number | undefined {
  const n = text.length;
  if (n <= MAX_SEGMENT) return n === 0 ? 0 : count(text);
  let total = 0;
  let start = 0;
  let safe = 0; // the last safe cut seen (0: none after start)
  let i = 1;
  while (n - start > MAX_SEGMENT) {
    if (expired?.()) return undefined;
    const limit = start + MAX_SEGMENT;
    for (; i <= limit; i++) {
      if (text.charCodeAt(i) === 32 && !isSpace(text.charCodeAt(i - 1))) safe = i;
    }
    let cut = safe;
    if (safe <= start) {
      cut = limit;
      const before = text.charCodeAt(cut - 1);
      if (before >= 0xd800 && before <= 0xdbff) cut--; // never between the halves of a surrogate pair
      if (purpose === 'upper') total++;
    }
    total += count(text.slice(start, cut));
    start = cut;
  }
  return total + count(text.slice(start));
}

/**
 * Counts each text (waiting for the encoding to load), or undefined once `deadline` (`Date.now()`) has
 * passed: the work stops between two segments.
 */
export async function countTexts(
  tokenizer: TokenizerName,
  texts: readonly string[],
  purpose: Purpose,
  deadline: number,
): Promise<number[] | undefined> {
  const count = await load(tokenizer);
  const expired = () => Date.now() > deadline;
  const counts: number[] = [];
  for (const text of texts) {
    const tokens = countSegmented(count, text, purpose, expired);
    if (tokens === undefined) return undefined;
    counts.push(tokens);
  }
  return counts;
}

/** The counter of an encoding once loaded (loading it in the background otherwise). */
function loadedCounter(name: TokenizerName): Counter | undefined {
  const count = counters.get(name);
  if (!count) load(name).catch(() => undefined);
  return count;
}

export function countTextTokens(
  text: string,
  tokenizer: TokenizerName,
  purpose: Purpose = 'estimate',
): number {
  if (text.length === 0) return 0;
  const count = loadedCounter(tokenizer);
  return count ? countSegmented(count, text, purpose)! : fallbackCount(text, purpose);
}

export function messageText(message: ChatMessage): string {
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
 * The tokens of a prompt besides its texts' (the same formula as `countPromptTokens`): 3 to prime the
 * reply, 3 of framing per message, 1 more for a name.
 */
export function promptFraming(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const message of messages) total += message.name ? 4 : 3;
  return total;
}

/**
 * Prompt tokens the way OpenAI counts chat input: each message costs 3 tokens of framing plus its text,
 * a name 1 more, and the reply is primed with 3. Images and audio are not counted (no public formula
 * holds across providers); the count is then a lower bound and marked estimated.
 */
export function countPromptTokens(
  messages: readonly ChatMessage[],
  tokenizer: TokenizerName,
  purpose: Purpose = 'estimate',
): number {
  let total = promptFraming(messages);
  for (const message of messages) total += countTextTokens(messageText(message), tokenizer, purpose);
  return total;
}

/**
 * An upper bound of `countPromptTokens` without a tokenizer: the same framing, and each message's text
 * counted as its UTF-8 bytes (a BPE token is at least one byte). Costs a pass over the bytes, nothing more.
 */
export function promptTokenBound(messages: readonly ChatMessage[]): number {
  let total = promptFraming(messages);
  for (const message of messages) {
    const text = messageText(message);
    total += text.length === 0 ? 0 : Buffer.byteLength(text);
  }
  return total;
}
