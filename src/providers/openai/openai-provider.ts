// The OpenAI wire format: OpenAI itself and every OpenAI-compatible vendor or server. The canonical types are
// this format, so a request only loses what the vendor rejects (see src/config/vendors.ts) and answers pass through.
import type { EventSourceMessage } from 'eventsource-parser';
import type { ProviderSettings } from '../../config/config.js';
import type { Speaker, Transcriber } from '../../core/audio.js';
import type { Embedder, Reranker } from '../../core/embeddings.js';
import type { Imager } from '../../core/images.js';
import { nativeRequestOf } from '../../core/native.js';
import { jsonBody } from '../../core/raw-json.js';
import type { ChatChunk, ChatRequest, ChatResponse, Provider, UpstreamCall } from '../../core/types.js';
import {
  type HttpClient,
  isAbort,
  streamBody,
  transportError,
  type UpstreamResponse,
  wholeJson,
} from '../http.js';
import { eventJson, readSseEvents, translateBatches, translateReads } from '../sse.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { ChunkRelay } from './chunk-relay.js';
import { isChatChunk, isChatResponse, readErrorObject } from './openai-api.js';
import { type AudioWire, openaiAudio } from './openai-audio.js';
import { openaiHttpError } from './openai-error.js';
import { type ImagesWire, openaiImages } from './openai-images.js';
import { openaiResponses, RESPONSES_PROTOCOL } from './openai-responses.js';
import { openaiRetrieval, type RetrievalWire } from './openai-retrieval.js';

/** How a vendor that speaks OpenAI's format at another address differs (Azure: deployment URLs, `api-key`). */
export interface OpenAIWire {
  format?: string;
  url?: (request: ChatRequest) => URL;
  authHeaders?: (apiKey: string) => Record<string, string>;
  /** Rewrites a request before it is serialised (a parameter table, a message conversion). */
  prepare?: (request: ChatRequest, warnings: string[]) => ChatRequest;
  /** Where embeddings and rerank go, when not `{base}/embeddings` and `{base}/rerank`. */
  retrievalUrl?: RetrievalWire['url'];
  /** Where Responses requests go, when not `{base}/responses` (only for vendors with `quirks.responses`). */
  responsesUrl?: URL;
  /** Where speech, transcriptions and translations go, when not `{base}/audio/...`. */
  audioUrl?: AudioWire['url'];
  /** Where the Images API goes, when not `{base}/images/{operation}`. */
  imagesUrl?: ImagesWire['url'];
  /** The image operations served, when not the vendor's. */
  imageOperations?: ImagesWire['operations'];
}

export function createOpenAIProvider(
  settings: ProviderSettings,
  http: HttpClient,
  wire: OpenAIWire = {},
): Provider & Embedder & Partial<Reranker> & Speaker & Transcriber & Partial<Imager> {
  const { id, quirks } = settings;
  const defaultUrl = new URL(`${settings.baseUrl}/chat/completions`);
  const urlFor = wire.url ?? (() => defaultUrl);
  const authHeaders: Record<string, string> = { ...settings.headers };
  if (settings.apiKey) {
    Object.assign(
      authHeaders,
      wire.authHeaders?.(settings.apiKey) ?? { authorization: `Bearer ${settings.apiKey}` },
    );
  }
  const baseHeaders: Record<string, string> = { 'content-type': 'application/json', ...authHeaders };
  const streamHeaders = { ...baseHeaders, accept: 'text/event-stream' };
  const jsonHeaders = { ...baseHeaders, accept: 'application/json' };
  const drop = quirks.drop ?? [];
  const rename = Object.entries(quirks.rename ?? {});
  const askForStreamUsage = quirks.streamUsage !== false;

  function body(original: ChatRequest, stream: boolean, warnings: string[]): string | Buffer {
    const request = wire.prepare ? wire.prepare(original, warnings) : original;
    if (!stream && drop.length === 0 && rename.length === 0 && askForStreamUsage) return jsonBody(request);
    // `stream_options` named first so that setting it below is not a member added to a spread copy (a slow
    // path in V8, ~1 µs); JSON.stringify leaves it out when it stays undefined.
    const out: Record<string, unknown> = { stream_options: undefined, ...request };
    for (const param of drop) {
      if (out[param] === undefined) continue;
      delete out[param];
      warnings.push(`'${param}' is not supported by provider '${id}' and was dropped`);
    }
    for (const [from, to] of rename) {
      if (out[from] === undefined) continue;
      out[to] = out[from];
      delete out[from];
    }
    if (stream && askForStreamUsage) {
      // Always ask for usage so every stream is metered; the server strips the chunk if the client did not ask.
      out.stream_options = request.stream_options
        ? { ...request.stream_options, include_usage: true }
        : { include_usage: true };
    } else if (!askForStreamUsage) {
      // A vendor without `stream_options` may refuse it; usage is then counted or read from its own chunks.
      delete out.stream_options;
    }
    return jsonBody(out);
  }

  /** Opens a stream (whole answers go through `requestWhole` in `complete`). */
  async function openStream(call: UpstreamCall): Promise<UpstreamResponse> {
    const res = await http.request(
      id,
      urlFor(call.request),
      streamHeaders,
      body(call.request, true, call.warnings),
      call.signal,
    );
    if (res.status >= 200 && res.status < 300) return res;
    throw await openaiHttpError(id, res);
  }

  const responses = quirks.responses
    ? openaiResponses(id, http, {
        url: wire.responsesUrl ?? new URL(`${settings.baseUrl}/responses`),
        headers: jsonHeaders,
        streamHeaders,
      })
    : undefined;

  async function complete(call: UpstreamCall): Promise<ChatResponse> {
    const native = responses && nativeRequestOf(call.request, RESPONSES_PROTOCOL);
    if (native) return responses.complete(call, native);
    const res = await http.requestWhole(
      id,
      urlFor(call.request),
      jsonHeaders,
      body(call.request, false, call.warnings),
      call.signal,
    );
    if (res.status < 200 || res.status >= 300) throw await openaiHttpError(id, res);
    const parsed = wholeJson(id, res);
    if (!isChatResponse(parsed)) {
      const detail = readErrorObject(parsed);
      throw invalidUpstreamResponse(id, detail.message || 'no choices in the answer');
    }
    return parsed;
  }

  /** Moves a usage reported inside a choice (Moonshot's last chunk) to where every reader looks for it. */
  function liftChoiceUsage(chunk: ChatChunk): ChatChunk {
    for (const choice of chunk.choices as Array<{ usage?: ChatChunk['usage'] }>) {
      if (!choice.usage) continue;
      chunk.usage = choice.usage;
      delete choice.usage;
    }
    return chunk;
  }

  /** One `data:` event as a chunk. */
  function parseChunk(data: string): ChatChunk {
    const parsed = eventJson(id, data);
    if (isChatChunk(parsed)) return quirks.usageInChoice ? liftChoiceUsage(parsed) : parsed;
    const detail = readErrorObject(parsed);
    throw invalidUpstreamResponse(id, detail.message || 'a stream event has no choices');
  }

  async function* stream(call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
    const native = responses && nativeRequestOf(call.request, RESPONSES_PROTOCOL);
    if (native) return yield* responses.stream(call, native);
    const res = await openStream(call);
    const relay = call.relay ? new ChunkRelay() : undefined;
    const body = streamBody(res);
    let finished = false;
    try {
      const translate = (event: EventSourceMessage, out: ChatChunk[]): 'end' | undefined => {
        if (event.data === '[DONE]') return 'end';
        const light = relay?.light(event.data);
        if (light) {
          out.push(light);
          return undefined;
        }
        const chunk = parseChunk(event.data);
        relay?.learn(chunk, event.data);
        out.push(chunk);
        return undefined;
      };
      // A relaying call takes runs of plain events whole (chunk-relay.ts), without the SSE parser.
      finished = relay
        ? yield* translateReads(body.reads, translate, (text, at) => relay.run(text, at))
        : yield* translateBatches(readSseEvents(body.reads), translate);
      if (!finished) throw invalidUpstreamResponse(id, 'the stream ended before [DONE]');
    } catch (error) {
      if (isAbort(error) || call.signal.aborted) throw error;
      throw transportError(error, id);
    } finally {
      body.release(finished);
    }
  }

  const images = openaiImages(settings, http, {
    headers: authHeaders,
    ...(wire.imagesUrl ? { url: wire.imagesUrl } : {}),
    ...(wire.imageOperations ? { operations: wire.imageOperations } : {}),
  });

  return {
    id,
    format: 'openai',
    supports: { n: quirks.n !== false, stop: quirks.stop !== false },
    speaks: (protocol) => protocol === RESPONSES_PROTOCOL && responses !== undefined,
    complete,
    stream,
    ...openaiRetrieval(settings, http, {
      headers: jsonHeaders,
      ...(wire.retrievalUrl ? { url: wire.retrievalUrl } : {}),
    }),
    ...openaiAudio(settings, http, {
      headers: authHeaders,
      ...(wire.audioUrl ? { url: wire.audioUrl } : {}),
    }),
    ...images,
  };
}
