// Canonical shapes of the two retrieval operations, embeddings and rerank: what the gateway asks a
// provider and what it gets back. Requests are OpenAI's (embeddings) and Cohere's/TokModel's (rerank),
// already validated and normalised (one input list, documents as strings); results are the least every
// vendor gives, so each provider folder only translates. A provider offers an operation by having its
// method: `canEmbed` / `canRerank` ask.
import { gatewayError } from './errors.js';
import type { CallSignal, Provider } from './types.js';

/** A validated `/v1/embeddings` request. Vendor fields the gateway does not read travel in the signature. */
export interface EmbeddingRequest {
  model: string;
  /** Texts, or token arrays (OpenAI's own tokens): one vector per item, in order. */
  input: string[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [field: string]: unknown;
}

/** A vector as an upstream gave it: numbers, or base64 of little-endian float32 (OpenAI's base64). */
export type Vector = number[] | string;

export interface EmbeddingResult {
  /** One vector per input, in input order; undefined when only `raw` holds them (see `vectorsOf`). */
  vectors: Vector[] | undefined;
  /**
   * OpenAI's `data` array as the upstream's JSON text, checked to hold the inputs in order, and the
   * encoding of its vectors: relayed as it came when the client asked for that encoding, so tens of
   * thousands of numbers are neither parsed nor printed again.
   */
  raw?: RawEmbeddingData;
  /** Input tokens as the upstream counted them; undefined when it did not say. */
  inputTokens: number | undefined;
}

/**
 * OpenAI's `data` array as the upstream wrote it: its text, or its bytes when the answer is ASCII (then
 * relayed without ever being a string or copied: views into the pieces the answer arrived in; see
 * core/raw-json.ts on large strings).
 */
export type RawEmbeddingData = { encoding: 'float' | 'base64' } & (
  | { data: string; bytes?: undefined }
  | { data?: undefined; bytes: readonly Buffer[] }
);

/** The vectors of a result, read from its raw text when it has only that. */
export function vectorsOf(result: EmbeddingResult): Vector[] {
  if (result.vectors) return result.vectors;
  const raw = result.raw;
  try {
    const text = raw === undefined ? '[]' : (raw.data ?? Buffer.concat(raw.bytes).toString('latin1'));
    const items = JSON.parse(text) as Array<{ embedding: Vector }>;
    return items.map((item) => item.embedding);
  } catch (cause) {
    // Only its bounds were checked when it was read: broken inside is the upstream's fault.
    throw gatewayError('upstream_invalid_response', {
      message: 'Upstream sent an invalid response: the embeddings are not JSON.',
      cause,
    });
  }
}

/** A validated `/v1/rerank` request: documents are their texts (a `{text}` object is read to its text). */
export interface RerankRequest {
  model: string;
  query: string;
  documents: string[];
  top_n?: number;
  return_documents?: boolean;
  [field: string]: unknown;
}

export interface RerankScore {
  /** Index into the request's documents. */
  index: number;
  relevance_score: number;
}

export interface RerankResult {
  /** Any order, any subset the upstream chose (the gateway sorts and cuts). */
  scores: RerankScore[];
  /** Tokens the upstream counted (query and documents), when it said. */
  tokens: number | undefined;
  /** Search units the upstream billed (Cohere's unit), when it said. */
  searchUnits: number | undefined;
}

/** One upstream call of an operation: the request with `model` already the upstream's model name. */
export interface OperationCall<R> {
  request: R;
  signal: CallSignal;
  /** Settings the provider could not honour and dropped. */
  warnings: string[];
}

export interface Embedder {
  /** One call; the router splits a request over `embedBatchLimit` inputs and merges the answers. */
  embed(call: OperationCall<EmbeddingRequest>): Promise<EmbeddingResult>;
  /** Inputs one upstream call may carry. */
  readonly embedBatchLimit: number;
}

export interface Reranker {
  rerank(call: OperationCall<RerankRequest>): Promise<RerankResult>;
}

export type Operation = 'chat' | 'embedding' | 'rerank' | 'speech' | 'transcription' | 'image';

export const canEmbed = (provider: Provider): provider is Provider & Embedder =>
  typeof (provider as Partial<Embedder>).embed === 'function';

export const canRerank = (provider: Provider): provider is Provider & Reranker =>
  typeof (provider as Partial<Reranker>).rerank === 'function';

/** Float vector → OpenAI's base64: the bytes of little-endian float32s. */
export function vectorToBase64(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString('base64');
}

/** OpenAI's base64 → float vector (float32 precision). */
export function base64ToVector(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const out = new Array<number>(bytes.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
