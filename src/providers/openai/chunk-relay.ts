// Which events of an OpenAI-format stream may be relayed as their own text (core/relayed-chunk.ts), and the
// light chunk that stands for each: a plain text delta of the stream's only choice, with the stream's id,
// model and created spelled as in the first event. Everything else (the first event, finishes, usage, tool
// calls, reasoning, refusals, log probabilities, errors, unusual spellings) is parsed as before.
//
// The checks read the raw text. In JSON an unescaped `"name":` cannot occur inside a string (every quote in
// a string is escaped), so a match is a key; a false alarm only costs the full parse.
import { type RelayTokens, withRelayedText } from '../../core/relayed-chunk.js';
import type { ChatChunk, ChunkDelta } from '../../core/types.js';

/** A key the gateway reads, with a value other than null (or spaced JSON): the event is parsed whole. */
const NEEDS_PARSE =
  /"(?:finish_reason|usage|tool_calls|function_call|reasoning[a-z_]*|refusal|logprobs|audio|annotations|error)":(?!null)/;
const ONLY_CHOICE = '"choices":[{"index":0,"delta":{';
const INDEX = '"index":';
const CONTENT = '"content":';
const CLOSING_BRACE = 125;
const QUOTE = 34;
const BACKSLASH = 92;
/** What `contentOf` returns when the content is not a plain JSON string or null. */
const UNREADABLE = Symbol('unreadable');

interface StreamTokens extends RelayTokens {
  readonly idValue: string;
  readonly modelValue: string;
}

export class ChunkRelay {
  private tokens: StreamTokens | undefined;

  /** Takes the stream's id, model and created from the first fully parsed chunk that has all three. */
  learn(chunk: ChatChunk): void {
    if (this.tokens) return;
    const { id, model, created } = chunk;
    if (typeof id !== 'string' || typeof model !== 'string' || !Number.isSafeInteger(created)) return;
    this.tokens = {
      id: `"id":${JSON.stringify(id)}`,
      model: `"model":${JSON.stringify(model)}`,
      created: `"created":${created}`,
      idValue: id,
      modelValue: model,
      createdValue: created,
    };
  }

  /** The light chunk for a plain text delta, carrying its text; undefined when the event needs a full parse. */
  light(data: string): ChatChunk | undefined {
    const tokens = this.tokens;
    if (tokens === undefined || data.charCodeAt(data.length - 1) !== CLOSING_BRACE) return undefined;
    if (NEEDS_PARSE.test(data)) return undefined;
    const choice = data.indexOf(ONLY_CHOICE);
    if (choice < 0 || data.indexOf(INDEX, choice + ONLY_CHOICE.length) >= 0) return undefined;
    if (!data.includes(tokens.id) || !data.includes(tokens.model) || !data.includes(tokens.created))
      return undefined;
    const content = contentOf(data);
    if (content === UNREADABLE) return undefined;
    const delta: ChunkDelta = {};
    if (data.includes('"role":')) {
      if (!data.includes('"role":"assistant"')) return undefined;
      delta.role = 'assistant';
    }
    if (content !== undefined) delta.content = content;
    const chunk: ChatChunk = {
      id: tokens.idValue,
      object: 'chat.completion.chunk',
      created: tokens.createdValue,
      model: tokens.modelValue,
      choices: [{ index: 0, delta, finish_reason: null }],
    };
    return withRelayedText(chunk, {
      text: data,
      tokens,
      usageNull: data.includes('"usage":null'),
      fingerprintNull: data.includes('"system_fingerprint":null'),
    });
  }
}

/** The delta's `content` (undefined when absent), read without parsing the event. */
function contentOf(data: string): string | null | undefined | typeof UNREADABLE {
  const key = data.indexOf(CONTENT);
  if (key < 0) return undefined;
  if (data.indexOf(CONTENT, key + CONTENT.length) >= 0) return UNREADABLE;
  const start = key + CONTENT.length;
  if (data.startsWith('null', start)) return null;
  if (data.charCodeAt(start) !== QUOTE) return UNREADABLE;
  let end = start;
  for (;;) {
    end = data.indexOf('"', end + 1);
    if (end < 0) return UNREADABLE;
    // A quote after an odd run of backslashes is escaped: part of the string.
    let slashes = 0;
    while (data.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) break;
  }
  const inner = data.slice(start + 1, end);
  if (!inner.includes('\\')) return inner;
  try {
    return JSON.parse(`"${inner}"`) as string;
  } catch {
    return UNREADABLE;
  }
}
