// The contract suite of the retrieval doors: the official openai client (and plain HTTP for rerank) talks
// to the gateway, the gateway to each provider's fake upstream in that provider's wire format. Same
// questions and answers whoever serves them; what each upstream received is asserted too.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeAzure } from '../fakes/azure.js';
import { startFakeCohere } from '../fakes/cohere.js';
import { startFakeGoogle } from '../fakes/google.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import { fakeRelevance, fakeSearchUnits, fakeTokens, fakeVector } from '../fakes/retrieval.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

interface Fake {
  url: string;
  requests: Array<{ path: string; body: unknown }>;
  faults: Array<{ kind: string; [field: string]: unknown }>;
  close(): Promise<void>;
}

interface RetrievalCase {
  name: string;
  start(): Promise<Fake>;
  env(url: string): Record<string, string>;
  /** YAML providers the case needs (a self-hosted server). */
  yaml?: (url: string) => string[];
  embed: string;
  /** The embeddings path the upstream is called on, for these inputs. */
  embedPath: (inputs: number) => string;
  /** Exactly what the upstream receives for `texts` with `dimensions`, as the gateway sends it. */
  embedBody: (texts: string[], dimensions?: number) => unknown;
  /** Inputs one upstream call takes, where the gateway has to split a 2048-input request. */
  batch?: number;
  /** Whether the upstream reports tokens (else the gateway's tokenizer counts them). */
  reportsTokens: boolean;
  rerank?: {
    model: string;
    path: string;
    body: (query: string, documents: string[], topN: number) => unknown;
  };
}

const cases: RetrievalCase[] = [
  {
    name: 'openai',
    start: () => startFakeOpenAI() as Promise<Fake>,
    env: (url) => ({ OPENAI_API_KEY: 'up', OPENAI_BASE_URL: url }),
    embed: 'openai/text-embedding-3-small',
    embedPath: () => '/v1/embeddings',
    embedBody: (texts, dimensions) => ({
      model: 'text-embedding-3-small',
      input: texts,
      encoding_format: 'float',
      ...(dimensions ? { dimensions } : {}),
    }),
    reportsTokens: true,
  },
  {
    name: 'azure',
    start: () =>
      startFakeAzure({
        deployments: { 'text-embedding-3-small': 'text-embedding-3-small' },
      }) as Promise<Fake>,
    env: (url) => ({ AZURE_OPENAI_API_KEY: 'up', AZURE_OPENAI_ENDPOINT: url }),
    embed: 'azure/text-embedding-3-small',
    embedPath: () => '/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21',
    embedBody: (texts, dimensions) => ({
      model: 'text-embedding-3-small',
      input: texts,
      encoding_format: 'float',
      ...(dimensions ? { dimensions } : {}),
    }),
    reportsTokens: true,
  },
  {
    name: 'google',
    start: () => startFakeGoogle() as Promise<Fake>,
    env: (url) => ({ GEMINI_API_KEY: 'up', GEMINI_BASE_URL: url }),
    embed: 'google/gemini-embedding-001',
    embedPath: (inputs) =>
      `/v1beta/models/gemini-embedding-001:${inputs === 1 ? 'embedContent' : 'batchEmbedContents'}`,
    embedBody: (texts, dimensions) => {
      const options = dimensions ? { outputDimensionality: dimensions } : {};
      return texts.length === 1
        ? { content: { parts: [{ text: texts[0] }] }, ...options }
        : {
            requests: texts.map((text) => ({
              model: 'models/gemini-embedding-001',
              content: { parts: [{ text }] },
              ...options,
            })),
          };
    },
    batch: 100,
    reportsTokens: false,
  },
  {
    name: 'cohere',
    start: () => startFakeCohere() as Promise<Fake>,
    env: (url) => ({ COHERE_API_KEY: 'up', COHERE_BASE_URL: url }),
    embed: 'cohere/embed-v4.0',
    embedPath: () => '/v2/embed',
    embedBody: (texts, dimensions) => ({
      model: 'embed-v4.0',
      texts,
      input_type: 'search_document',
      embedding_types: ['float'],
      ...(dimensions ? { output_dimension: dimensions } : {}),
    }),
    batch: 96,
    reportsTokens: true,
    rerank: {
      model: 'cohere/rerank-v3.5',
      path: '/v2/rerank',
      body: (query, documents, topN) => ({ model: 'rerank-v3.5', query, documents, top_n: topN }),
    },
  },
  {
    name: 'voyage',
    start: () => startFakeOpenAI({ retrieval: 'voyage' }) as Promise<Fake>,
    env: (url) => ({ VOYAGE_API_KEY: 'up', VOYAGE_BASE_URL: url }),
    embed: 'voyage/voyage-3.5',
    embedPath: () => '/v1/embeddings',
    embedBody: (texts, dimensions) => ({
      model: 'voyage-3.5',
      input: texts,
      ...(dimensions ? { output_dimension: dimensions } : {}),
    }),
    batch: 1000,
    reportsTokens: true,
    rerank: {
      model: 'voyage/rerank-2.5',
      path: '/v1/rerank',
      body: (query, documents, topN) => ({ model: 'rerank-2.5', query, documents, top_k: topN }),
    },
  },
  {
    name: 'jina',
    start: () => startFakeOpenAI({ retrieval: 'jina' }) as Promise<Fake>,
    env: (url) => ({ JINA_API_KEY: 'up', JINA_BASE_URL: url }),
    // Jina's models are not built in (no price per token on its pages): declared and priced as a user would.
    yaml: () => [
      'models:',
      '  jina/jina-embeddings-v3:',
      '    kind: embedding',
      '    price: { input: 0.05, output: 0 }',
      '  jina/jina-reranker-v2-base-multilingual:',
      '    kind: rerank',
      '    price: { input: 0.05, output: 0 }',
    ],
    embed: 'jina/jina-embeddings-v3',
    embedPath: () => '/v1/embeddings',
    embedBody: (texts, dimensions) => ({
      model: 'jina-embeddings-v3',
      input: texts,
      ...(dimensions ? { dimensions } : {}),
    }),
    reportsTokens: true,
    rerank: {
      model: 'jina/jina-reranker-v2-base-multilingual',
      path: '/v1/rerank',
      body: (query, documents, topN) => ({
        model: 'jina-reranker-v2-base-multilingual',
        query,
        documents,
        top_n: topN,
      }),
    },
  },
  {
    // A vLLM (or Infinity) server from the YAML config: OpenAI's /embeddings, Jina's /rerank.
    name: 'vllm (YAML)',
    start: () => startFakeOpenAI({ retrieval: 'jina' }) as Promise<Fake>,
    env: () => ({}),
    yaml: (url) => [
      'providers:',
      '  my-vllm:',
      `    base_url: ${url}`,
      '    api_key: vllm-local',
      '    rerank: true',
      '    embedding_batch: 64',
      'models:',
      '  my-vllm/bge-m3:',
      '    kind: embedding',
      '    price: { input: 0.01, output: 0 }',
      '  my-vllm/bge-reranker-v2-m3:',
      '    kind: rerank',
      '    price: { input: 0.01, output: 0 }',
    ],
    embed: 'my-vllm/bge-m3',
    embedPath: () => '/v1/embeddings',
    embedBody: (texts, dimensions) => ({
      model: 'bge-m3',
      input: texts,
      ...(dimensions ? { dimensions } : {}),
    }),
    batch: 64,
    reportsTokens: true,
    rerank: {
      model: 'my-vllm/bge-reranker-v2-m3',
      path: '/v1/rerank',
      body: (query, documents, topN) => ({ model: 'bge-reranker-v2-m3', query, documents, top_n: topN }),
    },
  },
];

const texts = ['the quick brown fox', 'jumps over the lazy dog', 'hello'];

for (const c of cases) {
  describe(`retrieval contract: ${c.name}`, () => {
    let fake: Fake;
    let gw: TestGateway;
    let client: OpenAI;

    before(async () => {
      fake = await c.start();
      const env = c.env(`${fake.url}`);
      if (c.yaml) {
        const dir = mkdtempSync(join(tmpdir(), 'tokgate-retrieval-'));
        const path = join(dir, 'tokgate.yaml');
        writeFileSync(path, c.yaml(fake.url).join('\n'));
        env.TOKGATE_CONFIG = path;
      }
      gw = await startTestGateway(env);
      client = gw.client(ADMIN_KEY);
    });
    after(async () => {
      await gw.close();
      await fake.close();
    });

    const take = () => fake.requests.splice(0);

    test('embeddings: floats in input order, the model echoed, exactly the wire request upstream', async () => {
      take();
      const answer = await client.embeddings.create({
        model: c.embed,
        input: texts,
        encoding_format: 'float',
      });
      assertMatchesSchema('CreateEmbeddingResponse', answer);
      assert.equal(answer.model, c.embed);
      assert.deepEqual(
        answer.data.map((d) => d.embedding),
        texts.map((t) => fakeVector(t)),
      );
      if (c.reportsTokens) {
        assert.equal(
          answer.usage.prompt_tokens,
          texts.reduce((n, t) => n + fakeTokens(t), 0),
        );
      } else assert.ok(answer.usage.prompt_tokens > 0, 'counted by the gateway');
      const sent = take();
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.path, c.embedPath(texts.length));
      assert.deepEqual(sent[0]!.body, c.embedBody(texts));
    });

    test('embeddings: base64 (the SDK’s default) decodes to the same numbers; dimensions', async () => {
      const decoded = await client.embeddings.create({ model: c.embed, input: ['hello'], dimensions: 4 });
      assert.deepEqual(decoded.data[0]!.embedding, fakeVector('hello', 4));
      const sent = take();
      assert.equal(sent[0]!.path, c.embedPath(1));
      const expected = c.embedBody(['hello'], 4) as Record<string, unknown>;
      // Only OpenAI's own format is asked for base64; the others send floats the gateway encodes.
      if (expected.encoding_format) expected.encoding_format = 'base64';
      assert.deepEqual(sent[0]!.body, expected);
    });

    if (c.batch !== undefined) {
      test(`embeddings: a request over the upstream's ${c.batch}-input limit is split and merged in order`, async () => {
        const many = Array.from({ length: c.batch! * 2 + 3 }, (_, i) => `text ${i}`);
        const answer = await client.embeddings.create({
          model: c.embed,
          input: many,
          encoding_format: 'float',
        });
        assert.deepEqual(
          answer.data.map((d) => d.embedding),
          many.map((t) => fakeVector(t)),
        );
        const sent = take();
        assert.equal(sent.length, 3);
      });
    }

    test('embeddings: upstream failures are OpenAI-shaped with the right status', async () => {
      fake.faults.push({ kind: 'status', status: 500 });
      await assert.rejects(client.embeddings.create({ model: c.embed, input: 'x' }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 502);
        return true;
      });
      fake.faults.push({ kind: 'status', status: 429 });
      await assert.rejects(client.embeddings.create({ model: c.embed, input: 'x' }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.RateLimitError);
        return true;
      });
      take();
    });

    if (c.rerank) {
      const { rerank } = c;
      test('rerank: sorted best first, top_n, documents as {text}, exactly the wire request upstream', async () => {
        const query = 'brown fox';
        const documents = ['a lazy dog', 'the quick brown fox', 'a fox in the wild', 'nothing'];
        const res = await gw.call('/v1/rerank', {
          method: 'POST',
          key: ADMIN_KEY,
          json: { model: rerank.model, query, documents, top_n: 2, return_documents: true },
        });
        assert.equal(res.status, 200);
        const json = await readJson(res);
        assert.equal(json.model, rerank.model);
        const expected = documents
          .map((text, index) => ({ index, relevance_score: fakeRelevance(query, text) }))
          .sort((a, b) => b.relevance_score - a.relevance_score)
          .slice(0, 2)
          .map((r) => ({ ...r, document: { text: documents[r.index] } }));
        assert.deepEqual(json.results, expected);
        assert.ok(json.usage.total_tokens > 0);
        if (c.name === 'cohere') {
          // Billed per search: $2 per 1,000 searches, whatever the tokens.
          const units = fakeSearchUnits(query, documents);
          assert.equal(json.usage.search_units, units);
          assert.deepEqual(json.meta, { billed_units: { search_units: units } });
          assert.equal(json.usage.cost, units * 0.002);
          await gw.gateway.ledger.flush();
          const row = await gw.gateway.store.getRequest(res.headers.get('x-request-id')!);
          assert.equal(row?.cost_micros, units * 2000);
          assert.equal(row?.usage_source, 'provider');
        }
        const sent = take();
        assert.equal(sent[0]!.path, rerank.path);
        assert.deepEqual(sent[0]!.body, rerank.body(query, documents, 2));
      });

      test('rerank: an upstream failure is OpenAI-shaped', async () => {
        fake.faults.push({ kind: 'status', status: 503 });
        const res = await gw.call('/v1/rerank', {
          method: 'POST',
          key: ADMIN_KEY,
          json: { model: rerank.model, query: 'q', documents: ['d'] },
        });
        assert.equal(res.status, 503);
        const { error } = await readJson(res);
        assert.equal(typeof error.message, 'string');
        assert.equal(typeof error.type, 'string');
        take();
      });
    } else {
      test('rerank: a provider without rerank is a 400 naming model, nothing sent', async () => {
        const res = await gw.call('/v1/rerank', {
          method: 'POST',
          key: ADMIN_KEY,
          json: { model: c.embed, query: 'q', documents: ['d'] },
        });
        assert.equal(res.status, 400);
        assert.equal((await readJson(res)).error.param, 'model');
        assert.equal(take().length, 0);
      });
    }
  });
}
