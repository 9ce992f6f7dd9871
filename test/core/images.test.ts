// An upload's head (the bytes that tell its type) is read from its chunks without joining them: a first
// chunk of a few bytes (a socket read that ended just after the part's headers) must not make the gateway
// copy the whole upload.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headOf } from '../../src/core/images.js';

test('the head of an upload is its first bytes, across chunks, and no more is copied', () => {
  const bytes = Buffer.from('\x89PNG\r\n\x1a\n\0\0\0\rIHDR and the rest of the image', 'latin1');
  const whole = { chunks: [bytes] };
  assert.deepEqual(headOf(whole, 12), bytes.subarray(0, 12));
  // Given from the first chunk itself when it holds the head.
  assert.equal(headOf(whole, 12).buffer, bytes.buffer);

  const large = Buffer.alloc(8 * 1024 * 1024, 7);
  const split = { chunks: [bytes.subarray(0, 3), bytes.subarray(3, 5), bytes.subarray(5), large] };
  const head = headOf(split, 12);
  assert.deepEqual(head, bytes.subarray(0, 12));
  // A copy of the head only: not the 8 MB chunk behind it.
  assert.ok(head.buffer.byteLength < 64 * 1024, `copied ${head.buffer.byteLength} bytes`);

  assert.deepEqual(headOf({ chunks: [Buffer.from('ab'), Buffer.from('c')] }, 12), Buffer.from('abc'));
  assert.deepEqual(headOf({ chunks: [] }, 12), Buffer.alloc(0));
});
