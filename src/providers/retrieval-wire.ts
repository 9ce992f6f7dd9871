// Lenient readers of what retrieval upstreams answer, shared by the provider folders: vectors (numbers or
// OpenAI's base64), rerank scores, token counts. An answer the gateway cannot use is an invalid upstream
// response (retryable: another deployment may answer well).

import { isAscii } from 'node:buffer';
import { z } from 'zod';
import type { EmbeddingResult, RerankScore, Vector } from '../core/embeddings.js';
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { AsciiPieces, type JsonText, RAW_JSON_MIN_LENGTH, rawTopLevelSpan } from '../core/raw-json.js';
import { invalidUpstreamResponse } from './upstream-error.js';

const scoreSchema = z.object({ index: z.number().int().nonnegative(), relevance_score: z.number() });

/** A count an upstream reported, or undefined for anything that is not one. */
export function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * A vector: numbers, or a base64 string. Checked by hand: a batch holds tens of thousands of numbers, and
 * a schema takes milliseconds over them (bench/README.md, the embeddings cells).
 */
function isVector(value: unknown): value is Vector {
  if (typeof value === 'string') return true;
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'number') return false;
  return true;
}

/** Checks one vector per input came back, each a vector. */
export function checkVectors(provider: string, vectors: unknown, expected: number): Vector[] {
  if (!Array.isArray(vectors) || vectors.length !== expected)
    throw invalidUpstreamResponse(provider, `expected ${expected} embeddings`);
  for (const vector of vectors) {
    if (!isVector(vector)) throw invalidUpstreamResponse(provider, 'an embedding is not a vector');
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

/** Whether the `"index"` members within [start, end) of `text` are 0, 1, … `expected - 1`, in order. */
function indicesInOrder(text: JsonText, start: number, end: number, expected: number): boolean {
  let at = start;
  for (let k = 0; k < expected; k++) {
    at = text.indexOf('"index"', at);
    if (at === -1 || at >= end) return false;
    at += 7;
    while (text.charCodeAt(at) === 32 || text.charCodeAt(at) === 10 || text.charCodeAt(at) === 13) at += 1;
    if (text.charCodeAt(at) !== 58) return false; // ':'
    at += 1;
    while (text.charCodeAt(at) === 32 || text.charCodeAt(at) === 10 || text.charCodeAt(at) === 13) at += 1;
    let digits = at;
    while (text.charCodeAt(digits) >= 48 && text.charCodeAt(digits) <= 57) digits += 1;
    if (digits === at || Number(text.slice(at, digits)) !== k) return false;
    at = digits;
  }
  const next = text.indexOf('"index"', at);
  return next === -1 || next >= end;
}

const notJson = (provider: string) => invalidUpstreamResponse(provider, 'the body is not JSON');

/**
 * An OpenAI-shaped embeddings answer (`{data: [{index, embedding}], usage}`). A large one whose data holds
 * the inputs in order keeps that data as its raw text, to be relayed as it came (the rest of the body is
 * parsed); otherwise it is parsed whole. The raw data is only scanned for its bounds and indices: the
 * upstream's JSON inside it is passed on as the upstream wrote it.
 */
export function readOpenAIEmbeddings(
  provider: string,
  body: string | readonly Buffer[],
  expected: number,
  encoding: 'float' | 'base64',
): EmbeddingResult {
  // An answer of ASCII only (numbers, base64, plain keys: the usual case) is scanned as its bytes in the
  // pieces it arrived in, never made one string nor one buffer (core/raw-json.ts: a large string costs more
  // than the rest of the request), and its data is relayed as the upstream's own bytes, never encoded again.
  const bytes =
    typeof body === 'string' || !body.every((piece) => isAscii(piece)) ? undefined : new AsciiPieces(body);
  const text: JsonText = bytes ?? (typeof body === 'string' ? body : Buffer.concat(body).toString('utf8'));
  const span = text.length >= RAW_JSON_MIN_LENGTH ? rawTopLevelSpan(text, 'data') : undefined;
  let answer: unknown;
  let raw: EmbeddingResult['raw'];
  if (span && text.charCodeAt(span[0]) === 91 && indicesInOrder(text, span[0], span[1], expected)) {
    try {
      answer = JSON.parse(`${text.slice(0, span[0])}[]${text.slice(span[1])}`);
    } catch {
      throw notJson(provider);
    }
    raw = bytes
      ? { bytes: bytes.bytes(span[0], span[1]), encoding }
      : { data: text.slice(span[0], span[1]), encoding };
  } else {
    try {
      answer = JSON.parse(typeof text === 'string' ? text : text.slice(0));
    } catch {
      throw notJson(provider);
    }
  }
  const fields = isObject(answer) ? answer : {};
  const usage = isObject(fields.usage) ? fields.usage : undefined;
  const inputTokens = countOf(usage?.prompt_tokens) ?? countOf(usage?.total_tokens);
  if (raw) return { vectors: undefined, raw, inputTokens };
  return { vectors: vectorsByIndex(provider, fields.data, expected), inputTokens };
}
