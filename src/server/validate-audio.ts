// The bodies of POST /v1/audio/speech (OpenAI's CreateSpeechRequest, JSON) and POST
// /v1/audio/transcriptions|translations (CreateTranscriptionRequest / CreateTranslationRequest, multipart),
// checked by hand. A refusal is a 400 naming the field, in OpenAI's words where OpenAI has them. Fields the
// gateway does not read travel on to OpenAI-compatible upstreams as they came.
import {
  type AudioFile,
  SPEECH_FORMATS,
  type SpeechFormat,
  type SpeechRequest,
  TRANSCRIPT_FORMATS,
  type TranscriptFormat,
  type TranscriptionRequest,
} from '../core/audio.js';
import { invalidRequest } from '../core/errors.js';
import type { MultipartBody } from './multipart.js';
import { missing, modelOf, requestObject, wrongType } from './validate-retrieval.js';

/** OpenAI's limits: 4096 characters of input and of instructions. */
export const MAX_SPEECH_INPUT = 4096;

const oneOf = <T extends string>(param: string, allowed: readonly T[], value: unknown): T => {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalidRequest(
    `Invalid value for '${param}': expected one of ${allowed.map((a) => `'${a}'`).join(', ')}.`,
    param,
    'invalid_value',
  );
};

function textOf(fields: Record<string, unknown>, param: string, required: boolean): string | undefined {
  const value = fields[param];
  if (value === undefined || value === null) {
    if (required) throw missing(param);
    return undefined;
  }
  if (typeof value !== 'string') throw wrongType(param, 'a string', value);
  if ([...value].length > MAX_SPEECH_INPUT)
    throw invalidRequest(
      `Invalid '${param}': string too long. Expected a string with maximum length ${MAX_SPEECH_INPUT}.`,
      param,
      'invalid_value',
    );
  return value;
}

export function validateSpeechRequest(raw: unknown): SpeechRequest {
  const fields = requestObject(raw);
  const model = modelOf(fields);
  const input = textOf(fields, 'input', true)!;
  if (input.length === 0)
    throw invalidRequest("Invalid value for 'input': it is empty.", 'input', 'invalid_value');
  const { voice } = fields;
  if (voice === undefined || voice === null) throw missing('voice');
  const voiceOk =
    (typeof voice === 'string' && voice.length > 0) ||
    (typeof voice === 'object' &&
      !Array.isArray(voice) &&
      typeof (voice as { id?: unknown }).id === 'string');
  if (!voiceOk) throw wrongType('voice', "a voice name or an object with an 'id'", voice);
  const request: SpeechRequest = { ...fields, model, input, voice: voice as SpeechRequest['voice'] };
  if (fields.response_format !== undefined)
    request.response_format = oneOf<SpeechFormat>('response_format', SPEECH_FORMATS, fields.response_format);
  if (fields.speed !== undefined) {
    const { speed } = fields;
    if (typeof speed !== 'number' || !Number.isFinite(speed)) throw wrongType('speed', 'a number', speed);
    if (speed < 0.25)
      throw invalidRequest("Invalid 'speed': the minimum is 0.25.", 'speed', 'decimal_below_min_value');
    if (speed > 4)
      throw invalidRequest("Invalid 'speed': the maximum is 4.", 'speed', 'decimal_above_max_value');
  }
  const instructions = textOf(fields, 'instructions', false);
  if (instructions !== undefined) request.instructions = instructions;
  if (fields.stream_format !== undefined)
    request.stream_format = oneOf('stream_format', ['audio', 'sse'] as const, fields.stream_format);
  // Recorded as a stream in the ledger: the audio is relayed as it arrives.
  request.stream = true;
  return request;
}

/** The one file of a transcription request, with its header's duration (read by the caller). */
export function audioFileOf(body: MultipartBody, headerSeconds: number | undefined): AudioFile {
  const files = body.files.filter((f) => f.field === 'file');
  if (files.length === 0)
    throw invalidRequest(
      "Missing required parameter: 'file' (an audio file sent as a multipart/form-data file part).",
      'file',
      'missing_required_parameter',
    );
  if (files.length > 1 || body.files.length > 1)
    throw invalidRequest(
      "Invalid 'file': send exactly one file, in the 'file' field.",
      'file',
      'invalid_value',
    );
  const file = files[0]!;
  if (file.size === 0) throw invalidRequest("Invalid 'file': the file is empty.", 'file', 'invalid_value');
  return {
    filename: file.filename || 'audio',
    contentType: file.contentType || 'application/octet-stream',
    chunks: file.chunks,
    size: file.size,
    headerSeconds,
  };
}

/** Fields the gateway reads itself (the rest pass on as they came). */
const READ_FIELDS = new Set(['model', 'file']);

export function validateTranscriptionRequest(
  task: TranscriptionRequest['task'],
  body: MultipartBody,
  file: AudioFile,
): TranscriptionRequest {
  const single = new Map<string, string>();
  for (const [name, value] of body.fields) if (!single.has(name)) single.set(name, value);
  const model = single.get('model');
  if (model === undefined) throw missing('model');
  if (model === '') throw invalidRequest("Invalid value for 'model': it is empty.", 'model', 'invalid_value');
  const format = single.get('response_format');
  const request: TranscriptionRequest = {
    model,
    task,
    file,
    response_format:
      format === undefined ? 'json' : oneOf<TranscriptFormat>('response_format', TRANSCRIPT_FORMATS, format),
    stream: false,
    fields: body.fields.filter(([name]) => !READ_FIELDS.has(name)),
  };
  const stream = single.get('stream');
  if (stream !== undefined) {
    if (stream !== 'true' && stream !== 'false') throw wrongType('stream', 'a boolean', stream);
    if (task === 'translation' && stream === 'true')
      throw invalidRequest("Invalid 'stream': translations are not streamed.", 'stream', 'invalid_value');
    request.stream = stream === 'true';
  }
  const temperature = single.get('temperature');
  if (temperature !== undefined) {
    const value = Number(temperature);
    if (temperature.trim() === '' || !Number.isFinite(value))
      throw wrongType('temperature', 'a number', temperature);
    if (value < 0 || value > 1)
      throw invalidRequest(
        "Invalid 'temperature': it must be between 0 and 1.",
        'temperature',
        'invalid_value',
      );
    request.temperature = value;
  }
  const language = single.get('language');
  if (language !== undefined) request.language = language;
  const prompt = single.get('prompt');
  if (prompt !== undefined) request.prompt = prompt;
  for (const [name, value] of body.fields) {
    if (name === 'timestamp_granularities[]' || name === 'timestamp_granularities')
      oneOf('timestamp_granularities', ['word', 'segment'] as const, value);
  }
  return request;
}
