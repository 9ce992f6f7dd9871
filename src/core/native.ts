// Native pass-through: a front door whose wire format a provider speaks itself (the Messages API to
// Anthropic) sends the client's own body upstream and relays the upstream's own answer, rather than
// translating both ways through the canonical (chat) shapes. The canonical request and answer still exist
// (routing, admission, metering and the ledger read them); the native body and answer ride along on them
// under symbol keys, which object spreads copy (the router copies requests per attempt) and JSON.stringify
// leaves out (nothing native ever reaches an upstream or a client by accident).
import type { GatewayError } from './errors.js';
import type { ChatChunk, ChatRequest, ChatResponse } from './types.js';

/** The wire protocols a door may ask to pass through, by name. */
export type NativeProtocol = 'anthropic-messages' | 'openai-responses';

export interface NativeRequest {
  protocol: NativeProtocol;
  /** The client's body as sent (parsed); the provider sets what it must (model, stream, max_tokens). */
  body: Record<string, unknown>;
  /** Client headers meant for the upstream (e.g. `anthropic-beta`). */
  headers: Record<string, string>;
  /** When a provider that does not speak the protocol gets the canonical translation instead. */
  translation: {
    /** What the translation drops: said in `x-tokgate-warnings`. */
    warnings: string[];
    /** Why the request cannot be translated without changing its meaning, when it cannot (a 400). */
    refusal: string | GatewayError | undefined;
  };
}

const NATIVE_REQUEST = Symbol('tokgate.nativeRequest');
const NATIVE_ANSWER = Symbol('tokgate.nativeAnswer');
const RELAYED = Symbol('tokgate.relayedEvents');

type Carrier = Record<symbol, unknown>;

export function attachNativeRequest(request: ChatRequest, native: NativeRequest): void {
  (request as unknown as Carrier)[NATIVE_REQUEST] = native;
}

/** The native request riding on `request`, if it is one for `protocol` (any protocol when unset). */
export function nativeRequestOf(request: ChatRequest, protocol?: NativeProtocol): NativeRequest | undefined {
  const native = (request as unknown as Carrier)[NATIVE_REQUEST] as NativeRequest | undefined;
  return protocol === undefined || native?.protocol === protocol ? native : undefined;
}

interface NativeAnswer {
  protocol: NativeProtocol;
  body: unknown;
  text: string | undefined;
}

/**
 * Marks an answer as the upstream's own, in the native protocol: `body` is its parsed JSON, and `text`, when
 * given, the JSON text it was parsed from (a door may splice its own values into that rather than serialise).
 */
export function attachNativeAnswer(
  response: ChatResponse,
  protocol: NativeProtocol,
  body: unknown,
  text?: string,
): void {
  const native: NativeAnswer = { protocol, body, text };
  (response as unknown as Carrier)[NATIVE_ANSWER] = native;
}

function nativeAnswer(response: ChatResponse, protocol: NativeProtocol): NativeAnswer | undefined {
  const native = (response as unknown as Carrier)[NATIVE_ANSWER] as NativeAnswer | undefined;
  return native?.protocol === protocol ? native : undefined;
}

/** The upstream's own answer (parsed JSON), when the answer came natively in `protocol`. */
export function nativeAnswerOf(response: ChatResponse, protocol: NativeProtocol): unknown {
  return nativeAnswer(response, protocol)?.body;
}

/** The JSON text of the upstream's own answer, when it came natively in `protocol` and its text was kept. */
export function nativeAnswerTextOf(response: ChatResponse, protocol: NativeProtocol): string | undefined {
  return nativeAnswer(response, protocol)?.text;
}

/**
 * The upstream's own SSE events behind a chunk, framed (`event:`/`data:` lines and a blank line), in order:
 * the chunk's own event and those before it that made no chunk. A chunk with `choices: []` and no usage may
 * exist only to carry events.
 */
export function attachRelayed(chunk: ChatChunk, protocol: NativeProtocol, events: string): void {
  (chunk as unknown as Carrier)[RELAYED] = { protocol, events };
}

export function relayedOf(chunk: ChatChunk, protocol: NativeProtocol): string | undefined {
  const relayed = (chunk as unknown as Carrier)[RELAYED] as
    | { protocol: NativeProtocol; events: string }
    | undefined;
  return relayed?.protocol === protocol ? relayed.events : undefined;
}

/** How many events relayed text holds (each ends in a blank line): one, or a run's (providers/text-delta.ts). */
export function countEvents(framed: string): number {
  let count = 0;
  for (let at = framed.indexOf('\n\n'); at >= 0; at = framed.indexOf('\n\n', at + 2)) count++;
  return count;
}
