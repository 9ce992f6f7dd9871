// The audio operations' own stages. Speech: executed over the route, its audio relayed as it arrives with
// the upstream's content type, metered per character (known before the audio: `x-tokgate-cost`) or per
// token when the body has ended. Transcriptions and translations: the upload sent to the deployment,
// answered in the format asked for (OpenAI's JSON with `usage.cost` added where the answer has `usage`;
// text, srt and vtt as they came, the cost in `x-tokgate-cost`), or relayed as SSE when streamed.
import {
  measureSpeech,
  measureTranscription,
  speechByCharacters,
  speechDemand,
  transcriptionDemand,
} from '../accounting/audio-meter.js';
import type { Metered } from '../accounting/meter.js';
import {
  type AudioAnswer,
  canSpeak,
  canTranscribe,
  type SpeechRequest,
  type TranscriptionRequest,
} from '../core/audio.js';
import { isObject } from '../core/is-object.js';
import { runSpeech, runTranscription } from '../router/operations.js';
import { costOf } from './canonical-answer.js';
import type { Relay, RetrievalDoor } from './retrieval.js';

/** The answer's body as a relay, when it is one (a stream of bytes rather than whole text). */
function relayOf(answer: AudioAnswer): Relay | undefined {
  if (typeof answer.body === 'string') return undefined;
  return {
    contentType: answer.contentType,
    body: answer.body,
    ...(answer.cancel ? { cancel: answer.cancel } : {}),
  };
}

export const speechStages: Omit<RetrievalDoor<SpeechRequest, AudioAnswer>, 'name' | 'parse' | 'errorBody'> = {
  operation: 'speech',
  serves: canSpeak,
  demand: speechDemand,
  execute: runSpeech,
  measure: measureSpeech,
  relay: relayOf,
  knownCost: speechByCharacters,
  // Only when an upstream answered speech with a whole body (never OpenAI's).
  answer: (_id, _request, result) => (typeof result.body === 'string' ? result.body : ''),
  contentType: (_request, result) => result.contentType,
};

/** A JSON transcript with `usage.cost` added where it has `usage` (as every answer of tokgate's does). */
function withCost(body: string, metered: Metered): string {
  const cost = costOf(metered);
  if (cost.cost === undefined) return body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (!isObject(parsed) || !isObject(parsed.usage)) return body;
    parsed.usage = { ...parsed.usage, ...cost };
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}

export const transcriptionStages: Omit<
  RetrievalDoor<TranscriptionRequest, AudioAnswer>,
  'name' | 'parse' | 'errorBody'
> = {
  operation: 'transcription',
  serves: canTranscribe,
  demand: transcriptionDemand,
  execute: runTranscription,
  measure: measureTranscription,
  relay: relayOf,
  answer: (_id, _request, result, metered) => {
    const body = typeof result.body === 'string' ? result.body : '';
    return result.contentType.startsWith('application/json') ? withCost(body, metered) : body;
  },
  contentType: (_request, result) => result.contentType,
};
