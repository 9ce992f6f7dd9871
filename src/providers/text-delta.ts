// The most frequent event of every streaming wire format is a piece of text. Parsing each such event (and,
// for Anthropic's, validating it) was most of what a relayed stream cost the gateway; these read the text
// of the exact, common spelling with one regular expression and leave everything else to the full parse.
// In JSON an unescaped `"name":` cannot occur inside a string (every quote in a string is escaped), so
// the keys an expression matches are keys.

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
