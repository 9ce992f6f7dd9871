// Memory of the audio doors, measured on a `tokgate serve` process (so the test's own buffers do not count):
// a 25 MB upload and a long speech stream each raise the gateway's peak resident memory by less than twice
// the payload. The peak is the kernel's (test/support/rss.ts). Linux only, as the kernel interface is.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeAudio, makeWav, startFakeAudio } from '../fakes/audio.js';
import { type Replica, startReplica } from '../scale/support.js';
import { peakGrowth } from '../support/rss.js';

const ADMIN = 'sk-memory-admin-0123456789abcdefghij';
const MB = 1024 * 1024;

let fake: FakeAudio;
let gateway: Replica;

function upload(bytes: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('model', 'openai/whisper-1');
  form.append('file', new Blob([bytes], { type: 'audio/wav' }), 'long.wav');
  return fetch(`${gateway.url}/v1/audio/transcriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}` },
    body: form,
  });
}

async function speak(): Promise<number> {
  const res = await fetch(`${gateway.url}/v1/audio/speech`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openai/tts-1', input: 'A long read.', voice: 'alloy' }),
  });
  assert.equal(res.status, 200);
  let received = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) received += chunk.length;
  return received;
}

before(async () => {
  fake = await startFakeAudio();
  gateway = await startReplica('audio-memory', {
    TOKGATE_ADMIN_KEY: ADMIN,
    OPENAI_API_KEY: 'sk-upstream',
    OPENAI_BASE_URL: `${fake.url}/v1`,
    LOG_LEVEL: 'warn',
  });
  // Warm every path once (modules loaded, code compiled), so the measures are of the transfers.
  assert.equal((await upload(makeWav(1))).status, 200);
  fake.longSpeechBytes = 4 * MB;
  await speak();
});

after(async () => {
  await gateway?.stop();
  await fake?.close();
});

describe('audio memory (RSS of a tokgate serve process)', () => {
  test('a 25 MB upload raises the peak RSS by less than twice its size', async () => {
    const wav = makeWav(1562); // 24,992,044 bytes
    let status = 0;
    const growth = await peakGrowth(gateway.child.pid!, async () => {
      const res = await upload(wav);
      status = res.status;
      await res.text();
    });
    assert.equal(status, 200);
    assert.equal(fake.requests.at(-1)?.file?.size, wav.length, 'the whole file reached the upstream');
    console.log(
      `25 MB upload: peak RSS growth ${(growth / MB).toFixed(1)} MiB for ${(wav.length / MB).toFixed(1)} MiB`,
    );
    assert.ok(growth < 2 * wav.length, `peak RSS grew ${growth} bytes for a ${wav.length}-byte upload`);
  });

  test('a 48 MiB speech stream is relayed, not held: the peak RSS grows by less than 3/4 of its size', async () => {
    fake.longSpeechBytes = 48 * MB;
    let received = 0;
    const growth = await peakGrowth(gateway.child.pid!, async () => {
      received = await speak();
    });
    assert.equal(received, 48 * MB);
    console.log(`48 MiB speech stream: peak RSS growth ${(growth / MB).toFixed(1)} MiB`);
    assert.ok(growth < 2 * received, `peak RSS grew ${growth} bytes for a ${received}-byte stream`);
    // Held whole, the stream would take at least its full size; relayed, it takes the chunks in flight and
    // those the garbage collector has not yet freed (16 MiB measured).
    assert.ok(growth < received * 0.75, `peak RSS grew ${growth} bytes: the stream looks buffered`);
  });
});
