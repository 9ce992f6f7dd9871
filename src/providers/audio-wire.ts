// Wire pieces the audio providers share: an upload sent on as multipart/form-data (streamed from the
// chunks it arrived in, never joined), an upstream body relayed as it arrives (bytes counted, the upstream
// cancelled when the reader stops early, usage read from SSE events on the way), and the usage OpenAI's
// transcription answers report.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AudioAnswer, AudioFile, AudioUsage } from '../core/audio.js';
import { isObject } from '../core/is-object.js';
import type { CallSignal } from '../core/types.js';
import { isAbort, transportError, type UpstreamResponse } from './http.js';
import { countOf } from './retrieval-wire.js';

/** A multipart/form-data body: its content type, its exact length, and a fresh stream of it per attempt. */
export interface UploadBody {
  contentType: string;
  length: number;
  stream(): Readable;
}

/** Quotes a form-data name or filename the way browsers do (`"` and line breaks percent-encoded). */
const quoted = (text: string) => `"${text.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

/** Form fields then the file (in the field `fileField`), as multipart/form-data. */
export function uploadBody(
  fields: ReadonlyArray<readonly [string, string]>,
  file: AudioFile,
  fileField = 'file',
): UploadBody {
  const boundary = `----tokgate${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of fields)
    head += `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`;
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(fileField)}; filename=${quoted(file.filename)}\r\n` +
    `Content-Type: ${file.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`;
  const headBytes = Buffer.from(head);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: headBytes.length + file.size + tail.length,
    stream: () => Readable.from([headBytes, ...file.chunks, tail], { objectMode: false }),
  };
}

/** The file's own bytes as a request body (Deepgram's raw upload). */
export const rawBody = (file: AudioFile): Readable => Readable.from(file.chunks, { objectMode: false });

/** Reads the usage OpenAI reports in a transcription answer or its `transcript.text.done` event. */
export function transcriptUsage(answer: unknown, into: AudioUsage): void {
  if (!isObject(answer)) return;
  if (typeof answer.duration === 'number' && Number.isFinite(answer.duration) && answer.duration >= 0)
    into.seconds = answer.duration;
  const usage = answer.usage;
  if (!isObject(usage)) return;
  if (usage.type === 'duration' && typeof usage.seconds === 'number' && usage.seconds >= 0) {
    into.seconds ??= usage.seconds;
    return;
  }
  const input = countOf(usage.input_tokens);
  const output = countOf(usage.output_tokens);
  if (input === undefined || output === undefined) return;
  into.inputTokens = input;
  into.outputTokens = output;
  const details = isObject(usage.input_token_details) ? usage.input_token_details : {};
  const audio = countOf(details.audio_tokens);
  if (audio !== undefined) into.audioInputTokens = audio;
}

/** Reads `speech.audio.done`'s usage (gpt-4o-mini-tts with `stream_format: "sse"`): all output is audio. */
function speechUsage(event: Record<string, unknown>, into: AudioUsage): void {
  const usage = event.usage;
  if (!isObject(usage)) return;
  const input = countOf(usage.input_tokens);
  const output = countOf(usage.output_tokens);
  if (input === undefined || output === undefined) return;
  into.inputTokens = input;
  into.outputTokens = output;
  into.audioOutputTokens = output;
}

/**
 * Watches an SSE byte stream for the events that carry usage (`speech.audio.done`,
 * `transcript.text.done`); only their `data:` lines are parsed, the audio deltas pass unread.
 */
function sseUsageWatcher(into: AudioUsage): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder();
  let line = '';
  const onLine = (text: string) => {
    if (!text.startsWith('data:') || !text.includes('"usage"')) return;
    try {
      const event: unknown = JSON.parse(text.slice(5));
      if (!isObject(event)) return;
      if (event.type === 'speech.audio.done') speechUsage(event, into);
      else if (event.type === 'transcript.text.done') transcriptUsage(event, into);
    } catch {
      // Not JSON: the client gets it as it came; there is no usage in it to read.
    }
  };
  return (chunk) => {
    const text = decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end === -1) break;
      const full = line + text.slice(start, end);
      line = '';
      onLine(full.endsWith('\r') ? full.slice(0, -1) : full);
      start = end + 1;
    }
    // A line longer than any usage event (an audio delta) is not kept whole: only whether it could matter.
    line += text.slice(start);
    if (line.length > 64 * 1024 && !line.startsWith('data: {"type":"speech.audio.done"')) line = '';
  };
}

/**
 * The upstream's body relayed as it arrives, into `answer.body`: bytes counted in `answer.bytes`, usage read
 * from SSE events when the content type is `text/event-stream`. When the reader stops early (the client
 * left), the upstream request is cancelled; a transport failure midway is a GatewayError.
 */
export function relayAnswer(
  provider: string,
  res: UpstreamResponse,
  signal: CallSignal,
  contentType: string,
): AudioAnswer {
  const answer: AudioAnswer = { contentType, body: '', usage: {}, bytes: 0 };
  const watch = contentType.startsWith('text/event-stream') ? sseUsageWatcher(answer.usage) : undefined;
  async function* relay(): AsyncGenerator<Uint8Array> {
    let finished = false;
    try {
      for await (const chunk of res.body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        answer.bytes += chunk.length;
        watch?.(chunk);
        yield chunk;
      }
      finished = true;
    } catch (error) {
      if (isAbort(error) || signal.aborted) throw error;
      throw transportError(error, provider);
    } finally {
      if (!finished) res.body.on('error', () => undefined).destroy();
    }
  }
  answer.body = relay();
  answer.cancel = () => {
    if (!res.body.destroyed && !res.body.readableEnded) res.body.on('error', () => undefined).destroy();
  };
  return answer;
}

/** The content type an upstream answered with, or `fallback`. */
export function contentTypeOf(res: UpstreamResponse, fallback: string): string {
  const value = res.headers['content-type'];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.length > 0 ? text : fallback;
}
