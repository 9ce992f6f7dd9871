// A streamed chat completion chunk as the client gets it, written from the parsed chunk or, for chunks that
// carry it, from the upstream's own text with the gateway's values spliced in. Both give the same JSON.
import type { RelayedRun, RelayedText, RelayPrefix } from '../core/relayed-chunk.js';
import type { ChatChunk } from '../core/types.js';

/**
 * A chunk as the client gets it: the request's own id, created and model, `usage` only when asked for
 * (null until the last chunk, as OpenAI does), no null system_fingerprint. Keys are set to undefined
 * (JSON.stringify leaves them out) rather than deleted: `delete` drops V8 into slow dictionary objects,
 * which serialise at half the speed.
 */
export function chunkJson(
  chunk: ChatChunk,
  id: string,
  created: number,
  model: string,
  includeUsage: boolean,
) {
  const out = chunk as unknown as Record<string, unknown>;
  out.id = id;
  out.model = model;
  out.created = created;
  out.usage = includeUsage ? null : undefined;
  if (out.system_fingerprint === null) out.system_fingerprint = undefined;
  return JSON.stringify(out);
}

/** Replaces the first `token` in `text` (a plain splice: a model name may hold `$`, which `replace` reads). */
function spliceFirst(text: string, token: string, replacement: string): string {
  const at = text.indexOf(token);
  return at < 0 ? text : text.slice(0, at) + replacement + text.slice(at + token.length);
}

/** `"key":null` out of an object's text, wherever it stands. */
function dropNullKey(text: string, pair: string): string {
  const before = spliceFirst(text, `,${pair}`, '');
  return before !== text ? before : spliceFirst(text, `${pair},`, '');
}

/**
 * The same chunks as `chunkJson` writes them, from the upstream's own text: the gateway's id, the client's
 * model, the stream's created, `usage` as asked for, no null system_fingerprint. The other keys keep the
 * upstream's spelling and order. The stream's prefix is rewritten once, the rest of each event as needed.
 */
export class RelayedChunkWriter {
  private readonly idToken: string;
  private readonly modelToken: string;
  private prefix: RelayPrefix | undefined;
  private created = 0;
  private prefixOut = '';

  constructor(
    id: string,
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.idToken = `"id":${JSON.stringify(id)}`;
    this.modelToken = `"model":${JSON.stringify(model)}`;
  }

  write(relayed: RelayedText, created: number): string {
    const { prefix } = relayed;
    this.usePrefix(prefix, created);
    return this.prefixOut + this.restOut(relayed.rest, relayed.usageNull, prefix);
  }

  /**
   * A run's events as `write` writes each, framed as `data:` events: the prefix rewritten once, each rest
   * as `write` gives it. The text is built by concatenation (flattened once, when it is written), which
   * measured faster than a split and join of the run (15 against 30 µs for 200 events).
   */
  writeRun(run: RelayedRun, created: number): string {
    const { prefix, text } = run;
    this.usePrefix(prefix, created);
    const head = `data: ${this.prefixOut}`;
    const restAt = 'data: '.length + prefix.text.length;
    let out = '';
    for (let at = 0; at < text.length; ) {
      const rest = at + restAt;
      const end = text.indexOf('\n\n', rest);
      out += `${head}${this.restOut(text.slice(rest, end), run.usageNull, prefix)}\n\n`;
      at = end + 2;
    }
    return out;
  }

  /** An event's rest as the client gets it: `"usage":null` taken out or put in as the client asked. */
  private restOut(rest: string, usageNull: boolean, prefix: RelayPrefix): string {
    if (usageNull && !this.includeUsage) return dropNullKey(rest, '"usage":null');
    if (this.includeUsage && !usageNull && !prefix.usageNull) return `${rest.slice(0, -1)},"usage":null}`;
    return rest;
  }

  private usePrefix(prefix: RelayPrefix, created: number): void {
    if (prefix !== this.prefix || created !== this.created) {
      this.prefix = prefix;
      this.created = created;
      this.prefixOut = this.rewritePrefix(prefix, created);
    }
  }

  private rewritePrefix(prefix: RelayPrefix, created: number): string {
    let text = spliceFirst(prefix.text, prefix.idToken, this.idToken);
    text = spliceFirst(text, prefix.modelToken, this.modelToken);
    if (prefix.created !== created) text = spliceFirst(text, prefix.createdToken, `"created":${created}`);
    if (prefix.fingerprintNull) text = dropNullKey(text, '"system_fingerprint":null');
    if (prefix.usageNull && !this.includeUsage) text = dropNullKey(text, '"usage":null');
    return text;
  }
}
