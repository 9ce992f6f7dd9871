// Reading OpenAI-shaped embeddings answers: a large in-order answer keeps its data as raw text (relayed as
// it came), anything else is parsed and put in input order; broken answers are invalid upstream responses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vectorsOf } from '../../src/core/embeddings.js';
import { GatewayError } from '../../src/core/errors.js';
import { readOpenAIEmbeddings } from '../../src/providers/retrieval-wire.js';

const vector = (seed: number) => Array.from({ length: 300 }, (_, i) => Math.fround(Math.sin(seed + i)));
const item = (index: number) => ({ object: 'embedding', index, embedding: vector(index) });
const answer = (items: unknown[]) =>
  JSON.stringify(
    {
      object: 'list',
      data: items,
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 9, total_tokens: 9 },
    },
    null,
    2, // OpenAI's own answers are pretty-printed
  );

test('a large answer in order keeps its data as the upstream wrote it', () => {
  const text = answer([item(0), item(1), item(2)]);
  const read = readOpenAIEmbeddings('openai', text, 3, 'float');
  assert.equal(read.vectors, undefined);
  assert.equal(read.raw?.encoding, 'float');
  assert.equal(read.raw?.data, JSON.stringify([item(0), item(1), item(2)], null, 2).replace(/\n/g, '\n  '));
  assert.equal(read.inputTokens, 9);
  assert.deepEqual(vectorsOf(read), [vector(0), vector(1), vector(2)]);
});

test('an answer out of order, or short, is parsed; out of order is put in input order', () => {
  const read = readOpenAIEmbeddings('openai', answer([item(1), item(0)]), 2, 'float');
  assert.equal(read.raw, undefined);
  assert.deepEqual(read.vectors, [vector(0), vector(1)]);
  assert.throws(
    () => readOpenAIEmbeddings('openai', answer([item(0)]), 2, 'float'),
    (error: unknown) => error instanceof GatewayError && error.code === 'upstream_invalid_response',
  );
});

test('a body that is not JSON is an invalid upstream response, raw or not', () => {
  const text = answer([item(0), item(1)]);
  for (const broken of [text.slice(0, -40), `${text.slice(0, 200)}}`, 'not json']) {
    assert.throws(
      () => readOpenAIEmbeddings('openai', broken, 2, 'float'),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_invalid_response',
    );
  }
});
