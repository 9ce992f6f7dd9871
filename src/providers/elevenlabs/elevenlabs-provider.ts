// ElevenLabs text to speech (https://elevenlabs.io/docs/api-reference/text-to-speech/stream):
// `POST {base}/v1/text-to-speech/{voice_id}/stream?output_format=` with `{"text", "model_id"}` and the
// `xi-api-key` header; the audio comes back as a stream of bytes, relayed as it arrives. OpenAI's `voice`
// is the ElevenLabs voice id (a string, or `{"id"}`); `response_format` maps to its output formats (`mp3`:
// mp3_44100_128, `pcm`: pcm_24000, OpenAI's own 24 kHz 16-bit mono); the other formats and
// `stream_format: "sse"` are refused, `speed` and `instructions` dropped with a warning. No chat.
import type { ProviderSettings } from '../../config/config.js';
import {
  type AudioAnswer,
  SPEECH_CONTENT_TYPES,
  type Speaker,
  type SpeechRequest,
} from '../../core/audio.js';
import type { OperationCall } from '../../core/embeddings.js';
import { type GatewayError, invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatChunk, ChatResponse, Provider } from '../../core/types.js';
import { contentTypeOf, relayAnswer } from '../audio-wire.js';
import { type HttpClient, readErrorText, type UpstreamResponse } from '../http.js';
import { fromUpstreamStatus } from '../upstream-error.js';

const MAX_ERROR_MESSAGE = 1000;

/** OpenAI's formats ElevenLabs has, as its `output_format` names them. */
const OUTPUT_FORMATS: Partial<Record<NonNullable<SpeechRequest['response_format']>, string>> = {
  mp3: 'mp3_44100_128',
  pcm: 'pcm_24000',
};

/** ElevenLabs' errors: `{"detail": {"status", "message"}}` or `{"detail": "..."}`. */
async function elevenLabsHttpError(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const text = await readErrorText(res);
  let message = text.slice(0, MAX_ERROR_MESSAGE);
  try {
    const body: unknown = JSON.parse(text);
    const detail = isObject(body) ? body.detail : undefined;
    if (typeof detail === 'string') message = detail.slice(0, MAX_ERROR_MESSAGE);
    else if (isObject(detail) && typeof detail.message === 'string')
      message = detail.message.slice(0, MAX_ERROR_MESSAGE);
  } catch {
    // Not JSON: keep the text.
  }
  return fromUpstreamStatus(provider, res.status, res.headers, { message });
}

export function createElevenLabsProvider(settings: ProviderSettings, http: HttpClient): Provider & Speaker {
  const { id } = settings;
  const headers: Record<string, string> = { ...settings.headers, 'content-type': 'application/json' };
  if (settings.apiKey) headers['xi-api-key'] = settings.apiKey;

  const noChat = (): never => {
    throw invalidRequest(`Provider '${id}' serves speech only.`, 'model', 'invalid_value');
  };

  async function speak(call: OperationCall<SpeechRequest>): Promise<AudioAnswer> {
    const { request } = call;
    const format = request.response_format ?? 'mp3';
    const outputFormat = OUTPUT_FORMATS[format];
    if (!outputFormat)
      throw invalidRequest(
        `response_format '${format}' is not supported by provider '${id}': use mp3 or pcm.`,
        'response_format',
        'invalid_value',
      );
    if (request.stream_format === 'sse')
      throw invalidRequest(
        `stream_format 'sse' is not supported by provider '${id}'.`,
        'stream_format',
        'invalid_value',
      );
    for (const dropped of ['speed', 'instructions'] as const)
      if (request[dropped] !== undefined)
        call.warnings.push(`'${dropped}' is not supported by provider '${id}' and was dropped`);
    const voice = typeof request.voice === 'string' ? request.voice : request.voice.id;
    const url = new URL(`${settings.baseUrl}/v1/text-to-speech/${encodeURIComponent(voice)}/stream`);
    url.searchParams.set('output_format', outputFormat);
    const res = await http.request(
      id,
      url,
      headers,
      JSON.stringify({ text: request.input, model_id: request.model }),
      call.signal,
    );
    if (res.status < 200 || res.status >= 300) throw await elevenLabsHttpError(id, res);
    return relayAnswer(id, res, call.signal, contentTypeOf(res, SPEECH_CONTENT_TYPES[format]));
  }

  return {
    id,
    format: 'elevenlabs',
    complete: async (): Promise<ChatResponse> => noChat(),
    // biome-ignore lint/correctness/useYield: a provider without chat refuses before any chunk
    stream: async function* (): AsyncGenerator<ChatChunk[]> {
      noChat();
    },
    speak,
  };
}
