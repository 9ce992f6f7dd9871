// Which events of an OpenAI-format stream may be relayed as their own text (core/relayed-chunk.ts), and the
// light chunk that stands for each: a plain text delta of the stream's only choice that starts with the
// stream's prefix (learnt from its first parsed event: the same id, model, created and other top-level
// keys). Everything else (the first event, finishes, usage, tool calls, reasoning, refusals, log
// probabilities, errors, unusual spellings) is parsed as before.
//
// The checks read the raw text. In JSON an unescaped `"name":` cannot occur inside a string (every quote in
// a string is escaped), so a match is a key; a false alarm only costs the full parse.
//
// A run of such events that stand one after another in one read, framed the plain way (`data: ` and a
// blank line, `\n` line ends), is taken whole by one regular expression over the read's text, without
// the SSE parser: one chunk stands for the run (core/relayed-chunk.ts, RelayedRun), and what its events
// say is decoded only if someone asks (the token count when the upstream reports no usage).
import {
  type RelayedRun,
  type RelayPrefix,
  RUN_CONTENT,
  stringEnd,
  stringHasText,
  TextRunDelta,
  withRelayedRun,
  withRelayedText,
} from '../../core/relayed-chunk.js';
import type { ChatChunk, ChunkDelta } from '../../core/types.js';
import type { TakenRun } from '../sse.js';

/** A key the gateway reads, with a value other than null (or spaced JSON): the prefix is not a plain one. */
const NEEDS_PARSE =
  /"(?:finish_reason|usage|tool_calls|function_call|reasoning[a-z_]*|refusal|logprobs|audio|annotations|error)":(?!null)/;
/** Where a plain event's prefix ends: its only choice's delta opens. */
const ONLY_CHOICE = '"choices":[{"index":0,"delta":{';
/**
 * The rest of a plain event, after the prefix: a delta of text (and the role) and nothing else the gateway
 * reads, in the order OpenAI and the servers that copy it write them. Captures the text (JSON-escaped) and
 * whether `"usage":null` is there. Anything else (another key, another order, spaces) is parsed whole.
 */
const PLAIN_REST =
  /^(?:"role":"assistant",)?"content":"((?:[^"\\]|\\.)*)"\}(?:,"logprobs":null)?,"finish_reason":null\}\](,"usage":null)?(?:,"obfuscation":"[^"\\]*")?\}$/;

/** `r`: the rest starts with `"role"`, not `"content"`. */
const R = 114;

/**
 * One or more whole plain events, each `data: ` framed and ending in `\n\n`: a prefix up to the first
 * `ONLY_CHOICE` (captured: the caller compares it with the stream's), then PLAIN_REST, with `"usage":null`
 * or without; the next events with the same prefix (a backreference, so the pattern is the same for every
 * stream and compiled once: a pattern with each stream's own prefix was compiled again for every stream).
 */
function runPattern(usageNull: boolean): RegExp {
  const rest =
    String.raw`(?:"role":"assistant",)?"content":"${RUN_CONTENT}"\}(?:,"logprobs":null)?,"finish_reason":null\}\]` +
    (usageNull ? ',"usage":null' : '') +
    String.raw`(?:,"obfuscation":"[^"\\\r\n]*")?\}\n\n`;
  return new RegExp(
    String.raw`data: (\{[^\r\n]*?"choices":\[\{"index":0,"delta":\{)${rest}(?:data: \1${rest})*`,
    'y',
  );
}

const RUN_WITH_USAGE = runPattern(true);
const RUN_WITHOUT_USAGE = runPattern(false);

const CONTENT_KEY = '"content":"';
const ROLE_KEY = '"role":"assistant",';

/** A run of plain events (their text as it came). */
class PlainRun implements RelayedRun {
  constructor(
    readonly prefix: StreamPrefix,
    readonly text: string,
    readonly usageNull: boolean,
    /** `data: ` + the prefix's text: where each event's rest starts, from an event's start. */
    private readonly head: number,
  ) {}

  /** Where the text of the event at `at` starts (after its role, when it has one). */
  private contentAt(at: number): number {
    const rest = at + this.head;
    return rest + (this.text.charCodeAt(rest + 1) === R ? ROLE_KEY.length : 0) + CONTENT_KEY.length;
  }

  hasText(): boolean {
    const { text } = this;
    for (let at = 0; at < text.length; at = text.indexOf('\n\n', at) + 2) {
      if (stringHasText(text, this.contentAt(at))) return true;
    }
    return false;
  }

  escapedTexts(): string {
    const { text } = this;
    const texts: string[] = [];
    for (let at = 0; at < text.length; at = text.indexOf('\n\n', at) + 2) {
      const start = this.contentAt(at);
      texts.push(text.slice(start, stringEnd(text, start)));
    }
    return texts.join('\n');
  }
}

interface StreamPrefix extends RelayPrefix {
  readonly id: string;
  readonly model: string;
}

/** The chunk that stands for plain text deltas: the stream's own id, created and model, its only choice. */
function plainChunk(prefix: StreamPrefix, delta: ChunkDelta): ChatChunk {
  return {
    id: prefix.id,
    object: 'chat.completion.chunk',
    created: prefix.created,
    model: prefix.model,
    choices: [{ index: 0, delta, finish_reason: null }],
  };
}

export class ChunkRelay {
  private prefix: StreamPrefix | undefined;
  /** Whether the last run's events had `"usage":null` in their rest (that pattern is tried first). */
  private lastUsageNull = true;

  /** Takes the stream's prefix from the first fully parsed event that has one. */
  learn(chunk: ChatChunk, data: string): void {
    if (this.prefix) return;
    const { id, model, created } = chunk;
    if (typeof id !== 'string' || typeof model !== 'string' || !Number.isSafeInteger(created)) return;
    const end = data.indexOf(ONLY_CHOICE);
    if (end < 0 || data.indexOf('"choices":') < end) return;
    const text = data.slice(0, end + ONLY_CHOICE.length);
    const idToken = `"id":${JSON.stringify(id)}`;
    const modelToken = `"model":${JSON.stringify(model)}`;
    const createdToken = `"created":${created}`;
    if (NEEDS_PARSE.test(text) || !text.startsWith('{')) return;
    if (!text.includes(idToken) || !text.includes(modelToken) || !text.includes(createdToken)) return;
    this.prefix = {
      text,
      idToken,
      modelToken,
      createdToken,
      created,
      usageNull: text.includes('"usage":null'),
      fingerprintNull: text.includes('"system_fingerprint":null'),
      id,
      model,
    };
  }

  /**
   * Takes the plain events that stand one after another from `at` in a read's text (where a whole event
   * starts), as one chunk; undefined when the first is not one.
   */
  run(text: string, at: number): TakenRun | undefined {
    const { prefix } = this;
    if (prefix === undefined) return undefined;
    let usageNull = this.lastUsageNull;
    let pattern = usageNull ? RUN_WITH_USAGE : RUN_WITHOUT_USAGE;
    pattern.lastIndex = at;
    let match = pattern.exec(text);
    if (match === null) {
      usageNull = !usageNull;
      pattern = usageNull ? RUN_WITH_USAGE : RUN_WITHOUT_USAGE;
      pattern.lastIndex = at;
      match = pattern.exec(text);
      if (match === null) return undefined;
      this.lastUsageNull = usageNull;
    }
    if (match[1] !== prefix.text) return undefined;
    const end = pattern.lastIndex;
    const run = new PlainRun(prefix, text.slice(at, end), usageNull, 'data: '.length + prefix.text.length);
    return { chunk: withRelayedRun(plainChunk(prefix, new TextRunDelta(run)), run), end };
  }

  /** The light chunk for a plain text delta, carrying its text; undefined when the event needs a full parse. */
  light(data: string): ChatChunk | undefined {
    const prefix = this.prefix;
    // Equality of a slice, not startsWith: V8's startsWith with a prefix known only at run time compared
    // one character at a time, 15 times slower (measured on Node 20).
    if (prefix === undefined || data.slice(0, prefix.text.length) !== prefix.text) return undefined;
    const rest = data.slice(prefix.text.length);
    const plain = PLAIN_REST.exec(rest);
    if (plain === null) return undefined;
    const escaped = plain[1]!;
    let content = escaped;
    if (escaped.includes('\\')) {
      try {
        content = JSON.parse(`"${escaped}"`) as string;
      } catch {
        return undefined;
      }
    }
    const delta: ChunkDelta = rest.charCodeAt(1) === R ? { role: 'assistant', content } : { content };
    return withRelayedText(plainChunk(prefix, delta), { prefix, rest, usageNull: plain[2] !== undefined });
  }
}
