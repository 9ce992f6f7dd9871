// Lenient readers of what retrieval upstreams answer, shared by the provider folders: vectors (numbers or
// OpenAI's base64), rerank scores, token counts. An answer the gateway cannot use is an invalid upstream
// response (retryable: another deployment may answer well).
import { z } from 'zod';
import type { RerankScore, Vector } from '../core/embeddings.js';
import { invalidRequest } from '../core/errors.js';
import { invalidUpstreamResponse } from './upstream-error.js';

const vectorSchema = z.union([z.array(z.number()), z.string()]);
const scoreSchema = z.object({ index: z.number().int().nonnegative(), relevance_score: z.number() });

/** A count an upstream reported, or undefined for anything that is not one. */
export function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** Checks one vector per input came back, each a vector. */
export function checkVectors(provider: string, vectors: unknown, expected: number): Vector[] {
  if (!Array.isArray(vectors) || vectors.length !== expected)
    throw invalidUpstreamResponse(provider, `expected ${expected} embeddings`);
  for (const vector of vectors) {
    if (!vectorSchema.safeParse(vector).success)
      throw invalidUpstreamResponse(provider, 'an embedding is not a vector');
  }
  return vectors as Vector[];
}

/** OpenAI's `data: [{index, embedding}]`, in input order whatever order it came in. */
export function vectorsByIndex(provider: string, data: unknown, expected: number): Vector[] {
  if (!Array.isArray(data)) throw invalidUpstreamResponse(provider, 'the answer has no data');
  const out = new Array<unknown>(expected);
  for (const item of data as Array<{ index?: unknown; embedding?: unknown }>) {
    const index = countOf(item?.index);
    if (index === undefined || index >= expected || out[index] !== undefined)
      throw invalidUpstreamResponse(provider, 'an embedding has a bad index');
    out[index] = item.embedding;
  }
  return checkVectors(provider, out, expected);
}

/** Rerank results (`results` or Voyage's `data`), each an index into the documents and a score. */
export function readScores(provider: string, list: unknown, documents: number): RerankScore[] {
  if (!Array.isArray(list)) throw invalidUpstreamResponse(provider, 'the answer has no results');
  const scores: RerankScore[] = [];
  for (const item of list) {
    const parsed = scoreSchema.safeParse(item);
    if (!parsed.success || parsed.data.index >= documents)
      throw invalidUpstreamResponse(provider, 'a rerank result has no valid index and score');
    scores.push({ index: parsed.data.index, relevance_score: parsed.data.relevance_score });
  }
  return scores;
}

/** Texts of an embeddings input, refusing token arrays where the upstream takes only text. */
export function textInputs(provider: string, input: readonly string[] | readonly number[][]): string[] {
  if (input.some((item) => typeof item !== 'string'))
    throw invalidRequest(
      `Provider '${provider}' takes text inputs only; token arrays are for OpenAI's own models.`,
      'input',
      'invalid_type',
    );
  return input as string[];
}
