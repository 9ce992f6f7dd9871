// A stream chunk that can go to an OpenAI-format client as the upstream's own JSON text. Parsing every
// event and serialising it again was a third of a 200-chunk stream's CPU; most events are plain text
// deltas the gateway passes on unchanged but for the id and model, so those are relayed with the two
// spliced in (see providers/openai/chunk-relay.ts for which events qualify).
//
// An event is held as two parts: the stream's prefix (every plain event of an OpenAI stream starts with
// the same text, up to its delta's first key) and the rest. The prefix is rewritten once per stream.
import type { ChatChunk, ChunkDelta } from './types.js';

const RELAYED = Symbol('relayed');

/** The text every plain event of one stream starts with: `{"id":…,"choices":[{"index":0,"delta":{`. */
export interface RelayPrefix {
  readonly text: string;
  /** `"id":"…"`, `"model":"…"` and `"created":…` as they appear in `text`. */
  readonly idToken: string;
  readonly modelToken: string;
  readonly createdToken: string;
  /** The value `createdToken` spells. */
  readonly created: number;
  /** Whether `text` has `"usage":null` (OpenAI's chat door sends it only when usage was asked for). */
  readonly usageNull: boolean;
  /** Whether `text` has `"system_fingerprint":null` (the chat door leaves it out). */
  readonly fingerprintNull: boolean;
}

/** One relayed event: the stream's prefix, then the rest of its text. */
export interface RelayedText {
  readonly prefix: RelayPrefix;
  readonly rest: string;
  /** Whether `rest` has `"usage":null`. */
  readonly usageNull: boolean;
}

/** Attaches an event's text to the light chunk made from it. */
export function withRelayedText(chunk: ChatChunk, relayed: RelayedText): ChatChunk {
  (chunk as { [RELAYED]?: RelayedText })[RELAYED] = relayed;
  return chunk;
}

/**
 * The chunk's upstream text. Only calls that ask for it get such chunks (`UpstreamCall.relay`), and the
 * router never asks where it changes chunks (stop emulation, n fan-out), so the text says what the chunk says.
 */
export function relayedText(chunk: ChatChunk): RelayedText | undefined {
  return (chunk as { [RELAYED]?: RelayedText })[RELAYED];
}

const RUN = Symbol('relayedRun');
const TEXT_RUN = Symbol('textRun');

/**
 * Text deltas taken whole from an upstream's read, without the SSE parser (one chunk stands for them):
 * what the pipeline asks of them. Their texts are decoded only when someone asks.
 */
export interface TextRun {
  /**
   * The events' texts as they came (JSON-escaped), joined by `\n` (no line of SSE holds one): one new
   * string, which keeps nothing of the read alive (a run's text is a slice of the whole read).
   */
  escapedTexts(): string;
  /** Whether some event has text (the run's chunk is content: the commit point). */
  hasText(): boolean;
}

/**
 * Consecutive plain events of one upstream read of an OpenAI chat stream, carried as one chunk: their SSE
 * text as it came (each `data: ` + the prefix + its rest + a blank line) and, read only when asked, what
 * they say. The chat door writes them with the prefix rewritten.
 */
export interface RelayedRun extends TextRun {
  readonly prefix: RelayPrefix;
  /** The events' text as it came, whole events only (each ends in `\n\n`). */
  readonly text: string;
  /** Whether every event's rest has `"usage":null` (a run never mixes the two). */
  readonly usageNull: boolean;
}

/** Attaches a chat run to the chunk that stands for it. */
export function withRelayedRun(chunk: ChatChunk, run: RelayedRun): ChatChunk {
  (chunk as { [RUN]?: RelayedRun })[RUN] = run;
  return chunk;
}

/** The chat run a chunk stands for (only calls that ask for relayed text get such chunks, as for `relayedText`). */
export function relayedRun(chunk: ChatChunk): RelayedRun | undefined {
  return (chunk as { [RUN]?: RelayedRun })[RUN];
}

/** Attaches a run of another wire format (its door relays the events through core/native.ts). */
export function withTextRun(chunk: ChatChunk, run: TextRun): ChatChunk {
  (chunk as { [TEXT_RUN]?: TextRun })[TEXT_RUN] = run;
  return chunk;
}

/** The run a chunk stands for, of any wire format: what the pipeline reads (text, the commit point). */
export function textRun(chunk: ChatChunk): TextRun | undefined {
  const carrier = chunk as { [RUN]?: TextRun; [TEXT_RUN]?: TextRun };
  return carrier[RUN] ?? carrier[TEXT_RUN];
}

/**
 * The texts `TextRun.escapedTexts` gave, decoded, the empty ones left out. A text with a backslash is a
 * valid JSON string's (the run's pattern checks it); one without is taken as it is, as for a single event.
 */
export function decodeRunTexts(escaped: string): string[] {
  const texts: string[] = [];
  for (const text of escaped.split('\n')) {
    if (text.length === 0) continue;
    texts.push(text.includes('\\') ? (JSON.parse(`"${text}"`) as string) : text);
  }
  return texts;
}

/**
 * A run's delta, for a reader of chunks that looks: its events' texts together, decoded when read (the
 * gateway's own readers ask the run). A getter on the class, not one defined on each delta: an accessor
 * defined with a new function gives the object a new hidden class each time, and those, kept until a full
 * GC, held every read alive (a scavenge of a 200-chunk stream cost ten times the relay itself).
 */
export class TextRunDelta implements ChunkDelta {
  [field: string]: unknown;

  constructor(private readonly run: TextRun) {}

  get content(): string {
    return decodeRunTexts(this.run.escapedTexts()).join('');
  }
}

/**
 * A JSON-escaped text in an event, as a run's pattern (RUN_CONTENT) admits it, within one line: either with
 * no backslash (taken as it is), or a valid JSON string's characters (what `JSON.parse` accepts).
 */
export const RUN_CONTENT = String.raw`(?:[^"\\\r\n]*|(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)`;

const QUOTE = 34;
const BACKSLASH = 92;

/** Where the JSON string whose text starts at `start` ends: its closing quote (one not escaped). */
export function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start);
  for (;;) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** Whether the JSON string whose text starts at `start` is not empty. */
export function stringHasText(text: string, start: number): boolean {
  return text.charCodeAt(start) !== QUOTE;
}
