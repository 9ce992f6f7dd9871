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
