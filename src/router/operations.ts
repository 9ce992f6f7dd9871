// Runs an operation that is not chat (embeddings, rerank, speech, transcription) over its route with the same attempt loop as chat
// (retries, fallbacks, timeouts, slots, health), and does for providers what they cannot: an embeddings
// request over a provider's batch limit is split into calls (a few at a time) and merged in input order.

import {
  type AudioAnswer,
  canSpeak,
  canTranscribe,
  type Speaker,
  type SpeechRequest,
  type Transcriber,
  type TranscriptionRequest,
} from '../core/audio.js';
import { linkedController } from '../core/call-signal.js';
import type {
  Embedder,
  EmbeddingRequest,
  EmbeddingResult,
  OperationCall,
  Reranker,
  RerankRequest,
  RerankResult,
} from '../core/embeddings.js';
import { canEmbed, canRerank, vectorsOf } from '../core/embeddings.js';
import { invalidRequest } from '../core/errors.js';
import { canImage, type ImageRequest, type ImageResult, type Imager } from '../core/images.js';
import type { CallSignal, Provider } from '../core/types.js';
import { AttemptLoop, type RunOptions } from './attempts.js';
import type { Served } from './executor.js';
import type { Router } from './router.js';
import type { RoutePlan } from './routes.js';
import { settleOrAbort, upstreamTimeout } from './timeouts.js';

/** Batches of one split request in flight at once: a large request must not take a deployment's slots. */
const BATCHES_IN_FLIGHT = 4;

/**
 * The first answer any deployment of the plan gives to `perform` (one upstream call, with the upstream's
 * model name), under the route's response timeout.
 */
async function runOperation<R extends { model: string }, T>(
  router: Router,
  plan: RoutePlan,
  request: R,
  options: RunOptions,
  perform: (provider: Provider, call: OperationCall<R>) => Promise<T>,
): Promise<Served<T>> {
  const loop = new AttemptLoop(router, plan, options);
  const { responseMs } = plan.timeouts;
  const { value, attempt } = await loop.run(async ({ deployment, timer }) => {
    const { provider, upstreamModel } = deployment.target;
    const call: OperationCall<R> = {
      request: { ...request, model: upstreamModel },
      signal: timer,
      warnings: [],
    };
    timer.arm(responseMs, () => upstreamTimeout(provider.id, 'response', responseMs));
    const result = await settleOrAbort(perform(provider, call), timer);
    return { result, warnings: call.warnings };
  });
  loop.succeeded(attempt, router.clock.now() - attempt.startedAt);
  return { deployment: attempt.deployment, warnings: value.warnings, value: value.result };
}

function embedder(provider: Provider): Provider & Embedder {
  if (canEmbed(provider)) return provider;
  throw invalidRequest(`Provider '${provider.id}' does not serve embeddings.`, 'model', 'invalid_value');
}

function reranker(provider: Provider): Provider & Reranker {
  if (canRerank(provider)) return provider;
  throw invalidRequest(`Provider '${provider.id}' does not serve rerank.`, 'model', 'invalid_value');
}

/** One embeddings call per batch of at most the provider's limit, merged in order; usage summed. */
export async function embedVia(
  provider: Provider & Embedder,
  call: OperationCall<EmbeddingRequest>,
): Promise<EmbeddingResult> {
  const { input } = call.request;
  const size = provider.embedBatchLimit;
  if (input.length <= size) return provider.embed(call);
  const batches: Array<string[] | number[][]> = [];
  for (let start = 0; start < input.length; start += size)
    batches.push(input.slice(start, start + size) as string[] | number[][]);
  const controller = linkedController(call.signal);
  const results = new Array<EmbeddingResult>(batches.length);
  let next = 0;
  const worker = async (signal: CallSignal) => {
    while (next < batches.length) {
      const i = next++;
      results[i] = await provider.embed({
        request: { ...call.request, input: batches[i]! },
        signal,
        // Every batch drops the same settings: the first one's warnings say it.
        warnings: i === 0 ? call.warnings : [],
      });
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(BATCHES_IN_FLIGHT, batches.length) }, () => worker(controller.signal)),
    );
  } catch (error) {
    controller.abort();
    throw error;
  }
  let tokens: number | undefined = 0;
  for (const result of results)
    tokens = result.inputTokens === undefined ? undefined : tokens! + result.inputTokens;
  return { vectors: results.flatMap(vectorsOf), inputTokens: tokens };
}

export function runEmbeddings(
  router: Router,
  plan: RoutePlan,
  request: EmbeddingRequest,
  options: RunOptions,
): Promise<Served<EmbeddingResult>> {
  return runOperation(router, plan, request, options, (provider, call) => embedVia(embedder(provider), call));
}

export function runRerank(
  router: Router,
  plan: RoutePlan,
  request: RerankRequest,
  options: RunOptions,
): Promise<Served<RerankResult>> {
  return runOperation(router, plan, request, options, (provider, call) => reranker(provider).rerank(call));
}

function speaker(provider: Provider): Provider & Speaker {
  if (canSpeak(provider)) return provider;
  throw invalidRequest(`Provider '${provider.id}' does not serve speech.`, 'model', 'invalid_value');
}

function transcriber(provider: Provider, task: TranscriptionRequest['task']): Provider & Transcriber {
  if (canTranscribe(provider) && (task === 'transcription' || provider.translates !== false)) return provider;
  throw invalidRequest(`Provider '${provider.id}' does not serve ${task}s.`, 'model', 'invalid_value');
}

/**
 * Speech: settles once the upstream has answered with its headers; the audio is then relayed from the
 * answer's body (retries and fallbacks end there: two upstream bodies are never stitched together).
 */
export function runSpeech(
  router: Router,
  plan: RoutePlan,
  request: SpeechRequest,
  options: RunOptions,
): Promise<Served<AudioAnswer>> {
  return runOperation(router, plan, request, options, (provider, call) => speaker(provider).speak(call));
}

/** A transcription or translation: the upload is sent anew to each deployment tried. */
export function runTranscription(
  router: Router,
  plan: RoutePlan,
  request: TranscriptionRequest,
  options: RunOptions,
): Promise<Served<AudioAnswer>> {
  return runOperation(router, plan, request, options, (provider, call) =>
    transcriber(provider, call.request.task).transcribe(call),
  );
}

function imager(provider: Provider): Provider & Imager {
  if (canImage(provider)) return provider;
  throw invalidRequest(`Provider '${provider.id}' does not serve images.`, 'model', 'invalid_value');
}

export function runImages(
  router: Router,
  plan: RoutePlan,
  request: ImageRequest,
  options: RunOptions,
): Promise<Served<ImageResult>> {
  return runOperation(router, plan, request, options, (provider, call) => imager(provider).image(call));
}
