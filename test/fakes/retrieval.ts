// What the fake upstreams answer for embeddings and rerank, in each vendor's wire format. Vectors and
// scores are deterministic, so a test can compute the answer it expects:
// - a text's vector (`fakeVector`): `dims` numbers from a hash of the text, each a float32 (what base64
//   carries exactly); a token array's from its ids joined by commas;
// - a text's tokens (`fakeTokens`): its whitespace-separated words (a token array: its length);
// - a document's relevance to a query (`fakeRelevance`): the share of the query's words it contains,
//   plus a small tie-breaker from its length, always in (0, 1).
//
// Wire formats, from the vendors' API references:
// - OpenAI `POST /v1/embeddings`: `input` a string, strings, a token array or token arrays (at most 2048),
//   `encoding_format` float|base64 (base64: little-endian float32), `dimensions`; answers
//   `{object:'list', data:[{object:'embedding', index, embedding}], model, usage:{prompt_tokens,total_tokens}}`.
// - Jina `POST /v1/embeddings`: OpenAI's, strings only, `dimensions`, usage `{total_tokens, prompt_tokens}`;
//   `POST /v1/rerank` `{model, query, documents, top_n, return_documents}` → `{model, usage:{total_tokens},
//   results:[{index, relevance_score, document?:{text}}]}` best first (vLLM and Infinity answer the same).
// - Voyage `POST /v1/embeddings`: `input` strings (at most 1000), `input_type`, `output_dimension`; answers
//   `{object:'list', data, model, usage:{total_tokens}}`; `POST /v1/rerank` `{query, documents, model,
//   top_k, return_documents, truncation}` → `{object:'list', data:[{index, relevance_score, document?}],
//   model, usage:{total_tokens}}`.
import { createHash } from 'node:crypto';

export type RetrievalDialect = 'openai' | 'jina' | 'voyage';

export const FAKE_DIMENSIONS = 8;

export function fakeVector(input: string | readonly number[], dims = FAKE_DIMENSIONS): number[] {
  const key = typeof input === 'string' ? input : input.join(',');
  const digest = createHash('sha256').update(key).digest();
  return Array.from({ length: dims }, (_, i) => Math.fround((digest[i % 32]! - 128) / 128 + i / 1024));
}

export function fakeTokens(input: string | readonly number[]): number {
  return typeof input === 'string' ? input.split(/\s+/).filter((w) => w !== '').length : input.length;
}

export function fakeRelevance(query: string, document: string): number {
  const words = new Set(query.toLowerCase().split(/\W+/).filter(Boolean));
  const have = new Set(document.toLowerCase().split(/\W+/).filter(Boolean));
  let shared = 0;
  for (const word of words) if (have.has(word)) shared += 1;
  return Math.round(((shared / Math.max(1, words.size)) * 0.9 + 1 / (10 + document.length)) * 1e6) / 1e6;
}

const toBase64 = (vector: readonly number[]) => {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => {
    bytes.writeFloatLE(v, i * 4);
  });
  return bytes.toString('base64');
};

export interface RetrievalAnswer {
  status: number;
  body: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const invalid = (message: string, param: string | null = null): RetrievalAnswer => ({
  status: 400,
  body: { error: { message, type: 'invalid_request_error', param, code: null } },
});

const MAX_INPUTS: Record<RetrievalDialect, number> = { openai: 2048, jina: 2048, voyage: 1000 };

export function fakeEmbeddings(dialect: RetrievalDialect, body: unknown): RetrievalAnswer {
  if (!isRecord(body) || typeof body.model !== 'string') return invalid("'model' is required", 'model');
  let input = body.input;
  if (typeof input === 'string') input = [input];
  if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'number')) input = [input];
  if (!Array.isArray(input) || input.length === 0) return invalid("'input' is required", 'input');
  if (input.length > MAX_INPUTS[dialect])
    return invalid(`'input' holds at most ${MAX_INPUTS[dialect]} items`, 'input');
  const tokenArrays = input.some((x) => typeof x !== 'string');
  if (tokenArrays && dialect !== 'openai') return invalid("'input' must hold strings", 'input');
  if (dialect === 'voyage' && body.dimensions !== undefined)
    return invalid("Unknown field 'dimensions'", 'dimensions');
  const requested = dialect === 'voyage' ? body.output_dimension : body.dimensions;
  const dims = typeof requested === 'number' ? requested : FAKE_DIMENSIONS;
  const base64 = dialect === 'openai' && body.encoding_format === 'base64';
  let tokens = 0;
  const data = (input as Array<string | number[]>).map((item, index) => {
    tokens += fakeTokens(item);
    const vector = fakeVector(item, dims);
    return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector };
  });
  const usage =
    dialect === 'openai'
      ? { prompt_tokens: tokens, total_tokens: tokens }
      : dialect === 'jina'
        ? { total_tokens: tokens, prompt_tokens: tokens }
        : { total_tokens: tokens };
  return { status: 200, body: { object: 'list', data, model: body.model, usage } };
}

/** The tokens of a rerank, as Voyage defines them: the query once per document, and every document. */
export function fakeRerankTokens(query: string, documents: readonly string[]): number {
  return documents.reduce((total, d) => total + fakeTokens(query) + fakeTokens(d), 0);
}

export function fakeRerank(dialect: RetrievalDialect, body: unknown): RetrievalAnswer {
  if (dialect === 'openai')
    return { status: 404, body: { error: { message: 'Invalid URL (POST /v1/rerank)' } } };
  if (!isRecord(body) || typeof body.query !== 'string') return invalid("'query' is required", 'query');
  const { documents } = body;
  if (!Array.isArray(documents) || documents.length === 0 || documents.some((d) => typeof d !== 'string'))
    return invalid("'documents' must be a list of strings", 'documents');
  if (dialect === 'voyage' && body.top_n !== undefined) return invalid("Unknown field 'top_n'", 'top_n');
  const limit = dialect === 'voyage' ? body.top_k : body.top_n;
  const query = body.query;
  const results = (documents as string[])
    .map((text, index) => ({
      index,
      relevance_score: fakeRelevance(query, text),
      ...(body.return_documents === true ? { document: dialect === 'jina' ? { text } : text } : {}),
    }))
    .sort((a, b) => b.relevance_score - a.relevance_score);
  const kept = typeof limit === 'number' ? results.slice(0, limit) : results;
  const usage = { total_tokens: fakeRerankTokens(query, documents as string[]) };
  return {
    status: 200,
    body:
      dialect === 'voyage'
        ? { object: 'list', data: kept, model: body.model, usage }
        : { model: body.model, usage, results: kept },
  };
}

// Cohere v2 (docs.cohere.com/reference/embed, /reference/rerank): `POST /v2/embed` `{model, texts (≤ 96),
// input_type (required), embedding_types, output_dimension, truncate}` → `{id, embeddings: {float: [...]},
// texts, meta: {api_version, billed_units: {input_tokens}}, response_type: 'embeddings_by_type'}`;
// `POST /v2/rerank` `{model, query, documents, top_n, max_tokens_per_doc}` → `{id, results: [{index,
// relevance_score}], meta: {api_version, billed_units: {search_units}}}`. Unknown fields are refused.
// Errors are `{id, message}`.

const cohereInvalid = (message: string): RetrievalAnswer => ({
  status: 400,
  body: { id: 'fake-error', message: `invalid request: ${message}` },
});

const COHERE_META = { api_version: { version: '2' } };

/** Cohere's search units: a chunk per 500 tokens of query + document, 100 chunks to a unit. */
export function fakeSearchUnits(query: string, documents: readonly string[]): number {
  let chunks = 0;
  for (const d of documents) chunks += Math.max(1, Math.ceil((fakeTokens(query) + fakeTokens(d)) / 500));
  return Math.max(1, Math.ceil(chunks / 100));
}

function unknownField(body: Record<string, unknown>, known: readonly string[]): string | undefined {
  return Object.keys(body).find((field) => !known.includes(field));
}

export function fakeCohereEmbed(body: unknown): RetrievalAnswer {
  if (!isRecord(body)) return cohereInvalid('could not parse the JSON body');
  const unknown = unknownField(body, [
    'model',
    'texts',
    'images',
    'inputs',
    'input_type',
    'embedding_types',
    'output_dimension',
    'max_tokens',
    'truncate',
  ]);
  if (unknown) return cohereInvalid(`unknown field: parameter '${unknown}' is not a valid field`);
  if (typeof body.input_type !== 'string')
    return cohereInvalid('valid input_type must be provided with the provided model');
  const { texts } = body;
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string'))
    return cohereInvalid('texts must be a list of strings');
  if (texts.length > 96) return cohereInvalid('too many texts - max is 96');
  const dims = typeof body.output_dimension === 'number' ? body.output_dimension : FAKE_DIMENSIONS;
  const tokens = (texts as string[]).reduce((n, t) => n + fakeTokens(t), 0);
  return {
    status: 200,
    body: {
      id: 'fake-embed',
      embeddings: { float: (texts as string[]).map((t) => fakeVector(t, dims)) },
      texts,
      meta: { ...COHERE_META, billed_units: { input_tokens: tokens } },
      response_type: 'embeddings_by_type',
    },
  };
}

export function fakeCohereRerank(body: unknown): RetrievalAnswer {
  if (!isRecord(body)) return cohereInvalid('could not parse the JSON body');
  const unknown = unknownField(body, ['model', 'query', 'documents', 'top_n', 'max_tokens_per_doc']);
  if (unknown) return cohereInvalid(`unknown field: parameter '${unknown}' is not a valid field`);
  const { query, documents } = body;
  if (typeof query !== 'string') return cohereInvalid('query must be a string');
  if (!Array.isArray(documents) || documents.some((d) => typeof d !== 'string'))
    return cohereInvalid('documents must be a list of strings');
  const results = (documents as string[])
    .map((text, index) => ({ index, relevance_score: fakeRelevance(query, text) }))
    .sort((a, b) => b.relevance_score - a.relevance_score);
  return {
    status: 200,
    body: {
      id: 'fake-rerank',
      results: typeof body.top_n === 'number' ? results.slice(0, body.top_n) : results,
      meta: { ...COHERE_META, billed_units: { search_units: fakeSearchUnits(query, documents as string[]) } },
    },
  };
}

// Gemini (ai.google.dev/api/embeddings): `POST /v1beta/models/{model}:embedContent` `{content: {parts:
// [{text}]}, taskType, title, outputDimensionality}` → `{embedding: {values}}`; `:batchEmbedContents`
// `{requests: [{model: 'models/{model}', content, taskType, outputDimensionality}]}` (at most 100) →
// `{embeddings: [{values}]}`. No usage. Errors are Google's `{error: {code, message, status}}`.

const googleInvalid = (message: string): RetrievalAnswer => ({
  status: 400,
  body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } },
});

function googleEmbedOne(request: unknown): { values: number[] } | string {
  if (!isRecord(request) || !isRecord(request.content) || !Array.isArray(request.content.parts))
    return '* EmbedContentRequest.content: contents.parts must not be empty.';
  const text = (request.content.parts as unknown[])
    .map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : ''))
    .join('');
  const dims =
    typeof request.outputDimensionality === 'number' ? request.outputDimensionality : FAKE_DIMENSIONS;
  return { values: fakeVector(text, dims) };
}

export function fakeGoogleEmbed(model: string, method: string, body: unknown): RetrievalAnswer {
  if (method === 'embedContent') {
    const one = googleEmbedOne(body);
    return typeof one === 'string' ? googleInvalid(one) : { status: 200, body: { embedding: one } };
  }
  if (!isRecord(body) || !Array.isArray(body.requests) || body.requests.length === 0)
    return googleInvalid('* BatchEmbedContentsRequest.requests: must not be empty.');
  if (body.requests.length > 100)
    return googleInvalid('* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch');
  const embeddings: Array<{ values: number[] }> = [];
  for (const request of body.requests as unknown[]) {
    if (!isRecord(request) || request.model !== `models/${model}`)
      return googleInvalid(
        `* BatchEmbedContentsRequest.requests[].model: Model names should match the parent model: models/${model}.`,
      );
    const one = googleEmbedOne(request);
    if (typeof one === 'string') return googleInvalid(one);
    embeddings.push(one);
  }
  return { status: 200, body: { embeddings } };
}

/**
 * tokgate's YAML declaring Jina's rerank model as a user would: it is not built in (Jina's pages state no
 * price per token). $0.05 per million tokens.
 */
export const JINA_RERANKER_YAML = [
  'models:',
  '  jina/jina-reranker-v2-base-multilingual:',
  '    kind: rerank',
  '    price: { input: 0.05, output: 0 }',
];

/** The gateway's environment for fake retrieval upstreams (OpenAI's, Voyage's, Jina's, Cohere's), by URL. */
export function retrievalEnv(urls: {
  openai: string;
  voyage: string;
  jina: string;
  cohere?: string;
}): Record<string, string> {
  return {
    OPENAI_API_KEY: 'sk-upstream',
    OPENAI_BASE_URL: urls.openai,
    VOYAGE_API_KEY: 'pa-upstream',
    VOYAGE_BASE_URL: urls.voyage,
    JINA_API_KEY: 'jina-upstream',
    JINA_BASE_URL: urls.jina,
    ...(urls.cohere ? { COHERE_API_KEY: 'co-upstream', COHERE_BASE_URL: urls.cohere } : {}),
  };
}
