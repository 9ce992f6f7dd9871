// Gemini embeddings (ai.google.dev/api/embeddings): one text through `models/{model}:embedContent`, several
// through `:batchEmbedContents` (at most 100 requests a call), each `{content: {parts: [{text}]}, taskType,
// outputDimensionality}`. The task type may be sent as Gemini's own `task_type` (`RETRIEVAL_QUERY`, ...),
// or as Cohere's or Voyage's `input_type`, which map onto it. Gemini reports no token counts: the
// gateway's tokenizer counts them. Gemini has no rerank.
import type { ProviderSettings } from '../../config/config.js';
import type { Embedder, EmbeddingRequest, EmbeddingResult, OperationCall } from '../../core/embeddings.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { type HttpClient, readJsonBody } from '../http.js';
import { checkVectors, textInputs } from '../retrieval-wire.js';
import { googleHttpError } from './google-error.js';

/** Requests per `batchEmbedContents` call. */
export const GOOGLE_MAX_EMBED_BATCH = 100;

const TASK_TYPES = new Set([
  'TASK_TYPE_UNSPECIFIED',
  'RETRIEVAL_QUERY',
  'RETRIEVAL_DOCUMENT',
  'SEMANTIC_SIMILARITY',
  'CLASSIFICATION',
  'CLUSTERING',
  'QUESTION_ANSWERING',
  'FACT_VERIFICATION',
  'CODE_RETRIEVAL_QUERY',
]);

/** Cohere's and Voyage's `input_type` values, as Gemini task types. */
const INPUT_TYPES: Record<string, string> = {
  search_query: 'RETRIEVAL_QUERY',
  search_document: 'RETRIEVAL_DOCUMENT',
  query: 'RETRIEVAL_QUERY',
  document: 'RETRIEVAL_DOCUMENT',
  classification: 'CLASSIFICATION',
  clustering: 'CLUSTERING',
};

function taskType(request: EmbeddingRequest): string | undefined {
  const given = request.task_type ?? request.taskType;
  if (given !== undefined) {
    if (typeof given === 'string' && TASK_TYPES.has(given)) return given;
    throw invalidRequest(
      `Invalid value for 'task_type': expected one of ${[...TASK_TYPES].join(', ')}.`,
      'task_type',
      'invalid_value',
    );
  }
  const input = request.input_type;
  return typeof input === 'string' ? INPUT_TYPES[input] : undefined;
}

/** The Gemini API's JSON request headers, with the key as `x-goog-api-key`. */
export function googleJsonHeaders(settings: ProviderSettings): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...settings.headers,
  };
  if (settings.apiKey) headers['x-goog-api-key'] = settings.apiKey;
  return headers;
}

export function googleRetrieval(
  settings: ProviderSettings,
  http: HttpClient,
  apiVersion: string,
  modelPath: (model: string) => string,
): Embedder {
  const { id } = settings;
  const headers = googleJsonHeaders(settings);

  async function embed(call: OperationCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    const { request } = call;
    const texts = textInputs(id, request.input);
    const path = modelPath(request.model);
    const task = taskType(request);
    const options = {
      ...(task === undefined ? {} : { taskType: task }),
      ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions }),
    };
    if (request.user !== undefined)
      call.warnings.push(`'user' is not supported by provider '${id}' and was dropped`);
    const single = texts.length === 1;
    const body = single
      ? { content: { parts: [{ text: texts[0] }] }, ...options }
      : {
          requests: texts.map((text) => ({
            model: decodeURIComponent(path),
            content: { parts: [{ text }] },
            ...options,
          })),
        };
    const url = new URL(
      `${settings.baseUrl}/${apiVersion}/${path}:${single ? 'embedContent' : 'batchEmbedContents'}`,
    );
    const res = await http.request(id, url, headers, JSON.stringify(body), call.signal);
    if (res.status < 200 || res.status >= 300) throw await googleHttpError(id, res);
    const answer = await readJsonBody(id, res, call.signal);
    const fields = isObject(answer) ? answer : {};
    const list = single ? [fields.embedding] : fields.embeddings;
    const values = Array.isArray(list) ? list.map((e) => (isObject(e) ? e.values : undefined)) : undefined;
    return { vectors: checkVectors(id, values, texts.length), inputTokens: undefined };
  }

  return { embed, embedBatchLimit: GOOGLE_MAX_EMBED_BATCH };
}
