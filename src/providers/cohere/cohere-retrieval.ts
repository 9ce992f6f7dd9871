// Cohere's v2 Embed (`POST /v2/embed`) and Rerank (`POST /v2/rerank`) APIs (docs.cohere.com/reference).
// Embed needs `input_type` for v3 models and later: a client may send Cohere's own (`search_query`,
// `classification`, ...); without one the gateway sends `search_document`, the type for texts stored
// for retrieval, which is what OpenAI-shaped clients embed most. Floats are asked for
// (`embedding_types: ["float"]`); at most 96 texts a call. Rerank answers indices and scores, and bills
// search units (`meta.billed_units.search_units`).
import type { ProviderSettings } from '../../config/config.js';
import type {
  Embedder,
  EmbeddingRequest,
  EmbeddingResult,
  OperationCall,
  Reranker,
  RerankRequest,
  RerankResult,
} from '../../core/embeddings.js';
import { isObject } from '../../core/is-object.js';
import { jsonBody } from '../../core/raw-json.js';
import { type HttpClient, readJsonBody } from '../http.js';
import { checkVectors, countOf, readScores, textInputs } from '../retrieval-wire.js';
import { cohereHttpError } from './cohere-error.js';

/** Texts per `/v2/embed` call. */
export const COHERE_MAX_EMBED_TEXTS = 96;
/** `input_type` when the client sends none. */
export const COHERE_DEFAULT_INPUT_TYPE = 'search_document';

/** Cohere's own request fields a client may send through the OpenAI-shaped door. */
const EMBED_EXTRAS = ['input_type', 'truncate', 'max_tokens'];
const RERANK_EXTRAS = ['max_tokens_per_doc'];

/** The fields the gateway neither reads nor knows Cohere takes: dropped, with a warning. */
function dropUnknown(
  provider: string,
  request: Record<string, unknown>,
  known: readonly string[],
  extras: readonly string[],
  warnings: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of extras) if (request[field] !== undefined) out[field] = request[field];
  for (const field of Object.keys(request)) {
    if (known.includes(field) || extras.includes(field) || request[field] === undefined) continue;
    warnings.push(`'${field}' is not supported by provider '${provider}' and was dropped`);
  }
  return out;
}

export function cohereRetrieval(settings: ProviderSettings, http: HttpClient): Embedder & Reranker {
  const { id } = settings;
  const embedUrl = new URL(`${settings.baseUrl}/v2/embed`);
  const rerankUrl = new URL(`${settings.baseUrl}/v2/rerank`);
  const headers: Record<string, string> = {
    ...settings.headers,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;

  async function post(url: URL, body: Record<string, unknown>, call: OperationCall<unknown>) {
    const res = await http.request(id, url, headers, jsonBody(body), call.signal);
    if (res.status < 200 || res.status >= 300) throw await cohereHttpError(id, res);
    return readJsonBody(id, res, call.signal);
  }

  async function embed(call: OperationCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    const { request } = call;
    const texts = textInputs(id, request.input);
    const extras = dropUnknown(
      id,
      request,
      ['model', 'input', 'encoding_format', 'dimensions'],
      EMBED_EXTRAS,
      call.warnings,
    );
    const body = {
      model: request.model,
      texts,
      input_type: COHERE_DEFAULT_INPUT_TYPE,
      embedding_types: ['float'],
      ...(request.dimensions === undefined ? {} : { output_dimension: request.dimensions }),
      ...extras,
    };
    const answer = await post(embedUrl, body, call);
    const fields = isObject(answer) ? answer : {};
    const embeddings = isObject(fields.embeddings) ? fields.embeddings.float : fields.embeddings;
    const billed =
      isObject(fields.meta) && isObject(fields.meta.billed_units) ? fields.meta.billed_units : {};
    return { vectors: checkVectors(id, embeddings, texts.length), inputTokens: countOf(billed.input_tokens) };
  }

  async function rerank(call: OperationCall<RerankRequest>): Promise<RerankResult> {
    const { request } = call;
    const extras = dropUnknown(
      id,
      request,
      ['model', 'query', 'documents', 'top_n', 'return_documents'],
      RERANK_EXTRAS,
      call.warnings,
    );
    const body = {
      model: request.model,
      query: request.query,
      documents: request.documents,
      ...(request.top_n === undefined ? {} : { top_n: request.top_n }),
      ...extras,
    };
    const answer = await post(rerankUrl, body, call);
    const fields = isObject(answer) ? answer : {};
    const billed =
      isObject(fields.meta) && isObject(fields.meta.billed_units) ? fields.meta.billed_units : {};
    return {
      scores: readScores(id, fields.results, request.documents.length),
      tokens: undefined,
      searchUnits: countOf(billed.search_units),
    };
  }

  return { embed, embedBatchLimit: COHERE_MAX_EMBED_TEXTS, rerank };
}
