// Canonical shapes of the audio operations: speech (text in, audio bytes out) and transcription (an
// uploaded audio file in, text out; a translation is a transcription into English). Requests are OpenAI's,
// validated; an answer is a body of a content type, whole or relayed as it arrives, with what the upstream
// reported of its usage (read when the body has ended, for a relayed one). A provider offers an operation
// by having its method: `canSpeak` / `canTranscribe` ask.
import type { OperationCall } from './embeddings.js';
import type { Provider } from './types.js';

export const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];

/** Content types of speech formats, as OpenAI answers them. */
export const SPEECH_CONTENT_TYPES: Record<SpeechFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** A validated `/v1/audio/speech` request. */
export interface SpeechRequest {
  model: string;
  input: string;
  voice: string | { id: string };
  response_format?: SpeechFormat;
  speed?: number;
  instructions?: string;
  stream_format?: 'audio' | 'sse';
  stream?: boolean;
  [field: string]: unknown;
}

export const TRANSCRIPT_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

/** An uploaded file, held as the chunks it arrived in (never joined: a 25 MB upload is not copied). */
export interface AudioFile {
  filename: string;
  contentType: string;
  chunks: readonly Buffer[];
  size: number;
  /** Seconds of audio, read from the file's header; undefined when it could not be read. */
  headerSeconds: number | undefined;
}

/** A validated `/v1/audio/transcriptions` or `/v1/audio/translations` request. */
export interface TranscriptionRequest {
  model: string;
  task: 'transcription' | 'translation';
  file: AudioFile;
  response_format: TranscriptFormat;
  stream: boolean;
  language?: string;
  prompt?: string;
  temperature?: number;
  /**
   * Every other form field as sent (`timestamp_granularities[]`, `include[]`, ...), in order: passed on to
   * OpenAI-compatible upstreams as they came.
   */
  fields: ReadonlyArray<readonly [string, string]>;
}

/** What an upstream said its audio call used; every field undefined when it did not say. */
export interface AudioUsage {
  /** Seconds of input audio (verbose_json `duration`, `usage.seconds`, Deepgram's `metadata.duration`). */
  seconds?: number;
  /** Tokens, for models priced by them (gpt-4o-transcribe, gpt-4o-mini-tts). */
  inputTokens?: number;
  /** Of the input tokens, those of audio (the rest are text). */
  audioInputTokens?: number;
  outputTokens?: number;
  /** Of the output tokens, those of audio (speech models: all of them). */
  audioOutputTokens?: number;
}

/** An audio operation's answer: a body of a content type, whole (text) or relayed (bytes as they come). */
export interface AudioAnswer {
  contentType: string;
  body: string | AsyncIterable<Uint8Array>;
  /** What the upstream reported; for a relayed body, complete once the body has been read to its end. */
  usage: AudioUsage;
  /** Bytes relayed so far (a relayed body), for meters that estimate from them. */
  bytes: number;
  /** Stops a relayed body at once (the client left): the upstream request is cancelled. */
  cancel?: () => void;
}

export interface Speaker {
  speak(call: OperationCall<SpeechRequest>): Promise<AudioAnswer>;
}

export interface Transcriber {
  /** A transcription or a translation (`call.request.task`). */
  transcribe(call: OperationCall<TranscriptionRequest>): Promise<AudioAnswer>;
  /** Whether it translates (`/v1/audio/translations`); transcription only when false. */
  readonly translates?: boolean;
}

export const canSpeak = (provider: Provider): provider is Provider & Speaker =>
  typeof (provider as Partial<Speaker>).speak === 'function';

export const canTranscribe = (provider: Provider): provider is Provider & Transcriber =>
  typeof (provider as Partial<Transcriber>).transcribe === 'function';
