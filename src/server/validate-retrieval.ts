// The bodies of POST /v1/embeddings (OpenAI's CreateEmbeddingRequest) and POST /v1/rerank (TokModel's,
// Cohere's shape), checked by hand and normalised: one input list, documents as their texts. A refusal is
// a 400 naming the field, in OpenAI's words where OpenAI has them. Fields the gateway does not read (a
// vendor's `input_type`, `truncation`) are left for the provider.
import type { EmbeddingRequest, RerankRequest } from '../core/embeddings.js';
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';

/** OpenAI's own limit of inputs per embeddings request; the gateway splits it for smaller providers. */
export const MAX_EMBEDDING_INPUTS = 2048;
/** Documents per rerank request (Voyage's and Cohere's recommended limit). */
export const MAX_RERANK_DOCUMENTS = 1000;

const typeName = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

export const missing = (param: string) =>
  invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');

export const wrongType = (param: string, expected: string, value: unknown) =>
  invalidRequest(
    `Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.`,
    param,
    'invalid_type',
  );

export function requestObject(value: unknown): Record<string, unknown> {
  if (!isObject(value)) throw invalidRequest('The request body must be a JSON object.', null, 'invalid_type');
  return value;
}

export function modelOf(fields: Record<string, unknown>): string {
  const { model } = fields;
  if (model === undefined || model === null) throw missing('model');
  if (typeof model !== 'string') throw wrongType('model', 'a string', model);
  if (model === '') throw invalidRequest("Invalid value for 'model': it is empty.", 'model', 'invalid_value');
  return model;
}

const isTokenId = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;

/** `input`: a string, strings, a token array or token arrays → one list of texts or of token arrays. */
function inputOf(value: unknown): string[] | number[][] {
  if (value === undefined || value === null) throw missing('input');
  if (typeof value === 'string') value = [value];
  if (!Array.isArray(value))
    throw wrongType('input', 'a string, an array of strings, or an array of token arrays', value);
  if (value.length === 0)
    throw invalidRequest("Invalid value for 'input': it must not be empty.", 'input', 'invalid_value');
  if (value.every((item) => typeof item === 'number')) {
    if (!value.every(isTokenId))
      throw invalidRequest("Invalid 'input': token ids are non-negative integers.", 'input', 'invalid_value');
    value = [value];
  }
  const items = value as unknown[];
  if (items.length > MAX_EMBEDDING_INPUTS)
    throw invalidRequest(
      `Invalid 'input': at most ${MAX_EMBEDDING_INPUTS} inputs per request, got ${items.length}.`,
      'input',
      'invalid_value',
    );
  const texts = typeof items[0] === 'string';
  items.forEach((item, i) => {
    if (texts ? typeof item !== 'string' : !Array.isArray(item))
      throw wrongType(`input[${i}]`, texts ? 'a string' : 'a token array', item);
    if ((item as string | unknown[]).length === 0)
      throw invalidRequest(`Invalid 'input[${i}]': it must not be empty.`, 'input', 'invalid_value');
    if (!texts && !(item as unknown[]).every(isTokenId))
      throw invalidRequest(
        `Invalid 'input[${i}]': token ids are non-negative integers.`,
        'input',
        'invalid_value',
      );
  });
  return items as string[] | number[][];
}

export function validateEmbeddingRequest(raw: unknown): EmbeddingRequest {
  const fields = requestObject(raw);
  const request: EmbeddingRequest = { ...fields, model: modelOf(fields), input: inputOf(fields.input) };
  const { encoding_format: format, dimensions, user } = fields;
  if (format === null || format === undefined) delete request.encoding_format;
  else if (format !== 'float' && format !== 'base64')
    throw invalidRequest(
      "Invalid value for 'encoding_format': expected 'float' or 'base64'.",
      'encoding_format',
      'invalid_value',
    );
  if (dimensions === null || dimensions === undefined) delete request.dimensions;
  else if (!Number.isInteger(dimensions) || (dimensions as number) < 1)
    throw invalidRequest(
      "Invalid value for 'dimensions': expected a positive integer.",
      'dimensions',
      'invalid_value',
    );
  if (user === null || user === undefined) delete request.user;
  else if (typeof user !== 'string') throw wrongType('user', 'a string', user);
  return request;
}

/** A document: its text, or Cohere's `{text}` object (TokModel's pages show both). */
function documentText(value: unknown, i: number): string {
  const text = isObject(value) ? value.text : value;
  if (typeof text !== 'string')
    throw wrongType(`documents[${i}]`, "a string or an object with 'text'", value);
  return text;
}

export function validateRerankRequest(raw: unknown): RerankRequest {
  const fields = requestObject(raw);
  const model = modelOf(fields);
  const { query, documents, top_n: topN, return_documents: returnDocuments } = fields;
  if (query === undefined || query === null) throw missing('query');
  if (typeof query !== 'string') throw wrongType('query', 'a string', query);
  if (query === '') throw invalidRequest("Invalid value for 'query': it is empty.", 'query', 'invalid_value');
  if (documents === undefined || documents === null) throw missing('documents');
  if (!Array.isArray(documents)) throw wrongType('documents', 'an array', documents);
  if (documents.length === 0)
    throw invalidRequest(
      "Invalid value for 'documents': it must not be empty.",
      'documents',
      'invalid_value',
    );
  if (documents.length > MAX_RERANK_DOCUMENTS)
    throw invalidRequest(
      `Invalid 'documents': at most ${MAX_RERANK_DOCUMENTS} documents per request, got ${documents.length}.`,
      'documents',
      'invalid_value',
    );
  const request: RerankRequest = {
    ...fields,
    model,
    query,
    // A list of texts stays the client's own array, so it can go upstream as the client wrote it (core/raw-json.ts).
    documents: documents.every((d) => typeof d === 'string') ? documents : documents.map(documentText),
  };
  if (topN === undefined || topN === null) delete request.top_n;
  else if (!Number.isInteger(topN) || (topN as number) < 1)
    throw invalidRequest("Invalid value for 'top_n': expected a positive integer.", 'top_n', 'invalid_value');
  if (returnDocuments === undefined || returnDocuments === null) delete request.return_documents;
  else if (typeof returnDocuments !== 'boolean')
    throw wrongType('return_documents', 'a boolean', returnDocuments);
  return request;
}
