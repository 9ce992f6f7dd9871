// Fake audio upstreams on 127.0.0.1 speaking the vendors' real wire formats: OpenAI's (also Groq's, under
// /openai/v1, and Azure's deployment URLs) `audio/speech` (bytes of the asked format, or SSE
// `speech.audio.delta` / `speech.audio.done`), `audio/transcriptions|translations` (multipart in; json, text,
// srt, vtt, verbose_json out; SSE `transcript.text.delta` / `transcript.text.done` when streamed),
// ElevenLabs' `POST /v1/text-to-speech/{voice_id}/stream` (`xi-api-key`), and Deepgram's `POST /v1/listen` (raw audio in, `results.channels[0].alternatives[0].transcript` and
// `metadata.duration` out). Every request is recorded: what the gateway sent is asserted byte for byte.
import { createHash } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/** A valid PCM WAV: RIFF header + 16-bit mono samples (a sine), `seconds` long at `rate` Hz. */
export function makeWav(seconds: number, rate = 8000): Buffer {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Seconds of a WAV made by makeWav, from its header. */
export function wavSeconds(wav: Buffer): number | undefined {
  if (wav.length < 44 || wav.toString('ascii', 0, 4) !== 'RIFF') return undefined;
  return wav.readUInt32LE(40) / wav.readUInt32LE(28);
}

/** `frames` silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes each): a valid MP3. */
export function makeMp3(frames: number): Buffer {
  const frame = Buffer.alloc(417);
  frame.writeUInt32BE(0xfffb9064, 0);
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

/** The audio the fake speaks for a text: deterministic, the size growing with the text. */
export function fakeSpeech(input: string, format: string): Buffer {
  const frames = Math.max(2, Math.ceil(input.length / 4));
  return format === 'wav' ? makeWav(frames * 0.026) : makeMp3(frames);
}

export const fakeTranscript = (bytes: number) => `I heard ${bytes} bytes of audio.`;

export interface RecordedUpload {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  fields: Array<[string, string]>;
  file: { field: string; filename: string; contentType: string; size: number; sha256: string } | undefined;
  query: Record<string, string>;
  json: unknown;
}

export interface FakeAudio {
  url: string;
  requests: RecordedUpload[];
  /** Bytes of speech to stream instead of fakeSpeech (the memory test), in chunks of 64 KiB. */
  longSpeechBytes: number;
  /** Set when the last speech stream was cut by the gateway before its end. */
  speechCut: boolean;
  close(): Promise<void>;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function srt(text: string, seconds: number): string {
  return `1\n00:00:00,000 --> 00:00:${String(Math.min(59, Math.ceil(seconds))).padStart(2, '0')},000\n${text}\n\n`;
}

export async function startFakeAudio(): Promise<FakeAudio> {
  const app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
  await app.register(fastifyMultipart, { limits: { fileSize: 64 * 1024 * 1024 } });
  app.addContentTypeParser(
    /^audio\//,
    { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );
  const fake: FakeAudio = {
    url: '',
    requests: [],
    longSpeechBytes: 0,
    speechCut: false,
    close: () => app.close(),
  };

  const speech = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as {
      input: string;
      response_format?: string;
      stream_format?: string;
      model: string;
    };
    fake.requests.push({
      path: request.url,
      headers: request.headers,
      fields: [],
      file: undefined,
      query: {},
      json: body,
    });
    const format = body.response_format ?? 'mp3';
    if (body.stream_format === 'sse') {
      const audio = fakeSpeech(body.input, format);
      const events = [
        `data: ${JSON.stringify({ type: 'speech.audio.delta', audio: audio.toString('base64') })}\n\n`,
        `data: ${JSON.stringify({ type: 'speech.audio.done', usage: { input_tokens: 7, output_tokens: 120, total_tokens: 127 } })}\n\n`,
      ];
      return reply.type('text/event-stream').send(events.join(''));
    }
    const type = format === 'wav' ? 'audio/wav' : 'audio/mpeg';
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': type });
    if (fake.longSpeechBytes > 0) {
      fake.speechCut = false;
      const chunk = Buffer.alloc(64 * 1024, 0x55);
      let sent = 0;
      reply.raw.on('close', () => {
        if (sent < fake.longSpeechBytes) fake.speechCut = true;
      });
      const write = () => {
        while (sent < fake.longSpeechBytes) {
          sent += chunk.length;
          if (!reply.raw.write(chunk)) return void reply.raw.once('drain', write);
        }
        reply.raw.end();
      };
      write();
      return;
    }
    // The audio in three writes, so the gateway relays pieces as they come.
    const audio = fakeSpeech(body.input, format);
    const third = Math.ceil(audio.length / 3);
    for (let at = 0; at < audio.length; at += third) reply.raw.write(audio.subarray(at, at + third));
    reply.raw.end();
  };

  const transcribe = async (request: FastifyRequest, reply: FastifyReply) => {
    const fields: Array<[string, string]> = [];
    let file: RecordedUpload['file'];
    let bytes: Buffer = Buffer.alloc(0);
    for await (const part of request.parts()) {
      if (part.type === 'field') fields.push([part.fieldname, String(part.value)]);
      else {
        bytes = await part.toBuffer();
        file = {
          field: part.fieldname,
          filename: part.filename,
          contentType: part.mimetype,
          size: bytes.length,
          sha256: sha256(bytes),
        };
      }
    }
    fake.requests.push({
      path: request.url,
      headers: request.headers,
      fields,
      file,
      query: {},
      json: undefined,
    });
    const get = (name: string) => fields.find(([n]) => n === name)?.[1];
    const model = get('model') ?? '';
    const format = get('response_format') ?? 'json';
    const text = fakeTranscript(bytes.length);
    const seconds = wavSeconds(bytes) ?? 1;
    const tokens = {
      type: 'tokens',
      input_tokens: 40,
      input_token_details: { text_tokens: 10, audio_tokens: 30 },
      output_tokens: 9,
      total_tokens: 49,
    };
    if (get('stream') === 'true' && model.startsWith('gpt-4o')) {
      const words = text.split(' ');
      const events = words.map(
        (w, i) =>
          `data: ${JSON.stringify({ type: 'transcript.text.delta', delta: i === 0 ? w : ` ${w}` })}\n\n`,
      );
      events.push(`data: ${JSON.stringify({ type: 'transcript.text.done', text, usage: tokens })}\n\n`);
      return reply.type('text/event-stream').send(events.join(''));
    }
    const usage = model.startsWith('gpt-4o') ? tokens : { type: 'duration', seconds: Math.ceil(seconds) };
    switch (format) {
      case 'text':
        return reply.type('text/plain; charset=utf-8').send(`${text}\n`);
      case 'srt':
        return reply.type('text/plain; charset=utf-8').send(srt(text, seconds));
      case 'vtt':
        return reply
          .type('text/vtt; charset=utf-8')
          .send(`WEBVTT\n\n${srt(text, seconds).slice(2).replace(',000', '.000')}`);
      case 'verbose_json':
        return reply.type('application/json').send(
          JSON.stringify({
            task: request.url.includes('translations') ? 'translate' : 'transcribe',
            language: 'english',
            duration: seconds,
            text,
            segments: [
              {
                id: 0,
                seek: 0,
                start: 0,
                end: seconds,
                text,
                tokens: [1, 2],
                temperature: 0,
                avg_logprob: -0.2,
                compression_ratio: 1.1,
                no_speech_prob: 0.01,
              },
            ],
            usage: { type: 'duration', seconds: Math.ceil(seconds) },
          }),
        );
      default:
        return reply
          .type('application/json')
          .send(JSON.stringify(request.url.includes('translations') ? { text } : { text, usage }));
    }
  };

  for (const prefix of ['/v1', '/openai/v1']) {
    app.post(`${prefix}/audio/speech`, speech);
    app.post(`${prefix}/audio/transcriptions`, transcribe);
    app.post(`${prefix}/audio/translations`, transcribe);
  }
  app.post('/openai/deployments/:deployment/audio/speech', speech);
  app.post('/openai/deployments/:deployment/audio/transcriptions', transcribe);

  // ElevenLabs: `{text, model_id}` in, the audio streamed back.
  app.post('/v1/text-to-speech/:voice/stream', async (request, reply) => {
    const body = request.body as { text: string; model_id: string };
    fake.requests.push({
      path: request.url,
      headers: request.headers,
      fields: [],
      file: undefined,
      query: { ...(request.query as Record<string, string>) },
      json: body,
    });
    if (request.headers['xi-api-key'] !== 'el-upstream')
      return reply.code(401).send({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
    const format = (request.query as { output_format?: string }).output_format ?? 'mp3_44100_128';
    const audio = fakeSpeech(body.text, 'mp3');
    return reply.type(format.startsWith('pcm') ? 'audio/pcm' : 'audio/mpeg').send(audio);
  });

  // Deepgram: the audio itself as the body.
  app.post('/v1/listen', async (request, reply) => {
    const bytes = request.body as Buffer;
    const query = request.query as Record<string, string>;
    fake.requests.push({
      path: request.url,
      headers: request.headers,
      fields: [],
      file: {
        field: '',
        filename: '',
        contentType: String(request.headers['content-type']),
        size: bytes.length,
        sha256: sha256(bytes),
      },
      query,
      json: undefined,
    });
    if (request.headers.authorization !== 'Token dg-upstream')
      return reply
        .code(401)
        .send({ err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.', request_id: 'r1' });
    const seconds = wavSeconds(bytes) ?? 1;
    const transcript = fakeTranscript(bytes.length);
    return reply.type('application/json').send(
      JSON.stringify({
        metadata: {
          transaction_key: 'deprecated',
          request_id: 'r2',
          sha256: sha256(bytes),
          created: '2026-12-07T00:00:00.000Z',
          duration: seconds,
          channels: 1,
          models: ['m1'],
        },
        results: {
          channels: [
            {
              alternatives: [
                {
                  transcript,
                  confidence: 0.99,
                  words: transcript.split(' ').map((word, i) => ({
                    word: word.toLowerCase(),
                    start: i * 0.1,
                    end: i * 0.1 + 0.1,
                    confidence: 0.9,
                    punctuated_word: word,
                  })),
                },
              ],
            },
          ],
        },
      }),
    );
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  fake.url = `http://127.0.0.1:${address.port}`;
  return fake;
}
