// Re-serialising a large request costs more than anything else the gateway does with it: JSON.stringify
// escapes a long prompt several times slower than JSON.parse reads it (bench/README.md, "Measurements
// behind the code"). A value that goes
// upstream exactly as the client sent it (the `messages` of an OpenAI-format request) is therefore
// remembered with its raw JSON text, and `jsonBody` splices that text back instead of re-escaping.
//
// Values are remembered by object identity (a WeakMap), so anything that builds a new array or object,
// such as a provider translating messages, simply misses the shortcut; nothing mutates a remembered value in
// place (a value changed in place would go out as its old text). The WeakMap is process-wide but keyed by
// each request's own objects, so gateways in one process cannot see each other's entries. Keys spelled with escapes at the top level make `rawTopLevelValue`
// give up, so the span found is always the one JSON.parse kept.
import { randomBytes } from 'node:crypto';

const raw = new WeakMap<object, string>();

/**
 * Below this, JSON.stringify is as cheap as finding the span. Measured from the parsed body to the bytes undici
 * writes (it makes a string body a Buffer): spliced, a rerank of 16 passages (3.4 KB) took 4.2 µs against 9.2,
 * a 3.8 KB conversation 6.6 against 13.0, 2 KB 3.7–6.0 against 5.6–6.6, 1 KB no less (bench/README.md,
 * "Measurements behind the code").
 */
export const RAW_JSON_MIN_LENGTH = 2048;

export function rememberRawJson(value: object, text: string): void {
  raw.set(value, text);
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * What the span finders read: a string, or `AsciiBytes`. A JSON text of more than 128 KB made into one
 * string is a large object to V8, and allocating one cost 0.5–0.8 ms on this machine (a fresh mapping per
 * string, every page faulted in), more than everything else the gateway does for a request; an ASCII
 * answer of that size is therefore scanned as bytes, and only the small parts around a span become strings.
 */
export interface JsonText {
  readonly length: number;
  charCodeAt(index: number): number;
  indexOf(search: string, from?: number): number;
  slice(start: number, end?: number): string;
}

/**
 * ASCII bytes read as the text they spell (for the span finders), in the pieces they arrived in: an answer
 * read off a socket is never joined into one buffer just to be scanned (a copy of hundreds of KB, and
 * memory V8 counts against its heap until the next collection).
 */
export class AsciiPieces implements JsonText {
  readonly length: number;
  private readonly pieces: Buffer[];
  /** Text index of each piece's first byte. */
  private readonly starts: number[];
  /** The piece of the last lookup: scans mostly move forward, a piece at a time. */
  private current = 0;

  constructor(pieces: Buffer | readonly Buffer[]) {
    this.pieces = (Buffer.isBuffer(pieces) ? [pieces] : pieces).filter((piece) => piece.length > 0);
    this.starts = [];
    let length = 0;
    for (const piece of this.pieces) {
      this.starts.push(length);
      length += piece.length;
    }
    this.length = length;
  }

  /** The piece that holds text index `index` (0 ≤ index < length). */
  private pieceOf(index: number): number {
    const { starts, pieces } = this;
    let i = this.current;
    while (index < starts[i]!) i -= 1;
    while (index >= starts[i]! + pieces[i]!.length) i += 1;
    this.current = i;
    return i;
  }

  charCodeAt(index: number): number {
    // As a string's: NaN outside the text.
    if (!(index >= 0 && index < this.length)) return Number.NaN;
    const i = this.pieceOf(index);
    return this.pieces[i]![index - this.starts[i]!]!;
  }

  indexOf(search: string, from = 0): number {
    const start = Math.min(Math.max(from, 0), this.length);
    if (search.length === 0) return start;
    if (start === this.length) return -1;
    const { pieces, starts } = this;
    const first = this.pieceOf(start);
    let local = start - starts[first]!;
    for (let i = first; i < pieces.length; i++, local = 0) {
      const piece = pieces[i]!;
      const at = piece.indexOf(search, local, 'latin1');
      if (at !== -1) return starts[i]! + at;
      // A match that starts in this piece and ends in a later one.
      for (let p = Math.max(local, piece.length - search.length + 1); p < piece.length; p++) {
        if (this.matchesAt(search, starts[i]! + p)) return starts[i]! + p;
      }
    }
    return -1;
  }

  private matchesAt(search: string, at: number): boolean {
    for (let k = 0; k < search.length; k++) {
      if (this.charCodeAt(at + k) !== search.charCodeAt(k)) return false;
    }
    return true;
  }

  slice(start: number, end = this.length): string {
    const from = Math.min(Math.max(start, 0), this.length);
    const until = Math.min(Math.max(end, 0), this.length);
    if (from >= until) return '';
    // The usual case (a key, an index): within one piece, read without views or a list of parts.
    const i = this.pieceOf(from);
    const offset = from - this.starts[i]!;
    if (until - this.starts[i]! <= this.pieces[i]!.length)
      return this.pieces[i]!.toString('latin1', offset, until - this.starts[i]!);
    let text = '';
    for (const part of this.bytes(from, until)) text += part.toString('latin1');
    return text;
  }

  /** The bytes of text[start, end) as views into the pieces: nothing copied. */
  bytes(start: number, end = this.length): Buffer[] {
    let at = Math.min(Math.max(start, 0), this.length);
    const until = Math.min(Math.max(end, 0), this.length);
    const parts: Buffer[] = [];
    if (at >= until) return parts;
    for (let i = this.pieceOf(at); at < until; i++) {
      const piece = this.pieces[i]!;
      const offset = at - this.starts[i]!;
      const stop = Math.min(piece.length, until - this.starts[i]!);
      parts.push(offset === 0 && stop === piece.length ? piece : piece.subarray(offset, stop));
      at = this.starts[i]! + stop;
    }
    return parts;
  }
}

/** Index just past the string that opens at `start` (a quote). Strings are skipped with indexOf, not char by char. */
function skipString(text: JsonText, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes += 1;
    if (slashes % 2 === 0) return end + 1;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}

const isNumberStart = (c: number) => (c >= 48 && c <= 57) || c === 45;

/** Whether `char` occurs in text[from, to). indexOf is native: far cheaper than a loop over the characters. */
const occursBefore = (text: JsonText, char: string, from: number, to: number) => {
  const at = text.indexOf(char, from);
  return at !== -1 && at < to;
};

/**
 * Index just past a flat array of numbers opening at `start` (an embedding vector: thousands of numbers),
 * found with indexOf; -1 when the array is anything else (it is then walked character by character).
 */
function numberArrayEnd(text: JsonText, start: number): number {
  let j = start + 1;
  while (isSpace(text.charCodeAt(j))) j += 1;
  if (!isNumberStart(text.charCodeAt(j))) return -1;
  const close = text.indexOf(']', j);
  if (close === -1) return -1;
  // Numbers hold none of these: finding one inside means nesting, strings or objects.
  if (
    occursBefore(text, '[', j, close) ||
    occursBefore(text, '"', j, close) ||
    occursBefore(text, '{', j, close)
  )
    return -1;
  return close + 1;
}

/** Index just past the value that starts at `start` (no leading whitespace). */
function skipValue(text: JsonText, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return skipString(text, start);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: up to the next delimiter.
    let i = start;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
      i += 1;
    }
    return i;
  }
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i);
      if (i === -1) return -1;
      continue;
    }
    if (c === OPEN_BRACKET) {
      const close = numberArrayEnd(text, i);
      if (close !== -1) {
        if (depth === 0) return close;
        i = close;
        continue;
      }
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  return -1;
}

function skipSpace(text: JsonText, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i += 1;
  return i;
}

/**
 * Where top-level members' values lie in `text`, a JSON object that JSON.parse accepted, found in one walk:
 * [start, end) of each key's last occurrence (JSON.parse keeps the last), absent keys left out. Undefined
 * when `text` is not an object, or when any top-level key is spelled with an escape (it might be one of
 * these keys in disguise).
 */
export function rawTopLevelSpans(
  text: JsonText,
  keys: readonly string[],
): Map<string, [number, number]> | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(text, i + 1);
  const found = new Map<string, [number, number]>();
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    if (keyEnd === -1) return undefined;
    const name = text.slice(i + 1, keyEnd - 1);
    if (name.includes('\\')) return undefined;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, i);
    if (valueEnd === -1) return undefined;
    if (keys.includes(name)) found.set(name, [i, valueEnd]);
    i = skipSpace(text, valueEnd);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  return text.charCodeAt(i) === CLOSE_BRACE ? found : undefined;
}

/**
 * Remembers the raw text of `body`'s top-level `keys` whose values are objects or arrays, found in one walk
 * of `rawJson` (the body's own JSON text): a door whose upstream gets those values unchanged sends them
 * as the client wrote them (`jsonBody`). A value the door replaces is a new object, and has no raw text.
 */
export function rememberRawMembers(
  body: Record<string, unknown>,
  rawJson: string,
  keys: readonly string[],
): void {
  const spans = rawTopLevelSpans(rawJson, keys);
  for (const [key, [start, end]] of spans ?? []) {
    const value = body[key];
    if (typeof value === 'object' && value !== null) rememberRawJson(value, rawJson.slice(start, end));
  }
}

/** Where one top-level member's value lies in `text` (see `rawTopLevelSpans`). */
export function rawTopLevelSpan(text: JsonText, key: string): [number, number] | undefined {
  return rawTopLevelSpans(text, [key])?.get(key);
}

/** The raw text of a top-level member's value (see `rawTopLevelSpans`). */
export function rawTopLevelValue(text: string, key: string): string | undefined {
  const span = rawTopLevelSpan(text, key);
  return span && text.slice(span[0], span[1]);
}

/** A string no client can guess, to stand in for a spliced value in the skeleton. */
const PLACEHOLDER = `\u0000tokgate-raw-${randomBytes(12).toString('hex')}`;
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

/**
 * JSON.stringify for an upstream body whose top-level values may have raw text remembered: those are
 * spliced in as they came, the rest is serialised as usual; the result parses to what JSON.stringify would
 * give. A body with raw text spliced in comes as its UTF-8 bytes, written part by part: joined into one
 * string first, a large body (a long conversation is hundreds of KB) would be copied into a V8 large
 * object and then encoded again for the socket, ~0.3 ms per 256 KB on this machine (bench/README.md).
 */
export function jsonBody(value: Record<string, unknown>): string | Buffer {
  const spliced: string[] = [];
  let skeleton: Record<string, unknown> | undefined;
  for (const key in value) {
    const member = value[key];
    if (typeof member !== 'object' || member === null) continue;
    const text = raw.get(member);
    if (text === undefined) continue;
    skeleton ??= { ...value };
    skeleton[key] = PLACEHOLDER;
    spliced.push(text);
  }
  if (skeleton === undefined) return JSON.stringify(value);
  // The placeholders come out in the order the keys were spliced (both follow the object's key order).
  const outline = JSON.stringify(skeleton).split(PLACEHOLDER_JSON);
  if (outline.length !== spliced.length + 1) return JSON.stringify(value);
  const parts: string[] = [outline[0]!];
  for (let i = 0; i < spliced.length; i++) parts.push(spliced[i]!, outline[i + 1]!);
  let size = 0;
  for (const part of parts) size += Buffer.byteLength(part);
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of parts) at += bytes.write(part, at);
  return bytes;
}
