// The most frequent event of every streaming wire format is a piece of text. Parsing each such event (and,
// for Anthropic's, validating it) was most of what a relayed stream cost the gateway; these read the text
// of the exact, common spelling with one regular expression and leave everything else to the full parse.
// In JSON an unescaped `"name":` cannot occur inside a string (every quote in a string is escaped), so
// the keys an expression matches are keys.
import { RUN_CONTENT, stringEnd, stringHasText, type TextRun } from '../core/relayed-chunk.js';

/** A JSON string's body, as written between its quotes. */
const STRING_BODY = '((?:[^"\\\\]|\\\\.)*)';

/** Anthropic's text delta: `{"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"…"}}`. */
const ANTHROPIC_TEXT_DELTA = new RegExp(
  `^\\{"type":"content_block_delta","index":(\\d{1,9}),"delta":\\{"type":"text_delta","text":"${STRING_BODY}"\\}\\}$`,
);

/**
 * The other members of a Responses text delta in its usual spelling (`"sequence_number":4`, `"item_id":"…"`,
 * `"logprobs":[]`, `"obfuscation":"…"`): simple values, and none of them a second `delta` (JSON would take
 * the last, so a reading of one of them could differ from what the client reads).
 */
const SIMPLE_MEMBERS = String.raw`(?:,"(?!delta")[^"\\\r\n]*":(?:"[^"\\\r\n]*"|\[\]|[-+\w.]+))*`;

/** The Responses API's text delta: `{"type":"response.output_text.delta",…,"delta":"…",…}`. */
const RESPONSES_TEXT_DELTA = new RegExp(
  `^\\{"type":"response\\.output_text\\.delta"${SIMPLE_MEMBERS},"delta":"${STRING_BODY}"${SIMPLE_MEMBERS}\\}$`,
);

/** A string body's value, or undefined when its escapes are not JSON's. */
function unescaped(body: string): string | undefined {
  if (!body.includes('\\')) return body;
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return undefined;
  }
}

/** The block index and text of an Anthropic text delta in its usual spelling; undefined otherwise. */
export function anthropicTextDelta(data: string): { index: number; text: string } | undefined {
  const match = ANTHROPIC_TEXT_DELTA.exec(data);
  if (match === null) return undefined;
  const text = unescaped(match[2]!);
  return text === undefined ? undefined : { index: Number(match[1]), text };
}

/** The text of a Responses API `response.output_text.delta` event in its usual spelling; undefined otherwise. */
export function responsesTextDelta(data: string): string | undefined {
  const match = RESPONSES_TEXT_DELTA.exec(data);
  return match === null ? undefined : unescaped(match[1]!);
}

/**
 * A Responses API text delta framed as OpenAI sends it (`event:` line, `data:` line, blank line, `\n` line
 * ends), with a text `RUN_CONTENT` admits and simple members after it.
 */
const RESPONSES_DELTA_EVENT =
  String.raw`event: response\.output_text\.delta\ndata: \{"type":"response\.output_text\.delta"` +
  String.raw`${SIMPLE_MEMBERS},"delta":"${RUN_CONTENT}"${SIMPLE_MEMBERS}\}\n\n`;

/** One or more such events, one after another from where the search starts. */
const RESPONSES_TEXT_RUN = new RegExp(`(?:${RESPONSES_DELTA_EVENT})+`, 'y');

const DELTA_KEY = '"delta":"';

/**
 * Text-delta events taken whole from a read (sse.ts, `translateReads`): their text as it came, and each
 * event's text, found after `key`. In JSON an unescaped key cannot occur inside a string, and the run's
 * pattern admits no second such key, so the key is found where the pattern read the text.
 */
export class SseTextRun implements TextRun {
  constructor(
    /** Whole events, each ending in a blank line. */
    readonly text: string,
    private readonly key: string,
  ) {}

  /** Where the text of the event at `at` starts; `offset` is where the key was in the one before. */
  private textAt(at: number, offset: number): number {
    const { text, key } = this;
    // Events of one run are alike up to their text (but for a sequence number's digits): the key is
    // looked for where it was in the last event first, a search through the event only if not there.
    let found = at + offset;
    if (offset < 0 || !hasAt(text, key, found)) found = text.indexOf(key, at);
    return found + key.length;
  }

  hasText(): boolean {
    const { text } = this;
    let offset = -1;
    for (let at = 0; at < text.length; ) {
      const start = this.textAt(at, offset);
      if (stringHasText(text, start)) return true;
      offset = start - this.key.length - at;
      at = text.indexOf('\n\n', start) + 2;
    }
    return false;
  }

  escapedTexts(): string {
    const { text } = this;
    const texts: string[] = [];
    let offset = -1;
    for (let at = 0; at < text.length; ) {
      const start = this.textAt(at, offset);
      const end = stringEnd(text, start);
      texts.push(text.slice(start, end));
      offset = start - this.key.length - at;
      // The string holds no raw line break: the event's blank line comes after it.
      at = text.indexOf('\n\n', end) + 2;
    }
    return texts.join('\n');
  }
}

/** Whether `text` has `key` at `at`. */
function hasAt(text: string, key: string, at: number): boolean {
  for (let i = 0; i < key.length; i++) if (text.charCodeAt(at + i) !== key.charCodeAt(i)) return false;
  return true;
}

/** An Anthropic text delta of block `index` (a pattern), framed as Anthropic sends it. */
const anthropicDeltaEvent = (index: string) =>
  String.raw`event: content_block_delta\ndata: \{"type":"content_block_delta","index":${index},` +
  String.raw`"delta":\{"type":"text_delta","text":"${RUN_CONTENT}"\}\}\n\n`;

/** One or more such events of one block (a backreference to the first one's index). */
const ANTHROPIC_TEXT_RUN = new RegExp(
  `${anthropicDeltaEvent(String.raw`(\d{1,9})`)}(?:${anthropicDeltaEvent(String.raw`\1`)})*`,
  'y',
);

const TEXT_KEY = '"text":"';

/**
 * The Anthropic text deltas of one content block that stand one after another from `at` (where a whole
 * event starts) in a read's text, as a run, with their block's index and where the run ends; undefined
 * when the first is not one in the usual spelling.
 */
export function anthropicTextRun(
  text: string,
  at: number,
): { run: SseTextRun; index: number; end: number } | undefined {
  ANTHROPIC_TEXT_RUN.lastIndex = at;
  const match = ANTHROPIC_TEXT_RUN.exec(text);
  if (match === null) return undefined;
  const end = ANTHROPIC_TEXT_RUN.lastIndex;
  return { run: new SseTextRun(text.slice(at, end), TEXT_KEY), index: Number(match[1]), end };
}

/**
 * The Responses API text deltas that stand one after another from `at` (where a whole event starts) in
 * a read's text, as a run, and where it ends; undefined when the first is not one in the usual spelling.
 */
export function responsesTextRun(text: string, at: number): { run: SseTextRun; end: number } | undefined {
  RESPONSES_TEXT_RUN.lastIndex = at;
  if (!RESPONSES_TEXT_RUN.test(text)) return undefined;
  const end = RESPONSES_TEXT_RUN.lastIndex;
  return { run: new SseTextRun(text.slice(at, end), DELTA_KEY), end };
}
