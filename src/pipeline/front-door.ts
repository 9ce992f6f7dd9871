// What a front door (an API the gateway speaks: chat completions, messages, responses, ...) supplies to the
// pipeline: how to read its wire request into the canonical one, and how to write canonical answers, streams
// and errors in its own wire format. Everything else (authorization, admission, routing, metering, the
// ledger) is the pipeline's and the same for every door.
import type { Principal } from '../auth/authenticator.js';
import type { GatewayError } from '../core/errors.js';
import type { ChatChunk, ChatRequest, ChatResponse, Usage } from '../core/types.js';
import type { RequestReport } from './report.js';

/** A request as it reached a door, before any parsing. */
export interface DoorRequest {
  /** The gateway's own request id (keys the ledger). */
  id: string;
  principal: Principal;
  body: unknown;
  /** A large body's JSON text, for parts that go upstream unchanged (see core/raw-json.ts). */
  rawJson: string | undefined;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Filled as the request runs; the HTTP layer writes the log line, metrics and span from it. */
  report: RequestReport;
}

export interface ParsedRequest {
  request: ChatRequest;
  /** Further models to fall back to, in order, after the requested model's own deployments. */
  fallbacks: string[];
  /** What the door changed or dropped in reading the request, for `x-tokgate-warnings`. */
  notes?: string[];
}

/** Where a stream's events go (the server's SSE writer). */
export interface EventSink {
  /** One `data:` event. */
  data(text: string): void;
  /** One named event: `event: name` then `data: text`. */
  event(name: string, text: string): void;
  /** Text already framed as whole SSE events (an upstream's, relayed as they came). */
  raw(text: string): void;
}

/** Writes one request's canonical stream in a door's wire format. */
export interface StreamEncoder {
  /** A canonical chunk; `created` is the stream's (its first chunk's) creation time. */
  chunk(chunk: ChatChunk, created: number, sink: EventSink): void;
  /**
   * The end of a complete stream, after its ledger row is safe: the usage (with its cost) and the door's
   * terminator. `usageChunk` is the upstream's own usage-only chunk, when it sent one.
   */
  end(usage: Usage, usageChunk: ChatChunk | undefined, created: number, sink: EventSink): void;
  /** A failure after the 200 went out: told in-band, and the stream ends. */
  error(error: GatewayError, sink: EventSink): void;
}

export interface FrontDoor {
  /** Names the door in the per-request log line. */
  readonly name: string;
  /** A header that carries the request id besides `x-request-id` (Anthropic's SDKs read `request-id`). */
  readonly requestIdHeader?: string;
  /** Reads and validates the wire request (throws a 400 GatewayError naming the bad field). */
  parse(request: DoorRequest): ParsedRequest;
  /** The body of a whole JSON answer, from the canonical answer the gateway gives. */
  answer(response: ChatResponse): string;
  /** A new encoder for one streaming request. */
  stream(request: ChatRequest, exchangeId: string): StreamEncoder;
  /** The encoder writes chunks that carry their upstream text as that text (core/relayed-chunk.ts). */
  readonly relaysChunkText?: boolean;
  /** An error body in the door's own shape (serialised as JSON). */
  errorBody(error: GatewayError): unknown;
}

/**
 * A whole answer's body: text, bytes, or bytes in parts sent as one write (an upstream's own bytes between
 * the gateway's, relayed as views into what arrived: nothing joined).
 */
export type AnswerBody = string | Buffer | readonly Buffer[];

/** An answer body as text (for a store that keeps it). */
export function answerText(body: AnswerBody): string {
  if (typeof body === 'string') return body;
  return (Buffer.isBuffer(body) ? body : Buffer.concat(body)).toString();
}

/** What the pipeline leaves for the HTTP layer to send. */
export type Answer =
  | {
      kind: 'json';
      status: number;
      headers: Record<string, string>;
      body: AnswerBody;
      /** When not `application/json` (a transcript as text, srt, vtt). */
      contentType?: string | undefined;
    }
  /** Bytes relayed as they arrive (speech, a streamed transcript): settled when the body ends. */
  | {
      kind: 'bytes';
      status: number;
      headers: Record<string, string>;
      contentType: string;
      body: AsyncIterable<Uint8Array>;
    }
  /** The answer went out as a stream already. */
  | { kind: 'streamed' }
  /** The client left: there is no one to answer. */
  | { kind: 'gone' }
  | { kind: 'error'; error: GatewayError; headers: Record<string, string> };

/** A stream being answered (the server's SSE writer). */
export interface StreamSink extends EventSink {
  /** A comment line clients ignore: keeps clients and proxies waiting. */
  comment(text: string): void;
  end(): void;
  /** Set while the client reads slower than events come: settles once it has caught up. */
  readonly backpressure: Promise<void> | undefined;
}

/** Opens the 200 streaming answer with these headers (once; from then on errors go in-band). */
export type OpenStream = (headers: Record<string, string>) => StreamSink;
