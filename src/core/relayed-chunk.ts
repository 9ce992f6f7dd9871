// A stream chunk that can go to an OpenAI-format client as the upstream's own JSON text. Parsing every
// event and serialising it again was a third of a 200-chunk stream's CPU; most events are plain text
// deltas the gateway passes on unchanged but for the id and model, so those are relayed with the two
// spliced in (see providers/openai/chunk-relay.ts for which events qualify).
import type { ChatChunk } from './types.js';

const RELAYED = Symbol('relayed');

/** An event's text and the exact spellings of the values the gateway rewrites in it. */
export interface RelayedText {
  readonly text: string;
  /** `"id":"…"`, `"model":"…"` and `"created":…` as they appear in `text`. */
  readonly tokens: RelayTokens;
  /** Whether `text` has `"usage":null` (else no usage key at all). */
  readonly usageNull: boolean;
  /** Whether `text` has a `"system_fingerprint":null` (OpenAI's chat door leaves it out). */
  readonly fingerprintNull: boolean;
}

export interface RelayTokens {
  readonly id: string;
  readonly model: string;
  readonly created: string;
  /** The value `created` spells. */
  readonly createdValue: number;
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
