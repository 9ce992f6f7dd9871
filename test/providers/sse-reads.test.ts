// Server-sent events read from UTF-8 bytes as they arrive (providers/sse.ts): ASCII reads take the fast
// path, and characters cut between reads, or text after them, come out whole, as TextDecoder gives them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSseEvents } from '../../src/providers/sse.js';

async function eventsOf(reads: Uint8Array[]): Promise<string[]> {
  async function* body() {
    for (const read of reads) yield read;
  }
  const out: string[] = [];
  for await (const batch of readSseEvents(body())) for (const event of batch) out.push(event.data);
  return out;
}

/** The stream cut into reads at every given byte offset. */
function cut(text: string, at: number[]): Uint8Array[] {
  const bytes = Buffer.from(text);
  const edges = [0, ...at, bytes.length];
  return edges.slice(1).map((end, i) => new Uint8Array(bytes.subarray(edges[i], end)));
}

describe('SSE reads', () => {
  const texts = ['plain ascii', 'é and ü', '😀 four bytes', '中文 three', 'ascii after 😀'];
  const stream = texts.map((t) => `data: ${JSON.stringify({ t })}\n\n`).join('');
  const expected = texts.map((t) => JSON.stringify({ t }));

  it('gives the same events however the bytes are cut into reads', async () => {
    const length = Buffer.byteLength(stream);
    assert.deepEqual(await eventsOf([Buffer.from(stream)]), expected);
    for (let i = 1; i < length; i++)
      assert.deepEqual(await eventsOf(cut(stream, [i])), expected, `cut at ${i}`);
    for (let i = 1; i + 1 < length; i += 3)
      assert.deepEqual(await eventsOf(cut(stream, [i, i + 1])), expected, `cut at ${i} and ${i + 1}`);
  });

  it('turns a character cut off by an ASCII read into U+FFFD, as TextDecoder does', async () => {
    const bytes = Buffer.from('data: x😀\n\n');
    const broken = [bytes.subarray(0, 8), Buffer.from('y\n\n')];
    assert.deepEqual(await eventsOf(broken), ['x\uFFFDy']);
  });
});
