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

/** The Responses API's text delta: `{"type":"response.output_text.delta",…,"delta":"…",…}`. */
const RESPONSES_TEXT_DELTA = new RegExp(
  `^\\{"type":"response\\.output_text\\.delta",[^{}\\[\\]]*?"delta":"${STRING_BODY}"`,
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
 * ends), with a text `RUN_CONTENT` admits and nothing nested after it (`"logprobs":[]` is not nested).
 */
const RESPONSES_DELTA_EVENT =
  String.raw`event: response\.output_text\.delta\ndata: \{"type":"response\.output_text\.delta",` +
  String.raw`[^{}\[\]\r\n]*?"delta":"${RUN_CONTENT}"[^{}\r\n]*\}\n\n`;

/** One or more such events, one after another from where the search starts. */
const RESPONSES_TEXT_RUN = new RegExp(`(?:${RESPONSES_DELTA_EVENT})+`, 'y');

const DELTA_KEY = '"delta":"';

/**
 * Text-delta events taken whole from a read (sse.ts, `translateReads`): their text as it came, and each
 * event's text, found after the first `key` in it. In JSON an unescaped key cannot occur inside a string,
 * and the run's pattern puts no other such key before it.
 */
export class SseTextRun implements TextRun {
  constructor(
    /** Whole events, each ending in a blank line. */
    readonly text: string,
    private readonly key: string,
  ) {}

  hasText(): boolean {
    const { text, key } = this;
    for (let at = 0; at < text.length; at = text.indexOf('\n\n', at) + 2) {
      if (stringHasText(text, text.indexOf(key, at) + key.length)) return true;
    }
    return false;
  }

  escapedTexts(): string {
    const { text, key } = this;
    const texts: string[] = [];
    for (let at = 0; at < text.length; at = text.indexOf('\n\n', at) + 2) {
      const start = text.indexOf(key, at) + key.length;
      texts.push(text.slice(start, stringEnd(text, start)));
    }
    return texts.join('\n');
  }
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
