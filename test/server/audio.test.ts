// POST /v1/audio/speech, /v1/audio/transcriptions and /v1/audio/translations through the official openai
// client and plain HTTP, against fake OpenAI, Groq and Deepgram upstreams speaking their wire formats: the
// bytes relayed unchanged, exactly what each upstream received, the formats and content types, a streamed
// transcript, the ledger row (door, units, price), and uploads over the limits or malformed refused.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { toFile } from 'openai';
import { type FakeAudio, fakeSpeech, fakeTranscript, makeWav, startFakeAudio } from '../fakes/audio.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

let fake: FakeAudio;
let gw: TestGateway;

/** Deepgram has no built-in price (none could be checked on its page): priced here, as an operator would. */
function deepgramPrices(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tokgate-audio-')), 'tokgate.yaml');
  writeFileSync(
    file,
    [
      'models:',
      '  deepgram/nova-3:',
      '    kind: transcription',
      '    price: { input: 0, output: 0, per_minute: 0.0043 }',
    ].join('\n'),
  );
  return file;
}
let small: TestGateway;

before(async () => {
  fake = await startFakeAudio();
  const upstreams = {
    OPENAI_API_KEY: 'sk-upstream',
    OPENAI_BASE_URL: `${fake.url}/v1`,
    GROQ_API_KEY: 'gsk-upstream',
    GROQ_BASE_URL: `${fake.url}/openai/v1`,
    DEEPGRAM_API_KEY: 'dg-upstream',
    DEEPGRAM_BASE_URL: fake.url,
    AZURE_OPENAI_API_KEY: 'az-upstream',
    AZURE_OPENAI_ENDPOINT: fake.url,
    ELEVENLABS_API_KEY: 'el-upstream',
    ELEVENLABS_BASE_URL: fake.url,
    TOKGATE_CONFIG: deepgramPrices(),
  };
  gw = await startTestGateway(upstreams);
  small = await startTestGateway({
    ...upstreams,
    TOKGATE_MAX_UPLOAD_BYTES: '4096',
    TOKGATE_MAX_UPLOAD_FILES: '2',
  });
});

after(async () => {
  await Promise.all([gw.close(), small.close()]);
  await fake.close();
});

beforeEach(() => {
  fake.requests.length = 0;
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The request's ledger row. A relayed answer is settled once its body has ended, after the client has read
 * it: the row is waited for (as many turns of the event loop as it takes, without a time limit of its own).
 */
async function ledgerRow(gateway: TestGateway, requestId: string) {
  for (let turn = 0; turn < 1000; turn++) {
    await gateway.gateway.ledger.flush();
    const row = await gateway.gateway.store.getRequest(requestId);
    if (row) return row;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`no ledger row for ${requestId}`);
}

/** A WAV of `seconds`, as the SDK uploads it. */
const wavFile = (seconds: number) => toFile(makeWav(seconds), 'speech.wav', { type: 'audio/wav' });

describe('POST /v1/audio/speech', () => {
  test('the openai SDK gets the upstream’s bytes unchanged, its content type, and the cost per character', async () => {
    const input = 'The quick brown fox jumps over the lazy dog.';
    const { data, response } = await gw
      .client(ADMIN_KEY)
      .audio.speech.create({ model: 'openai/tts-1', input, voice: 'alloy' })
      .withResponse();
    const bytes = Buffer.from(await data.arrayBuffer());
    assert.equal(sha256(bytes), sha256(fakeSpeech(input, 'mp3')), 'the bytes are the upstream’s');
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    // tts-1: $15 per million characters.
    assert.equal(response.headers.get('x-tokgate-cost'), String((input.length * 15) / 1_000_000));
    const sent = fake.requests[0]!;
    assert.equal(sent.path, '/v1/audio/speech');
    assert.deepEqual(sent.json, { model: 'tts-1', input, voice: 'alloy' });
    assert.equal(sent.headers.authorization, 'Bearer sk-upstream');
    const row = await ledgerRow(gw, response.headers.get('x-request-id')!);
    assert.equal(row.door, 'audio');
    assert.equal(row.status, 'ok');
    assert.equal(row.units, input.length);
    assert.equal(row.unit, 'characters');
    assert.equal(row.cost_micros, input.length * 15);
  });

  test('wav as asked; gpt-4o-mini-tts streamed as SSE is priced by the tokens its last event reports', async () => {
    const client = gw.client(ADMIN_KEY);
    const wav = await client.audio.speech
      .create({
        model: 'openai/gpt-4o-mini-tts',
        input: 'Hello there',
        voice: 'coral',
        response_format: 'wav',
        instructions: 'cheerful',
      })
      .withResponse();
    assert.equal(wav.response.headers.get('content-type'), 'audio/wav');
    assert.equal(sha256(Buffer.from(await wav.data.arrayBuffer())), sha256(fakeSpeech('Hello there', 'wav')));
    assert.equal(
      wav.response.headers.get('x-tokgate-cost'),
      null,
      'a token-priced cost is not known up front',
    );
    const wavRow = await ledgerRow(gw, wav.response.headers.get('x-request-id')!);
    assert.equal(wavRow.usage_source, 'estimated');
    assert.ok((wavRow.cost_micros ?? 0) > 0, 'estimated from the audio’s length');

    const sse = await client.audio.speech
      .create({ model: 'openai/gpt-4o-mini-tts', input: 'Hello there', voice: 'coral', stream_format: 'sse' })
      .withResponse();
    assert.equal(sse.response.headers.get('content-type'), 'text/event-stream');
    const text = await sse.data.text();
    assert.match(text, /speech\.audio\.done/);
    const row = await ledgerRow(gw, sse.response.headers.get('x-request-id')!);
    assert.equal(row.prompt_tokens, 7);
    assert.equal(row.completion_tokens, 120);
    assert.equal(row.usage_source, 'provider');
    // $0.60 per million text tokens in, $12 per million audio tokens out.
    assert.equal(row.cost_micros, Math.round((7 * 0.6 + 120 * 12) / 1));
  });

  test('Azure: the deployment’s speech URL with its api-version and api-key', async () => {
    const { data, response } = await gw
      .client(ADMIN_KEY)
      .audio.speech.create({ model: 'azure/my-tts', input: 'Azure speaks.', voice: 'nova' })
      .withResponse();
    assert.equal(sha256(Buffer.from(await data.arrayBuffer())), sha256(fakeSpeech('Azure speaks.', 'mp3')));
    assert.equal(response.headers.get('x-tokgate-provider'), 'azure');
    const sent = fake.requests[0]!;
    assert.equal(sent.path, '/openai/deployments/my-tts/audio/speech?api-version=2024-10-21');
    assert.equal(sent.headers['api-key'], 'az-upstream');
    assert.deepEqual(sent.json, { model: 'my-tts', input: 'Azure speaks.', voice: 'nova' });
  });

  test('ElevenLabs: the voice id in the path, xi-api-key, mp3 as mp3_44100_128; per character', async () => {
    const input = 'ElevenLabs speaks too.';
    const { data, response } = await gw
      .client(ADMIN_KEY)
      .audio.speech.create({
        model: 'elevenlabs/eleven_flash_v2_5',
        input,
        voice: 'JBFqnCBsd6RMkjVDRZzb',
        speed: 1.1,
      })
      .withResponse();
    assert.equal(sha256(Buffer.from(await data.arrayBuffer())), sha256(fakeSpeech(input, 'mp3')));
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    assert.match(response.headers.get('x-tokgate-warnings') ?? '', /'speed' is not supported/);
    const sent = fake.requests[0]!;
    assert.equal(sent.path, '/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/stream?output_format=mp3_44100_128');
    assert.equal(sent.headers['xi-api-key'], 'el-upstream');
    assert.deepEqual(sent.json, { text: input, model_id: 'eleven_flash_v2_5' });
    // $0.05 per 1,000 characters.
    assert.equal(response.headers.get('x-tokgate-cost'), String((input.length * 50) / 1_000_000));
    const row = await ledgerRow(gw, response.headers.get('x-request-id')!);
    assert.equal(row.provider, 'elevenlabs');
    assert.equal(row.cost_micros, input.length * 50);

    const wav = await gw
      .client(ADMIN_KEY)
      .audio.speech.create({
        model: 'elevenlabs/eleven_flash_v2_5',
        input,
        voice: 'v',
        response_format: 'wav',
      })
      .catch((error: unknown) => error as { status: number });
    assert.equal((wav as { status: number }).status, 400);
  });

  test('a client that leaves mid-stream: the upstream is cut, the row says aborted', async () => {
    fake.longSpeechBytes = 32 * 1024 * 1024;
    const controller = new AbortController();
    try {
      const res = await gw.call('/v1/audio/speech', {
        method: 'POST',
        key: ADMIN_KEY,
        json: { model: 'openai/tts-1', input: 'Never heard to the end.', voice: 'alloy' },
        signal: controller.signal,
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      assert.ok(first.value && first.value.length > 0);
      controller.abort();
      const id = res.headers.get('x-request-id')!;
      const row = await ledgerRow(gw, id);
      assert.equal(row.status, 'aborted');
      assert.equal(row.http_status, 499);
      // Charged: the characters were spoken upstream.
      assert.equal(row.cost_micros, 'Never heard to the end.'.length * 15);
      for (let turn = 0; turn < 1000 && !fake.speechCut; turn++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(fake.speechCut, 'the upstream’s stream was cut before its end');
    } finally {
      fake.longSpeechBytes = 0;
    }
  });

  test('bad input is refused before anything goes upstream', async () => {
    const cases: Array<[unknown, string]> = [
      [{ model: 'openai/tts-1', voice: 'alloy' }, 'input'],
      [{ model: 'openai/tts-1', input: 'x' }, 'voice'],
      [{ model: 'openai/tts-1', input: 'x', voice: 'alloy', response_format: 'ogg' }, 'response_format'],
      [{ model: 'openai/tts-1', input: 'x', voice: 'alloy', speed: 9 }, 'speed'],
      [{ model: 'openai/tts-1', input: 'x'.repeat(4097), voice: 'alloy' }, 'input'],
      [{ model: 'openai/whisper-1', input: 'x', voice: 'alloy' }, 'model'],
    ];
    for (const [json, param] of cases) {
      const res = await gw.call('/v1/audio/speech', { method: 'POST', key: ADMIN_KEY, json });
      assert.equal(res.status, 400, JSON.stringify(json).slice(0, 80));
      const body = (await res.json()) as { error: { param: string } };
      assert.equal(body.error.param, param);
    }
    assert.equal(fake.requests.length, 0);
  });
});

describe('POST /v1/audio/transcriptions and /translations', () => {
  test('whisper-1 json: the upload reaches OpenAI byte for byte; usage.cost from the seconds it reports', async () => {
    const wav = makeWav(2);
    const { data, response } = await gw
      .client(ADMIN_KEY)
      .audio.transcriptions.create({
        file: await toFile(wav, 'speech.wav', { type: 'audio/wav' }),
        model: 'openai/whisper-1',
        language: 'en',
        temperature: 0.2,
      })
      .withResponse();
    assert.equal(data.text, fakeTranscript(wav.length));
    assertMatchesSchema('CreateTranscriptionResponseJson', data);
    // whisper-1: $0.006 a minute, 2 seconds.
    const usage = (data as unknown as { usage: { seconds: number; cost: number } }).usage;
    assert.equal(usage.seconds, 2);
    assert.equal(usage.cost, 0.0002);
    const sent = fake.requests[0]!;
    assert.equal(sent.path, '/v1/audio/transcriptions');
    assert.equal(sent.file?.sha256, sha256(wav));
    assert.equal(sent.file?.filename, 'speech.wav');
    assert.equal(sent.file?.contentType, 'audio/wav');
    assert.deepEqual(
      sent.fields.filter(([n]) => n !== 'temperature'),
      [
        ['model', 'whisper-1'],
        ['language', 'en'],
      ],
    );
    const row = await ledgerRow(gw, response.headers.get('x-request-id')!);
    assert.equal(row.door, 'audio');
    assert.equal(row.units, 2);
    assert.equal(row.unit, 'seconds');
    assert.equal(row.usage_source, 'provider');
    assert.equal(row.cost_micros, 200);
  });

  test('text, srt and verbose_json answers in their content types; text priced from the file header', async () => {
    const client = gw.client(ADMIN_KEY);
    const text = await client.audio.transcriptions
      .create({ file: await wavFile(3), model: 'openai/whisper-1', response_format: 'text' })
      .withResponse();
    assert.equal(text.data as unknown as string, `${fakeTranscript(makeWav(3).length)}\n`);
    assert.match(text.response.headers.get('content-type')!, /^text\/plain/);
    // No usage in a text answer: 3 seconds read from the WAV header, in x-tokgate-cost.
    assert.equal(text.response.headers.get('x-tokgate-cost'), '0.0003');
    const textRow = await ledgerRow(gw, text.response.headers.get('x-request-id')!);
    assert.equal(textRow.usage_source, 'estimated');
    assert.equal(textRow.units, 3);

    const srt = await client.audio.transcriptions.create({
      file: await wavFile(1),
      model: 'openai/whisper-1',
      response_format: 'srt',
    });
    assert.match(srt as unknown as string, /^1\n00:00:00,000 --> /);

    const verbose = await client.audio.transcriptions.create({
      file: await wavFile(1.5),
      model: 'openai/whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['segment'],
    });
    assertMatchesSchema('CreateTranscriptionResponseVerboseJson', verbose);
    assert.equal(verbose.duration, 1.5);
    const sent = fake.requests.at(-1)!;
    assert.ok(sent.fields.some(([n, v]) => n === 'timestamp_granularities[]' && v === 'segment'));
  });

  test('translations: whisper-1, json', async () => {
    const wav = makeWav(1);
    const translation = await gw.client(ADMIN_KEY).audio.translations.create({
      file: await toFile(wav, 'fr.wav', { type: 'audio/wav' }),
      model: 'openai/whisper-1',
    });
    assert.equal(translation.text, fakeTranscript(wav.length));
    assert.equal(fake.requests[0]!.path, '/v1/audio/translations');
  });

  test('gpt-4o-transcribe streamed: transcript.text.delta events then done, priced by its token usage', async () => {
    const { data: stream, response } = await gw
      .client(ADMIN_KEY)
      .audio.transcriptions.create({
        file: await wavFile(1),
        model: 'openai/gpt-4o-transcribe',
        stream: true,
      })
      .withResponse();
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    let text = '';
    let done: { text: string } | undefined;
    for await (const event of stream) {
      if (event.type === 'transcript.text.delta') text += event.delta;
      if (event.type === 'transcript.text.done') done = event;
    }
    assert.equal(text, fakeTranscript(makeWav(1).length));
    assert.equal(done?.text, text);
    const row = await ledgerRow(gw, response.headers.get('x-request-id')!);
    assert.equal(row.door, 'audio');
    assert.equal(row.stream, 1);
    assert.equal(row.prompt_tokens, 40);
    assert.equal(row.completion_tokens, 9);
    // $2.50 per million tokens in, text and audio alike, $10 out: 10 text + 30 audio in, 9 out.
    assert.equal(row.cost_micros, Math.round((10 * 2.5 + 30 * 2.5 + 9 * 10) / 1));
  });

  test('Groq (OpenAI-compatible at /openai/v1): the duration its verbose_json reports', async () => {
    const verbose = await gw
      .client(ADMIN_KEY)
      .audio.transcriptions.create({
        file: await wavFile(4),
        model: 'groq/whisper-large-v3-turbo',
        response_format: 'verbose_json',
      })
      .withResponse();
    assert.equal(verbose.data.duration, 4);
    assert.equal(fake.requests[0]!.path, '/openai/v1/audio/transcriptions');
    assert.equal(fake.requests[0]!.headers.authorization, 'Bearer gsk-upstream');
    const row = await ledgerRow(gw, verbose.response.headers.get('x-request-id')!);
    assert.equal(row.units, 4);
    // $0.04 an hour.
    assert.equal(row.cost_micros, Math.round((4 * 0.04 * 1_000_000) / 3600));
  });

  test('Deepgram: raw audio to /v1/listen, its transcript and metadata.duration in OpenAI’s shapes', async () => {
    const wav = makeWav(2.5);
    const client = gw.client(ADMIN_KEY);
    const json = await client.audio.transcriptions
      .create({
        file: await toFile(wav, 'a.wav', { type: 'audio/wav' }),
        model: 'deepgram/nova-3',
        language: 'en',
        prompt: 'a test',
      })
      .withResponse();
    assert.equal(json.data.text, fakeTranscript(wav.length));
    assert.match(
      json.response.headers.get('x-tokgate-warnings') ?? '',
      /'prompt' is not supported by provider 'deepgram'/,
    );
    const sent = fake.requests[0]!;
    assert.equal(sent.headers.authorization, 'Token dg-upstream');
    assert.equal(sent.file?.sha256, sha256(wav));
    assert.equal(sent.file?.contentType, 'audio/wav');
    assert.deepEqual({ ...sent.query }, { model: 'nova-3', smart_format: 'true', language: 'en' });
    const row = await ledgerRow(gw, json.response.headers.get('x-request-id')!);
    assert.equal(row.provider, 'deepgram');
    assert.equal(row.units, 2.5);
    assert.equal(row.usage_source, 'provider');
    assert.equal(row.cost_micros, Math.round((2.5 * 0.0043 * 1_000_000) / 60));

    const verbose = await client.audio.transcriptions.create({
      file: await toFile(wav, 'a.wav', { type: 'audio/wav' }),
      model: 'deepgram/nova-3',
      response_format: 'verbose_json',
      timestamp_granularities: ['word'],
    });
    assertMatchesSchema('CreateTranscriptionResponseVerboseJson', verbose);
    assert.equal(verbose.duration, 2.5);
    assert.equal(verbose.words?.[0]?.word, 'I');

    const srt = await client.audio.transcriptions
      .create({
        file: await toFile(wav, 'a.wav', { type: 'audio/wav' }),
        model: 'deepgram/nova-3',
        response_format: 'srt',
      })
      .catch((error: unknown) => error as { status: number });
    assert.equal((srt as { status: number }).status, 400);
    const translation = await client.audio.translations
      .create({ file: await toFile(wav, 'a.wav', { type: 'audio/wav' }), model: 'deepgram/nova-3' })
      .catch((error: unknown) => error as { status: number });
    assert.equal((translation as { status: number }).status, 400);
  });
});

describe('uploads refused', () => {
  const form = (parts: Array<[string, string | Blob, string?]>) => {
    const data = new FormData();
    for (const [name, value, filename] of parts) {
      if (typeof value === 'string') data.append(name, value);
      else data.append(name, value, filename);
    }
    return data;
  };

  test('a file over TOKGATE_MAX_UPLOAD_BYTES is a 413; more files than TOKGATE_MAX_UPLOAD_FILES too', async () => {
    const big = await small.call('/v1/audio/transcriptions', {
      method: 'POST',
      key: ADMIN_KEY,
      body: form([
        ['model', 'openai/whisper-1'],
        ['file', new Blob([makeWav(1)], { type: 'audio/wav' }), 'a.wav'],
      ]),
    });
    assert.equal(big.status, 413);
    const body = (await big.json()) as { error: { message: string; type: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /larger than the limit of 4096 bytes/);

    const tiny = new Blob([makeWav(0.01)], { type: 'audio/wav' });
    const many = await small.call('/v1/audio/transcriptions', {
      method: 'POST',
      key: ADMIN_KEY,
      body: form([
        ['model', 'openai/whisper-1'],
        ['file', tiny, 'a.wav'],
        ['file', tiny, 'b.wav'],
        ['file', tiny, 'c.wav'],
      ]),
    });
    assert.equal(many.status, 413);
    assert.equal(fake.requests.length, 0);
  });

  test('no file, a JSON body, a truncated multipart body: 400 in OpenAI’s shape', async () => {
    const noFile = await gw.call('/v1/audio/transcriptions', {
      method: 'POST',
      key: ADMIN_KEY,
      body: form([['model', 'openai/whisper-1']]),
    });
    assert.equal(noFile.status, 400);
    assert.equal(((await noFile.json()) as { error: { param: string } }).error.param, 'file');

    const textFile = await gw.call('/v1/audio/transcriptions', {
      method: 'POST',
      key: ADMIN_KEY,
      body: form([
        ['model', 'openai/whisper-1'],
        ['file', 'not a file'],
      ]),
    });
    assert.equal(textFile.status, 400);

    const json = await gw.call('/v1/audio/transcriptions', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'openai/whisper-1', file: 'x' },
    });
    assert.equal(json.status, 400);
    assert.match(
      ((await json.json()) as { error: { message: string } }).error.message,
      /multipart\/form-data/,
    );

    const boundary = 'xyzzy';
    const truncated = await gw.call('/v1/audio/transcriptions', {
      method: 'POST',
      key: ADMIN_KEY,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nopenai/whisper-1\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF`,
    });
    assert.equal(truncated.status, 400);
    assert.ok(((await truncated.json()) as { error: unknown }).error);

    const badFormat = await gw.call('/v1/audio/transcriptions', {
      method: 'POST',
      key: ADMIN_KEY,
      body: form([
        ['model', 'openai/whisper-1'],
        ['response_format', 'mp3'],
        ['file', new Blob([makeWav(0.1)], { type: 'audio/wav' }), 'a.wav'],
      ]),
    });
    assert.equal(badFormat.status, 400);
    assert.equal(fake.requests.length, 0);
  });

  test('an unauthenticated upload is refused before its body is read', async () => {
    const res = await gw.call('/v1/audio/transcriptions', {
      method: 'POST',
      body: form([['file', new Blob([makeWav(0.1)], { type: 'audio/wav' }), 'a.wav']]),
    });
    assert.equal(res.status, 401);
  });
});

describe('the catalog of audio models', () => {
  test('/admin/models tells their kind and prices in the YAML’s names; /v1/models lists them', async () => {
    const res = await gw.call('/admin/models', { key: ADMIN_KEY });
    const { data } = (await res.json()) as {
      data: Array<{ id: string; kind: string; price: Record<string, number> }>;
    };
    const byId = new Map(data.map((m) => [m.id, m]));
    assert.equal(byId.get('openai/tts-1')?.kind, 'speech');
    assert.equal(byId.get('openai/tts-1')?.price.per_million_characters, 15);
    assert.equal(byId.get('openai/whisper-1')?.kind, 'transcription');
    assert.ok(Math.abs((byId.get('openai/whisper-1')?.price.per_minute ?? 0) - 0.006) < 1e-12);
    assert.equal(byId.get('openai/gpt-4o-mini-tts')?.price.audio_output, 12);
    assert.equal(byId.get('openai/gpt-4o-transcribe')?.price.audio_input, 2.5);
    const models = await gw.client(ADMIN_KEY).models.list();
    const ids = models.data.map((m) => m.id);
    for (const id of [
      'openai/tts-1',
      'openai/whisper-1',
      'groq/whisper-large-v3',
      'deepgram/nova-3',
      'elevenlabs/eleven_v3',
    ])
      assert.ok(ids.includes(id), id);
  });
});
