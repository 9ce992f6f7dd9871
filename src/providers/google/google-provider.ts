// The Google Gemini API (generativelanguage.googleapis.com): `POST /v1beta/models/{model}:generateContent`
// and `:streamGenerateContent?alt=sse`, keyed by `x-goog-api-key`. Requests and answers are translated in
// this folder; what cannot be translated is listed in parameters.ts.
import type { ProviderSettings } from '../../config/config.js';
import type { Embedder } from '../../core/embeddings.js';
import type { Imager } from '../../core/images.js';
import type { CallSignal, ChatChunk, ChatResponse, Provider, UpstreamCall } from '../../core/types.js';
import {
  type HttpClient,
  isAbort,
  readJsonBody,
  streamBody,
  transportError,
  type UpstreamResponse,
} from '../http.js';
import { eventJson, readSseEvents, translateBatches } from '../sse.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { parseUpstream } from '../wire-schema.js';
import { candidateBatches, candidateCap, completeInBatches, streamInBatches } from './candidates.js';
import { GoogleStreamTranslator, toChatResponse } from './convert-from-google-response.js';
import { convertToGoogleRequest } from './convert-to-google-request.js';
import {
  type GoogleRequest,
  googleAnswerSchema,
  readGoogleResponse,
  toGoogleErrorDetail,
} from './google-api.js';
import { googleError, googleHttpError } from './google-error.js';
import { googleImages } from './google-images.js';
import { googleRetrieval } from './google-retrieval.js';

/** `gemini-2.5-flash` → `models/gemini-2.5-flash`; full resource names (`tunedModels/x`) are kept. */
function modelPath(model: string): string {
  const name = model.includes('/') ? model : `models/${model}`;
  return name.split('/').map(encodeURIComponent).join('/');
}

/** Sets candidateCount for one call; it is left out when 1 (Gemini's default). */
function withCandidates(request: GoogleRequest, count: number): GoogleRequest {
  if (count === 1) return request;
  return { ...request, generationConfig: { ...request.generationConfig, candidateCount: count } };
}

/** Where a model's calls go, when not the Gemini API's `models/` paths (Vertex AI's publisher paths). */
export type GoogleModelUrl = (model: string, stream: boolean) => URL;

/**
 * `modelUrl`: where generateContent calls go (Vertex AI's publisher paths); `imageUrl`: where Imagen's
 * `:predict` calls go. Both default to the Gemini API's `models/` paths.
 */
export function createGoogleProvider(
  settings: ProviderSettings,
  http: HttpClient,
  modelUrl?: GoogleModelUrl,
  imageUrl?: (model: string) => URL,
): Provider & Embedder & Imager {
  const { id } = settings;
  const apiVersion = settings.options.api_version ?? 'v1beta';
  const baseHeaders: Record<string, string> = { 'content-type': 'application/json', ...settings.headers };
  if (settings.apiKey) baseHeaders['x-goog-api-key'] = settings.apiKey;
  const jsonHeaders = { ...baseHeaders, accept: 'application/json' };
  const streamHeaders = { ...baseHeaders, accept: 'text/event-stream' };

  const urlFor =
    modelUrl ??
    ((model: string, stream: boolean) =>
      new URL(
        `${settings.baseUrl}/${apiVersion}/${modelPath(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      ));

  /** Translates once (warnings are pushed once), then says how to split `n` into calls. */
  function prepare(call: UpstreamCall, stream: boolean) {
    const google = convertToGoogleRequest(call.request, call.warnings);
    const n = call.request.n ?? 1;
    const cap = candidateCap(call.request.model, stream, settings.options.max_candidates);
    const batches = candidateBatches(n, cap);
    return { google, n, batches };
  }

  async function send(
    model: string,
    body: GoogleRequest,
    stream: boolean,
    signal: CallSignal,
  ): Promise<UpstreamResponse> {
    const res = await http.request(
      id,
      urlFor(model, stream),
      stream ? streamHeaders : jsonHeaders,
      JSON.stringify(body),
      signal,
    );
    if (res.status >= 200 && res.status < 300) return res;
    throw await googleHttpError(id, res);
  }

  async function completeOnce(
    model: string,
    body: GoogleRequest,
    count: number,
    signal: CallSignal,
  ): Promise<ChatResponse> {
    const res = await send(model, body, false, signal);
    const parsed = await readJsonBody(id, res, signal);
    const what = 'no candidates and no block reason in the answer';
    const answer = parseUpstream(id, googleAnswerSchema, parsed, what);
    if (answer.error) {
      const error = toGoogleErrorDetail(answer);
      throw googleError(id, error.code ?? 500, res.headers, error);
    }
    const chat = toChatResponse(readGoogleResponse(answer), model, count);
    if (!chat) throw invalidUpstreamResponse(id, what);
    return chat;
  }

  /** One streaming call, in batches (the chunks of one network read). */
  async function* streamOnce(
    model: string,
    body: GoogleRequest,
    count: number,
    signal: CallSignal,
  ): AsyncGenerator<ChatChunk[]> {
    const res = await send(model, body, true, signal);
    const translator = new GoogleStreamTranslator(model, count);
    const streamed = streamBody(res);
    let finished = false;
    try {
      // Gemini's stream has no end marker: it is whole when every choice has a finish reason.
      yield* translateBatches(readSseEvents(streamed.reads), (event, batch) => {
        const answer = parseUpstream(
          id,
          googleAnswerSchema,
          eventJson(id, event.data),
          'a stream event is not a GenerateContentResponse',
        );
        if (answer.error) {
          const error = toGoogleErrorDetail(answer);
          throw googleError(id, error.code ?? 500, res.headers, error);
        }
        for (const chunk of translator.push(readGoogleResponse(answer))) batch.push(chunk);
        return undefined;
      });
      finished = true;
      const ending = translator.end();
      const last: ChatChunk[] = [];
      let step = ending.next();
      for (; !step.done; step = ending.next()) last.push(step.value);
      if (last.length > 0) yield last;
      if (!step.value) {
        throw invalidUpstreamResponse(id, 'the stream ended before every candidate had a finish reason');
      }
    } catch (error) {
      if (isAbort(error) || signal.aborted) throw error;
      throw transportError(error, id);
    } finally {
      streamed.release(finished);
    }
  }

  async function complete(call: UpstreamCall): Promise<ChatResponse> {
    const { google, n, batches } = prepare(call, false);
    const model = call.request.model;
    if (batches.length === 1) return completeOnce(model, withCandidates(google, n), n, call.signal);
    return completeInBatches(batches, call.signal, (count, signal) =>
      completeOnce(model, withCandidates(google, count), count, signal),
    );
  }

  function stream(call: UpstreamCall): AsyncIterable<ChatChunk[]> {
    const { google, n, batches } = prepare(call, true);
    const model = call.request.model;
    if (batches.length === 1) return streamOnce(model, withCandidates(google, n), n, call.signal);
    // More choices than one call may ask for: several calls, merged as their batches arrive.
    return streamInBatches(batches, call.signal, (count, signal) =>
      streamOnce(model, withCandidates(google, count), count, signal),
    );
  }

  return {
    id,
    format: 'google',
    supports: { n: true, stop: true },
    complete,
    stream,
    ...googleRetrieval(settings, http, apiVersion, modelPath),
    // Imagen's :predict and Gemini's image models, on the Gemini API's paths or the caller's (Vertex AI's).
    ...googleImages(settings, http, {
      predict:
        imageUrl ?? ((model) => new URL(`${settings.baseUrl}/${apiVersion}/${modelPath(model)}:predict`)),
      generateContent: (model) => urlFor(model, false),
    }),
  };
}
