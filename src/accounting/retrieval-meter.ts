// The meters of the retrieval operations, beside chat's (meter.ts): what embeddings and rerank used and
// cost, and the worst case admission reserves. Both are billed by their input: tokens × the model's input
// price, or for rerank models billed per search (Cohere's unit: one query over up to 100 documents, a
// document of more than 500 tokens with the query counting once per 500), search units × their price.
// Counts are the upstream's when it gave them, else the model's tokenizer (the row says 'estimated').
import type { Target } from '../catalog/target.js';
import type { EmbeddingRequest, RerankRequest, RerankResult } from '../core/embeddings.js';
import type { Usage, UsageSource } from '../core/types.js';
import type { InputDemand } from './admission.js';
import type { Meter, Metered } from './meter.js';
import { costMicros } from './pricing.js';
import { fallbackCount } from './tokenizer.js';

/** Documents per search unit, and the tokens (query included) of a document chunk, as Cohere bills. */
const DOCUMENTS_PER_SEARCH = 100;
const TOKENS_PER_CHUNK = 500;

const usageOf = (tokens: number, searchUnits?: number): Usage => ({
  prompt_tokens: tokens,
  completion_tokens: 0,
  total_tokens: tokens,
  ...(searchUnits === undefined ? {} : { search_units: searchUnits }),
});

const bytes = (text: string) => (text.length === 0 ? 0 : Buffer.byteLength(text));

/** Token arrays are counted already; texts are what a tokenizer has to count. */
function tokenArrays(input: EmbeddingRequest['input']): number | undefined {
  if (input.length === 0 || typeof input[0] === 'string') return undefined;
  let total = 0;
  for (const item of input as number[][]) total += item.length;
  return total;
}

/** Each text's tokens by the model's tokenizer (about four characters a token past the budget, as chat's meter). */
async function countEach(meter: Meter, target: Target, texts: readonly string[]): Promise<number[]> {
  const tokenizer = meter.catalog.tokenizerFor(target.model, target.provider.id);
  return (
    (await meter.tokens.countEach(texts, tokenizer, 'estimate')) ??
    texts.map((text) => fallbackCount(text, 'estimate'))
  );
}

const sum = (counts: readonly number[]) => counts.reduce((total, count) => total + count, 0);

/** Micro-USD for input tokens at the model's input price, rounded up (a bound never undercounts). */
const inputCostBound = (target: Target, tokens: number) =>
  Math.ceil((tokens * (target.entry?.price?.input ?? 0)) / 1_000_000);

export function embeddingDemand(meter: Meter, target: Target, request: EmbeddingRequest): InputDemand {
  const known = tokenArrays(request.input);
  let bound = known ?? 0;
  if (known === undefined) for (const text of request.input as string[]) bound += bytes(text);
  return {
    bound,
    exact: async () => {
      if (known !== undefined) return known;
      const tokenizer = meter.catalog.tokenizerFor(target.model, target.provider.id);
      return meter.tokens.countTexts(request.input as string[], tokenizer, 'upper', true);
    },
    cost: (tokens) => inputCostBound(target, tokens),
  };
}

export async function measureEmbedding(
  meter: Meter,
  target: Target,
  request: EmbeddingRequest,
  reported: number | undefined,
): Promise<Metered> {
  let tokens = reported;
  let source: UsageSource = 'provider';
  if (tokens === undefined) {
    tokens = tokenArrays(request.input) ?? sum(await countEach(meter, target, request.input as string[]));
    source = 'estimated';
  }
  const usage = usageOf(tokens);
  return { usage, source, costMicros: costMicros(target.entry?.price, usage) };
}

/** The texts a reranker reads: the query once per document (Voyage's and Cohere's definition), and each document. */
function rerankTokenBound(request: RerankRequest): number {
  const query = bytes(request.query);
  let total = 0;
  for (const document of request.documents) total += query + bytes(document);
  return total;
}

/** Search units of a request: a chunk per 500 tokens of query + document, 100 chunks per unit. */
function searchUnits(request: RerankRequest, tokensOf: (text: string) => number): number {
  const query = tokensOf(request.query);
  let chunks = 0;
  for (const document of request.documents)
    chunks += Math.max(1, Math.ceil((query + tokensOf(document)) / TOKENS_PER_CHUNK));
  return Math.max(1, Math.ceil(chunks / DOCUMENTS_PER_SEARCH));
}

export function rerankDemand(meter: Meter, target: Target, request: RerankRequest): InputDemand {
  const perSearch = target.entry?.price?.searchUnit;
  if (perSearch !== undefined) {
    // Billed per search: bounded by bytes (exact counts would rarely change the unit count).
    const units = searchUnits(request, bytes);
    return { bound: rerankTokenBound(request), exact: async () => undefined, cost: () => units * perSearch };
  }
  return {
    bound: rerankTokenBound(request),
    exact: async () => {
      const tokenizer = meter.catalog.tokenizerFor(target.model, target.provider.id);
      const query = await meter.tokens.countTexts([request.query], tokenizer, 'upper', true);
      const documents = await meter.tokens.countTexts(request.documents, tokenizer, 'upper', true);
      if (query === undefined || documents === undefined) return undefined;
      return query * request.documents.length + documents;
    },
    cost: (tokens) => inputCostBound(target, tokens),
  };
}

export async function measureRerank(
  meter: Meter,
  target: Target,
  request: RerankRequest,
  result: RerankResult,
): Promise<Metered> {
  const price = target.entry?.price;
  const perSearch = price?.searchUnit;
  // Counted only when the upstream did not say: the query's and each document's tokens.
  let counts: number[] | undefined;
  if (result.tokens === undefined || (perSearch !== undefined && result.searchUnits === undefined))
    counts = await countEach(meter, target, [request.query, ...request.documents]);
  const query = counts?.[0] ?? 0;
  const tokens = result.tokens ?? query * request.documents.length + sum(counts!.slice(1));
  if (perSearch === undefined) {
    const usage = usageOf(tokens);
    const source: UsageSource = result.tokens === undefined ? 'estimated' : 'provider';
    return { usage, source, costMicros: costMicros(price, usage) };
  }
  let units = result.searchUnits;
  if (units === undefined) {
    // Counted the way the vendor bills: a chunk per 500 tokens of query + document.
    let chunks = 0;
    for (const count of counts!.slice(1))
      chunks += Math.max(1, Math.ceil((query + count) / TOKENS_PER_CHUNK));
    units = Math.max(1, Math.ceil(chunks / DOCUMENTS_PER_SEARCH));
  }
  const source: UsageSource = result.searchUnits === undefined ? 'estimated' : 'provider';
  return { usage: usageOf(tokens, units), source, costMicros: units * perSearch };
}
