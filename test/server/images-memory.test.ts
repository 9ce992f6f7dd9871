// Memory of the image upload doors, measured on a `tokgate serve` process (test/support/rss.ts: the kernel's
// peak resident size, so the test's own buffers do not count): a 24 MB image edit raises the gateway's peak
// RSS by less than twice the upload (asserted: 1.5 times), as the audio uploads do
// (test/server/audio-memory.test.ts). The upload is held as the chunks it arrived in and sent upstream from
// them, never joined into one copy.
// Linux only, as the kernel interface is.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type FakeImages, startFakeImages, tinyPng } from '../fakes/images.js';
import { type Replica, startReplica } from '../scale/support.js';
import { collectGarbage, GC_ON_SIGNAL, peakGrowth } from '../support/rss.js';

const ADMIN = 'sk-memory-admin-0123456789abcdefghij';
const MB = 1024 * 1024;

let fake: FakeImages;
let gateway: Replica;

/** A PNG of about `bytes` bytes: a real 1×1 image, then filler the gateway passes on untouched. */
function largePng(bytes: number): Buffer {
  const png = tinyPng(1, 2, 3);
  const filler = Buffer.alloc(bytes - png.length);
  for (let i = 0; i < filler.length; i += 4096) filler[i] = i & 0xff;
  return Buffer.concat([png, filler]);
}

function edit(image: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('model', 'openai/gpt-image-1');
  form.append('prompt', 'make it brighter');
  form.append('image', new Blob([image], { type: 'image/png' }), 'large.png');
  return fetch(`${gateway.url}/v1/images/edits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}` },
    body: form,
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

before(async () => {
  fake = await startFakeImages('openai');
  gateway = await startReplica('images-memory', {
    TOKGATE_ADMIN_KEY: ADMIN,
    OPENAI_API_KEY: 'up',
    OPENAI_BASE_URL: `${fake.url}/v1`,
    LOG_LEVEL: 'warn',
    NODE_OPTIONS: GC_ON_SIGNAL,
  });
  // Warm the path once (modules loaded, code compiled), so the measure is of the transfer.
  const warm = await edit(largePng(64 * 1024));
  assert.equal(warm.status, 200, await warm.text());
  fake.requests.splice(0);
});

after(async () => {
  await gateway?.stop();
  await fake?.close();
});

describe('image upload memory (RSS of a tokgate serve process)', () => {
  test('a 24 MB image edit raises the peak RSS by less than twice its size', async () => {
    const image = largePng(24 * 1000 * 1000);
    const send = async (bytes = image) => {
      const res = await edit(bytes);
      assert.equal(res.status, 200, await res.text());
      const received = fake.requests.at(-1)?.form?.files[0]?.bytes;
      assert.equal(received?.length, bytes.length, 'the whole image reached the upstream');
      assert.equal(sha256(received!), sha256(bytes), 'byte for byte');
      fake.requests.splice(0);
    };
    // The first large transfer grows the allocator's arenas once (37 MiB measured for this edit, where the
    // next took 23): an unmeasured 8 MB edit first, so the measure is of an edit more than of that growth.
    await send(largePng(8 * 1000 * 1000));
    // That edit's chunks are garbage by now, but Node 20's V8 may not have collected them (it does not weigh
    // Buffers' memory in its limits): whether it had made the measure swing by 30 MiB (14–53 MiB, the peak
    // itself steady). Collected first, the measure is of this edit alone.
    await collectGarbage(gateway);
    const growth = await peakGrowth(gateway.child.pid!, () => send());
    console.log(
      `24 MB image edit: peak RSS growth ${(growth / MB).toFixed(1)} MiB for ${(image.length / MB).toFixed(1)} MiB`,
    );
    // Held as its chunks, an edit takes about its size (23 MiB measured); with a copy of the chunks joined,
    // 33–40 MiB (memory the warm-up freed is reused, so not always twice). The bound is twice the
    // payload; 1.5 times is asserted too, so that a copy of the upload shows.
    assert.ok(growth < 2 * image.length, `peak RSS grew ${growth} bytes for a ${image.length}-byte upload`);
    assert.ok(growth < 1.5 * image.length, `peak RSS grew ${growth} bytes: the upload looks copied`);
  });
});
