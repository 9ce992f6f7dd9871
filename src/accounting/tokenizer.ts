// Token counting with real BPE encodings (js-tiktoken ships its ranks, nothing is downloaded). Used only
// where a provider reports no usage; encodings load lazily, once.
import { getEncoding, type Tiktoken } from 'js-tiktoken';
import type { ChatMessage } from '../core/types.js';
import type { TokenizerName } from '../router/catalog.js';

const encodings = new Map<TokenizerName, Tiktoken>();

function encoding(name: TokenizerName): Tiktoken {
  let enc = encodings.get(name);
  if (!enc) {
    enc = getEncoding(name);
    encodings.set(name, enc);
  }
  return enc;
}

export function countTextTokens(text: string, tokenizer: TokenizerName): number {
  return text.length === 0 ? 0 : encoding(tokenizer).encode(text, 'all').length;
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
export function countPromptTokens(messages: readonly ChatMessage[], tokenizer: TokenizerName): number {
  let total = 3;
  for (const message of messages) {
    total += 3 + countTextTokens(messageText(message), tokenizer);
    if (message.name) total += 1;
  }
  return total;
}
