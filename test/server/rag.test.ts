// A retrieval-augmented setup as a new user builds it with the AI SDK 6 (the first AI SDK with `rerank`): the
// passages embedded with `embedMany`, the query with `embed`, the nearest passages by cosine similarity, and
// those reranked with `rerank` through the AI SDK's Cohere provider pointed at tokgate. Everything goes
// through tokgate on a prepaid account: embeddings on two providers (OpenAI, Voyage), rerank on two (Cohere,
// priced per search; Jina, per token), each request charged its `usage.cost` in the ledger.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCohere } from '@ai-sdk/cohere';
import { createOpenAI } from '@ai-sdk/openai';
import { cosineSimilarity, embed, embedMany, rerank } from 'ai-v6';
import { type FakeCohere, startFakeCohere } from '../fakes/cohere.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import {
  fakeRelevance,
  fakeRerankTokens,
  fakeSearchUnits,
  fakeTokens,
  fakeVector,
  JINA_RERANKER_YAML,
  retrievalEnv,
} from '../fakes/retrieval.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

let openai: FakeOpenAI;
let voyage: FakeOpenAI;
let jina: FakeOpenAI;
let cohere: FakeCohere;
let gw: TestGateway;

before(async () => {
  [openai, voyage, jina, cohere] = await Promise.all([
    startFakeOpenAI(),
    startFakeOpenAI({ retrieval: 'voyage' }),
    startFakeOpenAI({ retrieval: 'jina' }),
    startFakeCohere(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'tokgate-rag-'));
  const config = join(dir, 'tokgate.yaml');
  writeFileSync(config, JINA_RERANKER_YAML.join('\n'));
  gw = await startTestGateway({
    ...retrievalEnv({ openai: openai.url, voyage: voyage.url, jina: jina.url, cohere: cohere.url }),
    TOKGATE_CONFIG: config,
  });
});

after(async () => {
  await gw.close();
  await Promise.all([openai.close(), voyage.close(), jina.close(), cohere.close()]);
});

const passages = [
  'Paris is the capital and largest city of France.',
  'Berlin is the capital of Germany and its largest city.',
  'The Loire valley in France is known for its castles and wine.',
  'Madrid is the capital of Spain.',
  'France borders Belgium, Germany, Switzerland, Italy and Spain.',
  'Lyon is a French city known for its food.',
];
const question = 'What is the capital of France?';

/** The passages nearest the question, as a vector store would find them. */
function nearest(query: number[], vectors: number[][], k: number): number[] {
  return vectors
    .map((vector, index) => ({ index, similarity: cosineSimilarity(query, vector) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, k)
    .map((r) => r.index);
}

test('a RAG pipeline on the AI SDK 6: embedMany, embed, rerank, on two providers each, every request priced', async () => {
  const account = await gw.createAccount({ name: 'rag-app', credits_usd: 5 });
  const { key } = await gw.createKey({ account_id: account.id });
  // The user changes only the base URL and the key.
  const gateway = createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: key });
  const reranker = createCohere({ baseURL: `${gw.url}/v1`, apiKey: key });
  /** Each request's id, with its rerank's exact price where the test can know it. */
  const requests: Array<{ id: string; costMicros?: number }> = [];
  const remember = (headers: Record<string, string> | undefined, costMicros?: number) => {
    const id = headers?.['x-request-id'];
    assert.ok(id, 'every answer names its request');
    requests.push({ id, ...(costMicros === undefined ? {} : { costMicros }) });
  };

  for (const model of ['openai/text-embedding-3-small', 'voyage/voyage-3.5']) {
    const index = await embedMany({ model: gateway.embedding(model), values: passages });
    assert.deepEqual(
      index.embeddings,
      passages.map((p) => fakeVector(p).map((v) => Math.fround(v))),
    );
    assert.equal(
      index.usage.tokens,
      passages.reduce((n, p) => n + fakeTokens(p), 0),
    );
    remember(index.responses?.[0]?.headers);
    const query = await embed({ model: gateway.embedding(model), value: question });
    remember(query.response?.headers);
    const candidates = nearest(query.embedding, index.embeddings, 4);

    for (const rerankModel of ['cohere/rerank-v3.5', 'jina/jina-reranker-v2-base-multilingual']) {
      const documents = candidates.map((i) => passages[i]!);
      const ranked = await rerank({
        model: reranker.reranking(rerankModel),
        query: question,
        documents,
        topN: 2,
      });
      const expected = documents
        .map((text, index) => ({ index, score: fakeRelevance(question, text) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 2);
      assert.deepEqual(
        ranked.ranking.map((r) => ({ index: r.originalIndex, score: r.score })),
        expected,
      );
      assert.equal(ranked.rerankedDocuments[0], documents[expected[0]!.index]);
      // Cohere: $2 per 1,000 searches; Jina (declared above): $0.05 per million tokens.
      remember(
        ranked.response.headers,
        rerankModel.startsWith('cohere/')
          ? fakeSearchUnits(question, documents) * 2000
          : Math.round(fakeRerankTokens(question, documents) * 0.05),
      );
    }
  }

  // Per embedding provider: two embeddings requests and two reranks, each in the ledger, priced, on the
  // account that made it.
  assert.equal(requests.length, 8);
  await gw.gateway.ledger.flush();
  const catalog = await readJson(await gw.call('/admin/models', { key: ADMIN_KEY }));
  /** USD per million input tokens, as the catalog prices each model. */
  const inputPrice = new Map<string, number | undefined>(
    catalog.data.map((m: { id: string; price?: { input?: number } }) => [m.id, m.price?.input]),
  );
  let spent = 0;
  const providers = new Set<string>();
  for (const { id, costMicros } of requests) {
    const row = await gw.gateway.store.getRequest(id);
    assert.ok(row, `no ledger row for ${id}`);
    assert.equal(row.status, 'ok');
    assert.equal(row.account_id, account.id);
    assert.ok(row.cost_micros !== null, `${row.model} unpriced`);
    assert.equal(row.usage_source, 'provider');
    if (costMicros !== undefined) assert.equal(row.cost_micros, costMicros, row.model);
    else {
      // Embeddings: their tokens × the model's input price (a few tokens cost less than a micro-dollar).
      const price = inputPrice.get(row.model);
      assert.ok(price !== undefined && price > 0, `${row.model} has no input price`);
      const tokens = row.prompt_tokens ?? 0;
      assert.ok(tokens > 0);
      assert.equal(row.cost_micros, Math.round(tokens * price), row.model);
    }
    providers.add(row.provider ?? '');
    spent += row.cost_micros;
  }
  assert.deepEqual([...providers].sort(), ['cohere', 'jina', 'openai', 'voyage']);
  const shown = await readJson(await gw.call(`/admin/accounts/${account.id}`, { key: ADMIN_KEY }));
  assert.equal(Math.round(shown.spend_usd * 1e6), spent);
});
