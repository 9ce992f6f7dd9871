// POST /v1/embeddings and POST /v1/rerank through real clients (the openai SDK, the AI SDK) and plain HTTP,
// against fake OpenAI, Voyage and Jina upstreams: the answers, exactly what each upstream received, money
// and the ledger row, key allow-lists, idempotency, routes with fallbacks, and bad input refused before
// anything goes upstream.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { OpenAIEmbeddings } from '@langchain/openai';
import { embed, embedMany } from 'ai';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import {
  fakeRelevance,
  fakeRerankTokens,
  fakeTokens,
  fakeVector,
  JINA_RERANKER_YAML,
  retrievalEnv,
} from '../fakes/retrieval.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

let openai: FakeOpenAI;
let voyage: FakeOpenAI;
let jina: FakeOpenAI;
let gw: TestGateway;

function configFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokgate-embeddings-'));
  const path = join(dir, 'tokgate.yaml');
  writeFileSync(
    path,
    [
      'routes:',
      '  search-embed:',
      '    deployments: [openai/text-embedding-3-small, voyage/voyage-3.5]',
      ...JINA_RERANKER_YAML,
    ].join('\n'),
  );
  return path;
}

before(async () => {
  openai = await startFakeOpenAI();
  voyage = await startFakeOpenAI({ retrieval: 'voyage' });
  jina = await startFakeOpenAI({ retrieval: 'jina' });
  gw = await startTestGateway({
    ...retrievalEnv({ openai: openai.url, voyage: voyage.url, jina: jina.url }),
    TOKGATE_CONFIG: configFile(),
  });
});

after(async () => {
  await gw.close();
  await Promise.all([openai.close(), voyage.close(), jina.close()]);
});

beforeEach(() => {
  for (const fake of [openai, voyage, jina]) {
    fake.requests.length = 0;
    fake.faults.length = 0;
  }
});

const SMALL = 'openai/text-embedding-3-small';
const texts = ['the quick brown fox', 'jumps over', 'the lazy dog today'];
const float32 = (vector: readonly number[]) => vector.map((v) => Math.fround(v));

async function ledgerRow(requestId: string) {
  await gw.gateway.ledger.flush();
  const row = await gw.gateway.store.getRequest(requestId);
  assert.ok(row, `no ledger row for ${requestId}`);
  return row;
}

describe('POST /v1/embeddings', () => {
  test('the openai SDK: float and base64 (its default) give the same numbers; the answer is OpenAI’s', async () => {
    const client = gw.client(ADMIN_KEY);
    const floats = await client.embeddings.create({ model: SMALL, input: texts, encoding_format: 'float' });
    assertMatchesSchema('CreateEmbeddingResponse', floats);
    assert.equal(floats.model, SMALL, 'the model is echoed as requested');
    assert.deepEqual(
      floats.data.map((d) => d.index),
      [0, 1, 2],
    );
    assert.deepEqual(
      floats.data.map((d) => d.embedding),
      texts.map((t) => fakeVector(t)),
    );
    const tokens = texts.reduce((n, t) => n + fakeTokens(t), 0);
    assert.equal(floats.usage.prompt_tokens, tokens);
    assert.equal(floats.usage.total_tokens, tokens);
    // $0.02 per million tokens.
    assert.equal((floats.usage as unknown as { cost: number }).cost, Math.round(tokens * 0.02) / 1e6);

    const decoded = await client.embeddings.create({ model: SMALL, input: texts });
    assert.deepEqual(
      decoded.data.map((d) => d.embedding),
      floats.data.map((d) => d.embedding),
    );
    // OpenAI makes base64 itself: the gateway passes the SDK's choice on.
    assert.deepEqual(
      openai.requests.map((r) => r.body),
      [
        { model: 'text-embedding-3-small', input: texts, encoding_format: 'float' },
        { model: 'text-embedding-3-small', input: texts, encoding_format: 'base64' },
      ],
    );
    assert.equal(openai.requests[0]!.path, '/v1/embeddings');
    assert.equal(openai.requests[0]!.headers.authorization, 'Bearer sk-upstream');
  });

  test('large answers (relayed as the upstream wrote them) read the same, float and base64', async () => {
    const client = gw.client(ADMIN_KEY);
    const floats = await client.embeddings.create({
      model: SMALL,
      input: texts,
      dimensions: 512,
      encoding_format: 'float',
    });
    assertMatchesSchema('CreateEmbeddingResponse', floats);
    assert.equal(floats.model, SMALL);
    const base64 = await client.embeddings.create({ model: SMALL, input: texts, dimensions: 512 });
    for (const answer of [floats, base64]) {
      assert.deepEqual(
        answer.data.map((d) => d.embedding),
        texts.map((t) => fakeVector(t, 512)),
      );
    }
  });

  test('an answer read in pieces is relayed from its pieces: the same numbers, its length and headers', async () => {
    openai.options.answerWrites = 7;
    try {
      for (const encoding_format of ['float', 'base64'] as const) {
        const res = await fetch(`${gw.url}/v1/embeddings`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${ADMIN_KEY}`,
            'content-type': 'application/json',
            'x-client-request-id': 'pieces-1',
          },
          body: JSON.stringify({ model: SMALL, input: texts, dimensions: 512, encoding_format }),
        });
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(text)));
        assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
        assert.match(res.headers.get('x-request-id') ?? '', /\S/);
        assert.equal(res.headers.get('x-client-request-id'), 'pieces-1');
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.match(res.headers.get('x-tokgate-cost') ?? '', /^\d/);
        const answer = JSON.parse(text) as OpenAI.CreateEmbeddingResponse;
        // OpenAI's schema knows the float form only.
        if (encoding_format === 'float') assertMatchesSchema('CreateEmbeddingResponse', answer);
        assert.equal(answer.model, SMALL);
        const vectors = answer.data.map((d) =>
          typeof d.embedding === 'string'
            ? Array.from(new Float32Array(new Uint8Array(Buffer.from(d.embedding, 'base64')).buffer))
            : d.embedding,
        );
        assert.deepEqual(
          vectors.map((v) => float32(v)),
          texts.map((t) => float32(fakeVector(t, 512))),
        );
      }
      assert.equal(openai.requests.length, 2);
    } finally {
      delete openai.options.answerWrites;
    }
  });

  test('one string, token arrays, dimensions and user go upstream as sent', async () => {
    const client = gw.client(ADMIN_KEY);
    const one = await client.embeddings.create({
      model: SMALL,
      input: 'hello world',
      encoding_format: 'float',
      dimensions: 4,
      user: 'u-1',
    });
    assert.deepEqual(one.data[0]!.embedding, fakeVector('hello world', 4));
    const tokenArrays = await client.embeddings.create({
      model: SMALL,
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      encoding_format: 'float',
    });
    assert.deepEqual(
      tokenArrays.data.map((d) => d.embedding),
      [fakeVector([1, 2, 3]), fakeVector([4, 5])],
    );
    assert.equal(tokenArrays.usage.prompt_tokens, 5);
    assert.deepEqual(openai.requests[0]!.body, {
      model: 'text-embedding-3-small',
      input: ['hello world'],
      encoding_format: 'float',
      dimensions: 4,
      user: 'u-1',
    });
    assert.deepEqual((openai.requests[1]!.body as { input: unknown }).input, [
      [1, 2, 3],
      [4, 5],
    ]);
  });

  test('inputs over 2 KB go upstream as the client wrote them; inputs the gateway reshapes are serialised', async () => {
    // Escapes JSON.stringify would write otherwise (\u00e9 → é, \/ → /): the upstream gets the client's text.
    const passages = Array.from(
      { length: 12 },
      (_, i) => `Caf\\u00e9 \\/ passage ${i}: ${'word '.repeat(40)}`,
    );
    const inputText = `[ ${passages.map((p) => `"${p}"`).join(', ')} ]`;
    const body = `{"model":"${SMALL}","input":${inputText},"encoding_format":"float"}`;
    assert.ok(body.length > 2048);
    const res = await gw.call('/v1/embeddings', {
      method: 'POST',
      key: ADMIN_KEY,
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(res.status, 200);
    const inputs = JSON.parse(inputText) as string[];
    const json = await readJson(res);
    assert.deepEqual(
      json.data.map((d: { embedding: number[] }) => d.embedding),
      inputs.map((text) => fakeVector(text)),
    );
    const sent = openai.requests[0]!;
    assert.ok(sent.raw?.includes(`"input":${inputText}`), sent.raw);
    assert.deepEqual(sent.body, { model: 'text-embedding-3-small', input: inputs, encoding_format: 'float' });

    // One long string becomes a list of one: sent as the gateway serialises it.
    const long = `Caf\\u00e9 ${'word '.repeat(500)}`;
    await gw.call('/v1/embeddings', {
      method: 'POST',
      key: ADMIN_KEY,
      headers: { 'content-type': 'application/json' },
      body: `{"model":"${SMALL}","input":"${long}","encoding_format":"float"}`,
    });
    assert.deepEqual((openai.requests[1]!.body as { input: unknown }).input, [JSON.parse(`"${long}"`)]);
    assert.ok(openai.requests[1]!.raw?.includes('"input":["Café '));
  });

  test('the AI SDK: embed and embedMany with createOpenAI().embedding()', async () => {
    const provider = createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY });
    const model = provider.embedding(SMALL);
    const { embedding, usage } = await embed({ model, value: 'sunny day at the beach', maxRetries: 0 });
    assert.deepEqual(embedding, fakeVector('sunny day at the beach'));
    assert.equal(usage.tokens, 5);
    const many = await embedMany({ model, values: texts, maxRetries: 0 });
    assert.deepEqual(
      many.embeddings,
      texts.map((t) => fakeVector(t)),
    );
  });

  test("LangChain's OpenAIEmbeddings: embedDocuments and embedQuery, on OpenAI and on Voyage", async () => {
    for (const model of [SMALL, 'voyage/voyage-3.5']) {
      const embeddings = new OpenAIEmbeddings({
        model,
        apiKey: ADMIN_KEY,
        configuration: { baseURL: `${gw.url}/v1` },
        maxRetries: 0,
      });
      const documents = await embeddings.embedDocuments(texts);
      assert.deepEqual(
        documents,
        texts.map((t) => fakeVector(t)),
        model,
      );
      assert.deepEqual(await embeddings.embedQuery('sunny day'), fakeVector('sunny day'), model);
    }
  });

  test('Voyage: base64 made by the gateway, dimensions renamed, inputs over its batch limit split in order', async () => {
    const client = gw.client(ADMIN_KEY);
    const inputs = Array.from({ length: 1500 }, (_, i) => `document number ${i}`);
    const answer = await client.embeddings.create({
      model: 'voyage/voyage-3.5',
      input: inputs,
      dimensions: 4,
    });
    assert.equal(answer.data.length, 1500);
    answer.data.forEach((d, i) => {
      assert.equal(d.index, i);
      assert.deepEqual(d.embedding, float32(fakeVector(inputs[i]!, 4)));
    });
    assert.equal(answer.usage.prompt_tokens, 1500 * 3);
    assert.equal(voyage.requests.length, 2);
    const sent = voyage.requests.map((r) => r.body as Record<string, unknown>);
    assert.deepEqual(
      sent.map((b) => (b.input as string[]).length),
      [1000, 500],
    );
    assert.deepEqual((sent[1]!.input as string[])[0], 'document number 1000');
    for (const body of sent) {
      assert.equal(body.output_dimension, 4);
      assert.equal(body.dimensions, undefined);
      assert.equal(body.encoding_format, undefined, 'Voyage is asked for floats');
    }
  });

  test('token arrays on a provider that takes text only: 400 naming input', async () => {
    const res = await gw.call('/v1/embeddings', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'voyage/voyage-3.5', input: [[1, 2]] },
    });
    assert.equal(res.status, 400);
    const { error } = await readJson(res);
    assert.equal(error.param, 'input');
    assert.equal(voyage.requests.length, 0);
  });

  test('bad input is refused with OpenAI’s error shape and nothing goes upstream', async () => {
    const cases: Array<[unknown, number, string | null]> = [
      [{ model: SMALL }, 400, 'input'],
      [{ model: SMALL, input: [] }, 400, 'input'],
      [{ model: SMALL, input: '' }, 400, 'input'],
      [{ model: SMALL, input: [1, -2] }, 400, 'input'],
      [{ model: SMALL, input: ['a', 2] }, 400, 'input[1]'],
      [{ model: SMALL, input: Array.from({ length: 2049 }, () => 'x') }, 400, 'input'],
      [{ input: 'x' }, 400, 'model'],
      [{ model: SMALL, input: 'x', encoding_format: 'int8' }, 400, 'encoding_format'],
      [{ model: SMALL, input: 'x', dimensions: 0 }, 400, 'dimensions'],
      [{ model: 'openai/gpt-4o', input: 'x' }, 400, 'model'],
      [{ model: 'nope/thing', input: 'x' }, 404, 'model'],
    ];
    for (const [body, status, param] of cases) {
      const res = await gw.call('/v1/embeddings', { method: 'POST', key: ADMIN_KEY, json: body });
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
      const json = await readJson(res);
      assert.equal(typeof json.error.message, 'string');
      assert.equal(json.error.param, param, JSON.stringify(body).slice(0, 80));
    }
    const chat = await readJson(
      await gw.call('/v1/embeddings', {
        method: 'POST',
        key: ADMIN_KEY,
        json: { model: 'openai/gpt-4o', input: 'x' },
      }),
    );
    assert.match(chat.error.message, /is a chat model, not an embedding model/);
    assert.equal(openai.requests.length, 0);
  });

  test('an embedding model on chat completions is a 400 naming model', async () => {
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: SMALL, messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(res.status, 400);
    const { error } = await readJson(res);
    assert.equal(error.param, 'model');
    assert.match(error.message, /use it with \/v1\/embeddings/);
  });

  test('upstream failures: a route falls back; a lone deployment’s error is OpenAI-shaped with its status', async () => {
    openai.faults.push({ kind: 'status', status: 503 });
    const res = await gw.call('/v1/embeddings', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'search-embed', input: ['a b'], encoding_format: 'float' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-tokgate-deployment'), 'voyage/voyage-3.5');
    assert.equal(res.headers.get('x-tokgate-attempts'), '2');
    const json = await readJson(res);
    assert.equal(json.model, 'search-embed');
    assert.deepEqual(json.data[0].embedding, fakeVector('a b'));

    openai.faults.push({ kind: 'invalid-json' });
    const broken = await gw.call('/v1/embeddings', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: SMALL, input: 'x' },
    });
    assert.equal(broken.status, 502);
    assert.equal((await readJson(broken)).error.type, 'upstream_error');
    openai.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const limited = await gw.call('/v1/embeddings', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: SMALL, input: 'x' },
    });
    assert.equal(limited.status, 429);
  });
});

describe('POST /v1/rerank', () => {
  const query = 'capital of france';
  const documents = ['Paris is the capital of France.', 'Berlin is in Germany.', 'France has wine.'];
  const ranked = documents
    .map((text, index) => ({ index, relevance_score: fakeRelevance(query, text) }))
    .sort((a, b) => b.relevance_score - a.relevance_score);

  test('Jina: sorted by score, top_n, documents as {text}, both document shapes accepted', async () => {
    const res = await gw.call('/v1/rerank', {
      method: 'POST',
      key: ADMIN_KEY,
      json: {
        model: 'jina/jina-reranker-v2-base-multilingual',
        query,
        documents: [documents[0], { text: documents[1] }, documents[2]],
        top_n: 2,
        return_documents: true,
      },
    });
    assert.equal(res.status, 200);
    const json = await readJson(res);
    assert.match(json.id, /^rerank-/);
    assert.equal(json.model, 'jina/jina-reranker-v2-base-multilingual');
    assert.deepEqual(
      json.results,
      ranked.slice(0, 2).map((r) => ({ ...r, document: { text: documents[r.index] } })),
    );
    const tokens = fakeRerankTokens(query, documents);
    assert.equal(json.usage.total_tokens, tokens);
    assert.equal(json.usage.cost, Math.round(tokens * 0.05) / 1e6); // $0.05 per million tokens
    // Cohere's `meta`, which Cohere's clients require: what the request was billed in.
    assert.deepEqual(json.meta, { billed_units: { input_tokens: tokens } });
    assert.deepEqual(jina.requests[0]!.body, {
      model: 'jina-reranker-v2-base-multilingual',
      query,
      documents,
      top_n: 2,
    });
    assert.equal(jina.requests[0]!.path, '/v1/rerank');
  });

  test('documents over 2 KB go upstream as the client wrote them, unless some came as {text}', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `Caf\\u00e9 \\/ document ${i}: ${'word '.repeat(50)}`);
    const documentsText = `[${texts.map((t) => `"${t}"`).join(',\n ')}]`;
    const send = (documentsJson: string) =>
      gw.call('/v1/rerank', {
        method: 'POST',
        key: ADMIN_KEY,
        headers: { 'content-type': 'application/json' },
        body: `{"model":"jina/jina-reranker-v2-base-multilingual","query":"${query}","documents":${documentsJson},"top_n":3}`,
      });
    const res = await send(documentsText);
    assert.equal(res.status, 200);
    const parsed = JSON.parse(documentsText) as string[];
    const json = await readJson(res);
    assert.deepEqual(
      json.results.map((r: { index: number }) => r.index),
      parsed
        .map((text, index) => ({ index, score: fakeRelevance(query, text) }))
        .sort((a, b) => b.score - a.score || a.index - b.index)
        .slice(0, 3)
        .map((r) => r.index),
    );
    assert.ok(jina.requests[0]!.raw?.includes(`"documents":${documentsText}`), jina.requests[0]!.raw);
    assert.deepEqual((jina.requests[0]!.body as { documents: unknown }).documents, parsed);

    // One document as {text}: the list the gateway makes of texts is serialised.
    const mixed = `[{"text":"${texts[0]}"}, ${texts
      .slice(1)
      .map((t) => `"${t}"`)
      .join(', ')}]`;
    assert.equal((await send(mixed)).status, 200);
    assert.deepEqual((jina.requests[1]!.body as { documents: unknown }).documents, parsed);
    assert.ok(jina.requests[1]!.raw?.includes('"documents":["Café / document 0'));
  });

  test('Voyage: every document when top_n is omitted, no documents unless asked, top_k upstream', async () => {
    const res = await gw.call('/v1/rerank', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'voyage/rerank-2.5', query, documents, top_n: 3 },
    });
    const json = await readJson(res);
    assert.equal(res.status, 200);
    assert.deepEqual(json.results, ranked);
    assert.equal((voyage.requests[0]!.body as Record<string, unknown>).top_k, 3);
    const all = await readJson(
      await gw.call('/v1/rerank', {
        method: 'POST',
        key: ADMIN_KEY,
        json: { model: 'voyage/rerank-2.5', query, documents },
      }),
    );
    assert.equal(all.results.length, 3);
  });

  test('bad input and models that do not rerank are refused before anything goes upstream', async () => {
    const cases: Array<[unknown, number, string | null]> = [
      [{ model: 'jina/jina-reranker-v2-base-multilingual', documents }, 400, 'query'],
      [{ model: 'jina/jina-reranker-v2-base-multilingual', query, documents: [] }, 400, 'documents'],
      [{ model: 'jina/jina-reranker-v2-base-multilingual', query, documents: [1] }, 400, 'documents[0]'],
      [
        { model: 'jina/jina-reranker-v2-base-multilingual', query, documents: Array(1001).fill('d') },
        400,
        'documents',
      ],
      [{ model: 'jina/jina-reranker-v2-base-multilingual', query, documents, top_n: 0 }, 400, 'top_n'],
      [
        { model: 'jina/jina-reranker-v2-base-multilingual', query, documents, return_documents: 'yes' },
        400,
        'return_documents',
      ],
      [{ model: SMALL, query, documents }, 400, 'model'],
      [{ model: 'openai/some-custom-model', query, documents }, 400, 'model'],
    ];
    for (const [body, status, param] of cases) {
      const res = await gw.call('/v1/rerank', { method: 'POST', key: ADMIN_KEY, json: body });
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal((await readJson(res)).error.param, param, JSON.stringify(body).slice(0, 80));
    }
    assert.equal(jina.requests.length + openai.requests.length, 0);
  });
});

test('/v1/models lists embedding and rerank models; /admin/models tells each model’s kind and price', async () => {
  const listed = await readJson(await gw.call('/v1/models', { key: ADMIN_KEY }));
  const ids = listed.data.map((m: { id: string }) => m.id);
  for (const id of [
    SMALL,
    'voyage/voyage-3.5',
    'voyage/rerank-2.5',
    'jina/jina-reranker-v2-base-multilingual',
  ])
    assert.ok(ids.includes(id), id);
  const catalog = await readJson(await gw.call('/admin/models', { key: ADMIN_KEY }));
  const byId = new Map(catalog.data.map((m: { id: string }) => [m.id, m]));
  assert.equal((byId.get(SMALL) as { kind: string }).kind, 'embedding');
  assert.equal((byId.get('openai/gpt-4o') as { kind: string }).kind, 'chat');
  const cohere = byId.get('cohere/rerank-v3.5') as { kind: string; price: Record<string, number> };
  assert.equal(cohere.kind, 'rerank');
  assert.equal(cohere.price.per_thousand_searches, 2);
});

describe('money, keys and idempotency', () => {
  test('a prepaid account is charged exactly usage.cost and the ledger row says so', async () => {
    const acct = await gw.createAccount({ name: 'rag', credits_usd: 1 });
    const { key } = await gw.createKey({ account_id: acct.id });
    const res = await gw.call('/v1/embeddings', {
      method: 'POST',
      key,
      json: { model: 'voyage/voyage-3-large', input: texts },
    });
    assert.equal(res.status, 200);
    const json = await readJson(res);
    const tokens = texts.reduce((n, t) => n + fakeTokens(t), 0);
    const micros = Math.round(tokens * 0.18); // $0.18 per million tokens
    assert.equal(json.usage.cost, micros / 1e6);
    const row = await ledgerRow(res.headers.get('x-request-id')!);
    assert.equal(row.model, 'voyage/voyage-3-large');
    assert.equal(row.provider, 'voyage');
    assert.equal(row.upstream_model, 'voyage-3-large');
    assert.equal(row.status, 'ok');
    assert.equal(row.prompt_tokens, tokens);
    assert.equal(row.completion_tokens, 0);
    assert.equal(row.usage_source, 'provider');
    assert.equal(row.cost_micros, micros);
    assert.match(row.price_version ?? '', /^builtin@/);
    const shown = await readJson(await gw.call(`/admin/accounts/${acct.id}`, { key: ADMIN_KEY }));
    assert.equal(Math.round(shown.spend_usd * 1e6), micros);

    const reranked = await gw.call('/v1/rerank', {
      method: 'POST',
      key,
      json: { model: 'voyage/rerank-2.5', query: 'a b', documents: ['a', 'b c'] },
    });
    const rerankRow = await ledgerRow(reranked.headers.get('x-request-id')!);
    const rerankTokens = fakeRerankTokens('a b', ['a', 'b c']);
    assert.equal(rerankRow.prompt_tokens, rerankTokens);
    assert.equal(rerankRow.cost_micros, Math.round(rerankTokens * 0.05));
    assert.ok(gw.logs.some((line) => line.includes('"msg":"embeddings"') && line.includes(row.id)));
  });

  test('an account without credit is refused with 403 and nothing goes upstream', async () => {
    const acct = await gw.createAccount({ name: 'empty', credits_usd: 0 });
    const { key } = await gw.createKey({ account_id: acct.id });
    const client = gw.client(key);
    await assert.rejects(client.embeddings.create({ model: SMALL, input: 'x' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.PermissionDeniedError);
      assert.equal(error.code, 'insufficient_credits');
      return true;
    });
    assert.equal(openai.requests.length, 0);
  });

  test('a key’s model allow-list applies', async () => {
    const { key } = await gw.createKey({ models: ['voyage/*'] });
    const refused = await gw.call('/v1/embeddings', {
      method: 'POST',
      key,
      json: { model: SMALL, input: 'x' },
    });
    assert.equal(refused.status, 403);
    assert.equal((await readJson(refused)).error.code, 'model_not_allowed');
    const allowed = await gw.call('/v1/rerank', {
      method: 'POST',
      key,
      json: { model: 'voyage/rerank-2.5', query: 'q', documents: ['d'] },
    });
    assert.equal(allowed.status, 200);
  });

  test('an Idempotency-Key replays the answer without a second upstream call', async () => {
    const init = {
      method: 'POST',
      key: ADMIN_KEY,
      headers: { 'idempotency-key': `embed-${Date.now()}` },
      json: { model: SMALL, input: ['same'], encoding_format: 'float' },
    };
    const first = await gw.call('/v1/embeddings', init);
    const second = await gw.call('/v1/embeddings', init);
    assert.equal(second.headers.get('x-tokgate-idempotent-replay'), 'true');
    assert.deepEqual(await readJson(second), await readJson(first));
    assert.equal(openai.requests.length, 1);
  });
});
