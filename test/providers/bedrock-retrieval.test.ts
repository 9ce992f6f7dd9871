// Embeddings and rerank on Amazon Bedrock through the gateway, with the official openai client (and plain
// HTTP for rerank): each model family's InvokeModel body exactly as Bedrock takes it (signed; the fake
// checks the signature), its answer read back into OpenAI's shape, tokens and prices in the ledger.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type OpenAI from 'openai';
import {
  type FakeBedrock,
  startFakeBedrock,
  TEST_ACCESS_KEY_ID,
  TEST_REGION,
  TEST_SECRET_ACCESS_KEY,
} from '../fakes/bedrock.js';
import { fakeRelevance, fakeTokens, fakeVector } from '../fakes/retrieval.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

let fake: FakeBedrock;
let gw: TestGateway;
let client: OpenAI;

before(async () => {
  fake = await startFakeBedrock();
  gw = await startTestGateway({
    AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY,
    AWS_REGION: TEST_REGION,
    BEDROCK_BASE_URL: fake.url,
  });
  client = gw.client(ADMIN_KEY);
});

after(async () => {
  await gw.close();
  await fake.close();
});

beforeEach(() => {
  fake.requests.length = 0;
});

const texts = ['the quick brown fox', 'jumps over the lazy dog', 'hello'];
const tokensOf = (list: readonly string[]) => list.reduce((n, t) => n + fakeTokens(t), 0);

async function rowOf(requestId: string) {
  await gw.gateway.ledger.flush();
  const row = await gw.gateway.store.getRequest(requestId);
  assert.ok(row);
  return row;
}

describe('Titan Text Embeddings', () => {
  test('one InvokeModel call per text, vectors in input order, tokens from the answers, priced', async () => {
    const { data: answer, response } = await client.embeddings
      .create({ model: 'bedrock/amazon.titan-embed-text-v2:0', input: texts, encoding_format: 'float' })
      .withResponse();
    assertMatchesSchema('CreateEmbeddingResponse', answer);
    assert.deepEqual(
      answer.data.map((d) => d.embedding),
      texts.map((t) => fakeVector(t, 1024)),
    );
    assert.equal(answer.usage.prompt_tokens, tokensOf(texts));
    assert.equal(fake.requests.length, 3);
    for (const request of fake.requests)
      assert.equal(request.path, `/model/${encodeURIComponent('amazon.titan-embed-text-v2:0')}/invoke`);
    assert.deepEqual(
      fake.requests.map((r) => r.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      texts
        .map((inputText) => ({ inputText, normalize: true }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    const row = await rowOf(response.headers.get('x-request-id')!);
    // $0.02 per million tokens.
    assert.equal(row.cost_micros, Math.round(tokensOf(texts) * 0.02));
    assert.equal(row.usage_source, 'provider');
  });

  test('dimensions 256/512/1024 go upstream; any other size is a 400 naming it, nothing sent', async () => {
    const small = await client.embeddings.create({
      model: 'bedrock/amazon.titan-embed-text-v2:0',
      input: 'hello',
      dimensions: 256,
    });
    // The SDK asked for base64 (its default): the gateway encoded Titan's floats.
    assert.deepEqual(small.data[0]!.embedding, fakeVector('hello', 256));
    assert.deepEqual(fake.requests[0]!.body, { inputText: 'hello', normalize: true, dimensions: 256 });
    fake.requests.length = 0;
    await assert.rejects(
      client.embeddings.create({
        model: 'bedrock/amazon.titan-embed-text-v2:0',
        input: 'hello',
        dimensions: 4,
      }),
      (error: { status?: number; param?: string }) => {
        assert.equal(error.status, 400);
        assert.equal(error.param, 'dimensions');
        return true;
      },
    );
    assert.equal(fake.requests.length, 0);
  });
});

describe('Cohere Embed on Bedrock', () => {
  test('one call for up to 96 texts, input_type search_document by default, tokens from the header', async () => {
    const answer = await client.embeddings.create({
      model: 'bedrock/cohere.embed-english-v3',
      input: texts,
      encoding_format: 'float',
    });
    assert.deepEqual(
      answer.data.map((d) => d.embedding),
      texts.map((t) => fakeVector(t, 1024)),
    );
    assert.equal(answer.usage.prompt_tokens, tokensOf(texts));
    assert.deepEqual(
      fake.requests.map((r) => r.body),
      [{ texts, input_type: 'search_document', embedding_types: ['float'] }],
    );
  });

  test("a client's own input_type is sent; 200 texts go as 96 + 96 + 8, merged in order", async () => {
    const many = Array.from({ length: 200 }, (_, i) => `text ${i}`);
    const res = await gw.call('/v1/embeddings', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'bedrock/cohere.embed-multilingual-v3', input: many, input_type: 'search_query' },
    });
    assert.equal(res.status, 200);
    const answer = await readJson(res);
    assert.deepEqual(
      answer.data.map((d: { embedding: number[] }) => d.embedding),
      many.map((t) => fakeVector(t, 1024)),
    );
    const sizes = fake.requests
      .map((r) => (r.body as { texts: string[] }).texts.length)
      .sort((a, b) => b - a);
    assert.deepEqual(sizes, [96, 96, 8]);
    for (const request of fake.requests)
      assert.equal((request.body as { input_type: string }).input_type, 'search_query');
  });
});

describe('Cohere Rerank on Bedrock', () => {
  test('api_version 2, results best first, billed per query of up to 100 documents', async () => {
    const query = 'brown fox';
    const documents = ['a lazy dog', 'the quick brown fox', 'a fox in the wild', 'nothing'];
    const res = await gw.call('/v1/rerank', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'bedrock/cohere.rerank-v3-5:0', query, documents, top_n: 2, return_documents: true },
    });
    assert.equal(res.status, 200);
    const json = await readJson(res);
    const expected = documents
      .map((text, index) => ({ index, relevance_score: fakeRelevance(query, text) }))
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, 2)
      .map((r) => ({ ...r, document: { text: documents[r.index] } }));
    assert.deepEqual(json.results, expected);
    assert.deepEqual(fake.requests[0]!.body, { query, documents, api_version: 2, top_n: 2 });
    assert.equal(json.usage.search_units, 1);
    assert.equal(json.usage.cost, 0.002);
    const row = await rowOf(res.headers.get('x-request-id')!);
    assert.equal(row.cost_micros, 2000);
  });

  test('an embedding model named at /v1/rerank is a 400 naming model, nothing sent', async () => {
    const res = await gw.call('/v1/rerank', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'bedrock/amazon.titan-embed-text-v2:0', query: 'q', documents: ['d'] },
    });
    assert.equal(res.status, 400);
    assert.equal((await readJson(res)).error.param, 'model');
    assert.equal(fake.requests.length, 0);
  });
});
