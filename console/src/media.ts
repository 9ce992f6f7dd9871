// The playground's media requests, through the gateway's own doors with the session's key as the chat
// requests are: an image made by POST /v1/images/generations (asked as base64, shown from a data URL) and a
// sentence spoken by POST /v1/audio/speech (its bytes played from an object URL). Each answer gives what
// the page shows and the same numbers as a chat answer (tokens where the API reports them, the cost the
// gateway sent in `x-tokgate-cost`, times).
import { ApiError } from './api.js';
import type { AnswerStats } from './playground-apis.js';
import { refusal, requestIdOf } from './sse.js';

export interface Media {
  kind: 'image' | 'audio';
  /** A `data:` URL (an image) or an object URL (audio: revoke it when the turn goes). */
  src: string;
  /** Its media type (`image/png`, `audio/mpeg`). */
  type: string;
}

export interface MediaAnswer {
  media: Media;
  stats: AnswerStats;
}

interface ImagesAnswer {
  data?: { b64_json?: unknown }[];
  output_format?: unknown;
  usage?: { input_tokens?: number; output_tokens?: number; cost?: number };
}

/** The gateway's price of the answer (USD); undefined when it sent none (the request log has it). */
function headerCost(res: Response): number | undefined {
  const value = Number(res.headers.get('x-tokgate-cost') ?? Number.NaN);
  return Number.isFinite(value) ? value : undefined;
}

const post = (key: string, path: string, body: unknown, signal: AbortSignal) =>
  fetch(path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

export async function generateImage(
  key: string,
  ask: { model: string; prompt: string; size: string | undefined },
  signal: AbortSignal,
): Promise<MediaAnswer> {
  const started = performance.now();
  const res = await post(
    key,
    '/v1/images/generations',
    {
      model: ask.model,
      prompt: ask.prompt,
      n: 1,
      response_format: 'b64_json',
      ...(ask.size ? { size: ask.size } : {}),
    },
    signal,
  );
  if (!res.ok) throw await refusal(res);
  const answer = (await res.json()) as ImagesAnswer;
  const b64 = answer.data?.[0]?.b64_json;
  if (typeof b64 !== 'string' || !b64) throw new ApiError('The answer has no image.', res.status);
  const format = typeof answer.output_format === 'string' ? answer.output_format : 'png';
  const type = `image/${format}`;
  return {
    media: { kind: 'image', src: `data:${type};base64,${b64}`, type },
    stats: {
      inputTokens: answer.usage?.input_tokens,
      outputTokens: answer.usage?.output_tokens,
      cost: answer.usage?.cost ?? headerCost(res),
      ttftMs: undefined,
      totalMs: performance.now() - started,
      requestId: requestIdOf(res),
    },
  };
}

export async function speak(
  key: string,
  ask: { model: string; input: string; voice: string },
  signal: AbortSignal,
): Promise<MediaAnswer> {
  const started = performance.now();
  const res = await post(
    key,
    '/v1/audio/speech',
    { model: ask.model, input: ask.input, voice: ask.voice, response_format: 'mp3' },
    signal,
  );
  if (!res.ok) throw await refusal(res);
  // The audio is relayed as it is made: its first bytes are here when the headers are.
  const firstByte = performance.now() - started;
  const type = res.headers.get('content-type') ?? 'audio/mpeg';
  const audio = await res.blob();
  return {
    media: { kind: 'audio', src: URL.createObjectURL(audio), type },
    stats: {
      inputTokens: undefined,
      outputTokens: undefined,
      // Priced per character: the gateway sends the cost up front; token-priced speech: the request log.
      cost: headerCost(res),
      ttftMs: firstByte,
      totalMs: performance.now() - started,
      requestId: requestIdOf(res),
    },
  };
}
