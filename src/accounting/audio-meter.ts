// The meters of the audio operations, beside chat's (meter.ts) and retrieval's: what speech and
// transcription used and cost, and the worst case admission reserves.
//
// Speech: tts-1 and tts-1-hd bill characters of input (known before the audio is made); gpt-4o-mini-tts
// bills tokens: text in, audio out. Its audio tokens are the upstream's count where it reports one
// (`stream_format: "sse"`'s `speech.audio.done`); otherwise estimated from the audio's length (exact for
// pcm and wav, 24 kHz 16-bit mono; from the text at a speaking rate for compressed formats).
// Transcription: whisper models bill seconds of audio (the upstream's count, else the file header's);
// gpt-4o(-mini)-transcribe bill tokens (the upstream's `usage`, else estimated from the seconds).
import type { Target } from '../catalog/target.js';
import type { AudioAnswer, SpeechRequest, TranscriptionRequest } from '../core/audio.js';
import type { Usage, UsageSource } from '../core/types.js';
import type { InputDemand } from './admission.js';
import type { Meter, Metered, Units } from './meter.js';
import { costMicros } from './pricing.js';
import { fallbackCount } from './tokenizer.js';

/** OpenAI's audio output: 24 kHz, 16-bit, mono PCM (also inside its wav). */
const PCM_BYTES_PER_SECOND = 48_000;
/** Characters of text spoken per second at speed 1 (about 150 words a minute). */
const CHARACTERS_PER_SECOND = 15;
/** gpt-4o-mini-tts's audio tokens per second: $0.015 a minute at $12 per million tokens. */
const SPEECH_TOKENS_PER_SECOND = 1250 / 60;
/** gpt-4o-transcribe's audio tokens per second: $0.006 a minute at $6 per million tokens. */
const TRANSCRIPTION_TOKENS_PER_SECOND = 1000 / 60;
/** Text tokens a second of speech transcribes to, at most (a bound for admission). */
const TRANSCRIPT_TOKENS_PER_SECOND = 8;
/**
 * The lowest bitrate an upload is assumed to have when its header tells no duration (bytes per second,
 * 16 kbit/s): the bound on its seconds from its size.
 */
const MIN_BYTES_PER_SECOND = 2_000;

const characters = (text: string) => {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
};

/** Micro-USD for units at a price per million units, rounded up for a bound and half up for a charge. */
const unitCost = (count: number, perMillion: number, round: (n: number) => number) =>
  round((count * perMillion) / 1_000_000);

const zeroUsage = (): Usage => ({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });

function tokenUsage(input: number, audioIn: number, output: number, audioOut: number): Usage {
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    ...(audioIn > 0 ? { prompt_tokens_details: { audio_tokens: audioIn } } : {}),
    ...(audioOut > 0 ? { completion_tokens_details: { audio_tokens: audioOut } } : {}),
  };
}

/** Seconds of speech a text makes, estimated (slower speech is longer). */
const spokenSeconds = (request: SpeechRequest) =>
  characters(request.input) / CHARACTERS_PER_SECOND / (request.speed ?? 1);

/** What tts-1-like models cost: known from the request alone. */
export function speechByCharacters(target: Target, request: SpeechRequest): Metered | undefined {
  const perCharacter = target.entry?.price?.character;
  if (perCharacter === undefined) return undefined;
  const count = characters(request.input);
  return {
    usage: zeroUsage(),
    source: 'estimated',
    costMicros: unitCost(count, perCharacter, Math.round),
    units: { count, unit: 'characters' },
  };
}

export function speechDemand(meter: Meter, target: Target, request: SpeechRequest): InputDemand {
  const price = target.entry?.price;
  const text = request.input + (request.instructions ?? '');
  const bound = Buffer.byteLength(text);
  if (price?.character !== undefined) {
    const cost = unitCost(characters(request.input), price.character, Math.ceil);
    return { bound, exact: async () => undefined, cost: () => cost };
  }
  // The audio out bounded at twice the estimate from the text.
  const audioTokens = Math.ceil(2 * spokenSeconds(request) * SPEECH_TOKENS_PER_SECOND);
  return {
    bound,
    exact: async () => {
      const tokenizer = meter.catalog.tokenizerFor(target.model, target.provider.id);
      return meter.tokens.countTexts([text], tokenizer, 'upper');
    },
    cost: (tokens) =>
      Math.ceil(
        (tokens * (price?.input ?? 0) + audioTokens * (price?.audioOutput ?? price?.output ?? 0)) / 1_000_000,
      ),
  };
}

export async function measureSpeech(
  meter: Meter,
  target: Target,
  request: SpeechRequest,
  answer: AudioAnswer,
): Promise<Metered> {
  const byCharacters = speechByCharacters(target, request);
  if (byCharacters) return byCharacters;
  const { usage } = answer;
  const price = target.entry?.price;
  if (usage.inputTokens !== undefined && usage.outputTokens !== undefined) {
    const audioOut = usage.audioOutputTokens ?? usage.outputTokens;
    const reported = tokenUsage(usage.inputTokens, 0, usage.outputTokens, audioOut);
    return { usage: reported, source: 'provider', costMicros: costMicros(price, reported) };
  }
  const text = request.input + (request.instructions ?? '');
  const tokenizer = meter.catalog.tokenizerFor(target.model, target.provider.id);
  const input =
    (await meter.tokens.countTexts([text], tokenizer, 'estimate')) ?? fallbackCount(text, 'estimate');
  const format = request.response_format ?? 'mp3';
  const seconds =
    format === 'pcm' || format === 'wav' ? answer.bytes / PCM_BYTES_PER_SECOND : spokenSeconds(request);
  const audioOut = Math.ceil(seconds * SPEECH_TOKENS_PER_SECOND);
  const estimated = tokenUsage(input, 0, audioOut, audioOut);
  return { usage: estimated, source: 'estimated', costMicros: costMicros(price, estimated) };
}

/** Seconds of an upload: its header's, or a bound from its size. */
function uploadSeconds(request: TranscriptionRequest): number {
  const { file } = request;
  return file.headerSeconds ?? file.size / MIN_BYTES_PER_SECOND;
}

export function transcriptionDemand(
  _meter: Meter,
  target: Target,
  request: TranscriptionRequest,
): InputDemand {
  const price = target.entry?.price;
  const seconds = uploadSeconds(request);
  if (price?.audioSecond !== undefined) {
    const cost = unitCost(Math.ceil(seconds), price.audioSecond, Math.ceil);
    return { bound: 0, exact: async () => undefined, cost: () => cost };
  }
  const audio = Math.ceil(seconds * TRANSCRIPTION_TOKENS_PER_SECOND);
  const prompt = Buffer.byteLength(request.prompt ?? '');
  const output = Math.ceil(seconds * TRANSCRIPT_TOKENS_PER_SECOND);
  const cost = Math.ceil(
    (audio * (price?.audioInput ?? price?.input ?? 0) +
      prompt * (price?.input ?? 0) +
      output * (price?.output ?? 0)) /
      1_000_000,
  );
  return { bound: audio + prompt + output, exact: async () => undefined, cost: () => cost };
}

export async function measureTranscription(
  _meter: Meter,
  target: Target,
  request: TranscriptionRequest,
  answer: AudioAnswer,
): Promise<Metered> {
  const price = target.entry?.price;
  const { usage } = answer;
  if (
    price?.audioSecond === undefined &&
    usage.inputTokens !== undefined &&
    usage.outputTokens !== undefined
  ) {
    const reported = tokenUsage(usage.inputTokens, usage.audioInputTokens ?? 0, usage.outputTokens, 0);
    return { usage: reported, source: 'provider', costMicros: costMicros(price, reported) };
  }
  const reportedSeconds = usage.seconds;
  const seconds = reportedSeconds ?? uploadSeconds(request);
  const source: UsageSource = reportedSeconds === undefined ? 'estimated' : 'provider';
  const units: Units = { count: seconds, unit: 'seconds' };
  if (price?.audioSecond !== undefined || price === undefined) {
    const cost = price === undefined ? undefined : unitCost(seconds, price.audioSecond!, Math.round);
    return { usage: zeroUsage(), source, costMicros: cost, units };
  }
  // Priced by tokens but the upstream did not count them: estimated from the seconds and the text.
  const audio = Math.ceil(seconds * TRANSCRIPTION_TOKENS_PER_SECOND);
  const text = typeof answer.body === 'string' ? answer.body : '';
  const output = fallbackCount(text, 'estimate');
  const estimated = tokenUsage(audio, audio, output, 0);
  return { usage: estimated, source: 'estimated', costMicros: costMicros(price, estimated), units };
}
