// Deepgram's pre-recorded speech-to-text (https://developers.deepgram.com/reference/speech-to-text/listen-pre-recorded):
// `POST {base}/v1/listen?model=&language=&smart_format=true` with the audio itself as the body (its content
// type as uploaded) and `Authorization: Token <key>`. Its answer (`results.channels[0].alternatives[0]
// .transcript`, `metadata.duration`) is written as OpenAI's transcription in the format asked for: json,
// text or verbose_json (srt, vtt and diarized_json are refused: Deepgram has no such output). Deepgram
// does not translate and has no chat.
import type { ProviderSettings } from '../../config/config.js';
import type { AudioAnswer, Transcriber, TranscriptionRequest } from '../../core/audio.js';
import type { OperationCall } from '../../core/embeddings.js';
import { type GatewayError, invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatChunk, ChatResponse, Provider } from '../../core/types.js';
import { rawBody } from '../audio-wire.js';
import { type HttpClient, readErrorText, readJsonBody, type UpstreamResponse } from '../http.js';
import { fromUpstreamStatus, invalidUpstreamResponse } from '../upstream-error.js';

const MAX_ERROR_MESSAGE = 1000;

/** Form fields the Deepgram translation reads. */
const USED_FIELDS = new Set([
  'language',
  'response_format',
  'timestamp_granularities[]',
  'timestamp_granularities',
]);

/** Deepgram's errors: `{err_code, err_msg, request_id}`, or `{category, message, details}`. */
async function deepgramHttpError(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const text = await readErrorText(res);
  let message = text.slice(0, MAX_ERROR_MESSAGE);
  try {
    const body: unknown = JSON.parse(text);
    if (isObject(body)) {
      const said = body.err_msg ?? body.message;
      if (typeof said === 'string') message = said.slice(0, MAX_ERROR_MESSAGE);
    }
  } catch {
    // Not JSON: keep the text.
  }
  return fromUpstreamStatus(provider, res.status, res.headers, { message });
}

interface DeepgramWord {
  word: string;
  start: number;
  end: number;
  punctuated_word?: string;
}

interface ReadAnswer {
  transcript: string;
  duration: number | undefined;
  language: string | undefined;
  words: DeepgramWord[];
}

function readAnswer(provider: string, answer: unknown): ReadAnswer {
  const results = isObject(answer) && isObject(answer.results) ? answer.results : undefined;
  const channel = Array.isArray(results?.channels) ? results.channels[0] : undefined;
  const alternative =
    isObject(channel) && Array.isArray(channel.alternatives) ? channel.alternatives[0] : undefined;
  if (!isObject(alternative) || typeof alternative.transcript !== 'string')
    throw invalidUpstreamResponse(provider, 'the answer has no transcript');
  const metadata = isObject(answer) && isObject(answer.metadata) ? answer.metadata : {};
  const duration =
    typeof metadata.duration === 'number' && Number.isFinite(metadata.duration) && metadata.duration >= 0
      ? metadata.duration
      : undefined;
  const words = Array.isArray(alternative.words)
    ? (alternative.words.filter(
        (w) =>
          isObject(w) &&
          typeof w.word === 'string' &&
          typeof w.start === 'number' &&
          typeof w.end === 'number',
      ) as DeepgramWord[])
    : [];
  const detected = isObject(channel) ? channel.detected_language : undefined;
  return {
    transcript: alternative.transcript,
    duration,
    language: typeof detected === 'string' ? detected : undefined,
    words,
  };
}

/** OpenAI's answer in the format asked for. */
function openaiShaped(
  request: TranscriptionRequest,
  read: ReadAnswer,
): { contentType: string; body: string } {
  const { transcript, duration } = read;
  if (request.response_format === 'text')
    return { contentType: 'text/plain; charset=utf-8', body: `${transcript}\n` };
  const usage = duration === undefined ? {} : { usage: { type: 'duration', seconds: Math.ceil(duration) } };
  if (request.response_format === 'json')
    return { contentType: 'application/json', body: JSON.stringify({ text: transcript, ...usage }) };
  const wantsWords = request.fields.some(
    ([name, value]) => name.startsWith('timestamp_granularities') && value === 'word',
  );
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      task: 'transcribe',
      language: read.language ?? request.language ?? 'unknown',
      duration: duration ?? 0,
      text: transcript,
      ...(wantsWords
        ? {
            words: read.words.map((w) => ({ word: w.punctuated_word ?? w.word, start: w.start, end: w.end })),
          }
        : {}),
      ...usage,
    }),
  };
}

export function createDeepgramProvider(settings: ProviderSettings, http: HttpClient): Provider & Transcriber {
  const { id } = settings;
  const listenUrl = `${settings.baseUrl}/v1/listen`;
  const auth: Record<string, string> = { ...settings.headers };
  if (settings.apiKey) auth.authorization = `Token ${settings.apiKey}`;

  const noChat = (): never => {
    throw invalidRequest(`Provider '${id}' serves transcriptions only.`, 'model', 'invalid_value');
  };

  async function transcribe(call: OperationCall<TranscriptionRequest>): Promise<AudioAnswer> {
    const { request } = call;
    if (request.task === 'translation')
      throw invalidRequest(`Provider '${id}' does not translate audio.`, 'model', 'invalid_value');
    const format = request.response_format;
    if (format !== 'json' && format !== 'text' && format !== 'verbose_json')
      throw invalidRequest(
        `response_format '${format}' is not supported by provider '${id}': use json, text or verbose_json.`,
        'response_format',
        'invalid_value',
      );
    // What Deepgram reads: the language and the format (words for verbose_json); the rest is dropped.
    const dropped = new Set<string>();
    for (const [name] of request.fields)
      if (!USED_FIELDS.has(name)) dropped.add(name.endsWith('[]') ? name.slice(0, -2) : name);
    for (const name of dropped)
      call.warnings.push(`'${name}' is not supported by provider '${id}' and was dropped`);
    const url = new URL(listenUrl);
    url.searchParams.set('model', request.model);
    url.searchParams.set('smart_format', 'true');
    if (request.language !== undefined) url.searchParams.set('language', request.language);
    const res = await http.request(
      id,
      url,
      { ...auth, 'content-type': request.file.contentType, 'content-length': String(request.file.size) },
      rawBody(request.file),
      call.signal,
    );
    if (res.status < 200 || res.status >= 300) throw await deepgramHttpError(id, res);
    const read = readAnswer(id, await readJsonBody(id, res, call.signal));
    const shaped = openaiShaped(request, read);
    return {
      ...shaped,
      usage: read.duration === undefined ? {} : { seconds: read.duration },
      bytes: Buffer.byteLength(shaped.body),
    };
  }

  return {
    id,
    format: 'deepgram',
    complete: async (): Promise<ChatResponse> => noChat(),
    // biome-ignore lint/correctness/useYield: a provider without chat refuses before any chunk
    stream: async function* (): AsyncGenerator<ChatChunk[]> {
      noChat();
    },
    transcribe,
    translates: false,
  };
}
