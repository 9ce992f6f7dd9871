// Speech, transcriptions and translations for the OpenAI family: `POST {base}/audio/speech` (JSON in,
// audio bytes or SSE out, relayed as they arrive) and `POST {base}/audio/transcriptions|translations`
// (multipart in, the file streamed from the chunks it arrived in; JSON, text, srt or vtt out, or SSE when
// streamed). Azure serves the same at per-deployment URLs; Groq and other compatible servers at their base.
import type { ProviderSettings } from '../../config/config.js';
import {
  type AudioAnswer,
  SPEECH_CONTENT_TYPES,
  type Speaker,
  type SpeechRequest,
  type Transcriber,
  type TranscriptionRequest,
} from '../../core/audio.js';
import type { OperationCall } from '../../core/embeddings.js';
import { contentTypeOf, relayAnswer, transcriptUsage, uploadBody } from '../audio-wire.js';
import { type HttpClient, readTextBody } from '../http.js';
import { openaiHttpError } from './openai-error.js';

export type AudioOperation = 'audio/speech' | 'audio/transcriptions' | 'audio/translations';

export interface AudioWire {
  /** The URL of an operation for an upstream model (Azure: per deployment). */
  url?: (operation: AudioOperation, model: string) => URL;
  /** Authentication and the configured extra headers, without a content type. */
  headers: Record<string, string>;
}

export function openaiAudio(
  settings: ProviderSettings,
  http: HttpClient,
  wire: AudioWire,
): Speaker & Transcriber {
  const { id } = settings;
  const urls: Record<AudioOperation, URL> = {
    'audio/speech': new URL(`${settings.baseUrl}/audio/speech`),
    'audio/transcriptions': new URL(`${settings.baseUrl}/audio/transcriptions`),
    'audio/translations': new URL(`${settings.baseUrl}/audio/translations`),
  };
  const urlFor = wire.url ?? ((operation: AudioOperation) => urls[operation]);

  async function speak(call: OperationCall<SpeechRequest>): Promise<AudioAnswer> {
    const { stream: _, ...request } = call.request;
    const sse = request.stream_format === 'sse';
    const res = await http.request(
      id,
      urlFor('audio/speech', request.model),
      { ...wire.headers, 'content-type': 'application/json' },
      JSON.stringify(request),
      call.signal,
    );
    if (res.status < 200 || res.status >= 300) throw await openaiHttpError(id, res);
    const fallback = sse ? 'text/event-stream' : SPEECH_CONTENT_TYPES[request.response_format ?? 'mp3'];
    return relayAnswer(id, res, call.signal, contentTypeOf(res, fallback));
  }

  async function transcribe(call: OperationCall<TranscriptionRequest>): Promise<AudioAnswer> {
    const { request } = call;
    const upload = uploadBody([['model', request.model], ...request.fields], request.file);
    const operation = request.task === 'translation' ? 'audio/translations' : 'audio/transcriptions';
    const res = await http.request(
      id,
      urlFor(operation, request.model),
      { ...wire.headers, 'content-type': upload.contentType, 'content-length': String(upload.length) },
      upload.stream(),
      call.signal,
    );
    if (res.status < 200 || res.status >= 300) throw await openaiHttpError(id, res);
    const json = request.response_format === 'json' || request.response_format === 'verbose_json';
    const contentType = contentTypeOf(res, json ? 'application/json' : 'text/plain; charset=utf-8');
    if (contentType.startsWith('text/event-stream')) return relayAnswer(id, res, call.signal, contentType);
    const body = await readTextBody(id, res, call.signal);
    const answer: AudioAnswer = { contentType, body, usage: {}, bytes: Buffer.byteLength(body) };
    if (contentType.startsWith('application/json')) {
      try {
        transcriptUsage(JSON.parse(body), answer.usage);
      } catch {
        // Relayed as it came; its usage is then the file header's duration.
      }
    }
    return answer;
  }

  return { speak, transcribe, translates: true };
}
