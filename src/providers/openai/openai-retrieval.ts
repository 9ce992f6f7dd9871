// Embeddings and rerank for the OpenAI family. `POST {base}/embeddings` is OpenAI's own; `POST {base}/rerank`
// is Jina's shape, which Together, Voyage (`top_k`, `data`), vLLM and Infinity also speak. How a vendor
// differs is data (`retrieval` in src/config/vendors.ts): its batch limit, renamed fields, whether it
// answers base64 itself and takes token arrays.
import type { ProviderSettings } from '../../config/config.js';
import type { RetrievalQuirks } from '../../config/vendors.js';
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
import { type HttpClient, wholeJson } from '../http.js';
import { countOf, readOpenAIEmbeddings, readScores, textInputs } from '../retrieval-wire.js';
import { openaiHttpError } from './openai-error.js';

/** OpenAI's own limit of inputs per embeddings call. */
export const OPENAI_MAX_EMBEDDING_INPUTS = 2048;

export interface RetrievalWire {
  /** The URL of an operation for an upstream model (Azure: per deployment). */
  url?: (operation: 'embeddings' | 'rerank', model: string) => URL;
  headers: Record<string, string>;
}

/** Request fields renamed and dropped the vendor's way (a dropped one is a warning). */
function vendorBody(
  id: string,
  request: Record<string, unknown>,
  quirks: RetrievalQuirks,
  drop: readonly string[],
  warnings: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(request)) {
    if (value === undefined) continue;
    if (drop.includes(field)) {
      warnings.push(`'${field}' is not supported by provider '${id}' and was dropped`);
      continue;
    }
    out[quirks.rename?.[field] ?? field] = value;
  }
  return out;
}

export function openaiRetrieval(
  settings: ProviderSettings,
  http: HttpClient,
  wire: RetrievalWire,
): Embedder & Partial<Reranker> {
  const { id } = settings;
  const quirks = settings.quirks.retrieval ?? {};
  const drop = settings.quirks.drop ?? [];
  const embeddingsUrl = new URL(`${settings.baseUrl}/embeddings`);
  const rerankUrl = new URL(`${settings.baseUrl}/rerank`);
  const urlFor = wire.url ?? ((operation) => (operation === 'embeddings' ? embeddingsUrl : rerankUrl));

  /** The whole answer of a 2xx; any other status is the upstream's error. */
  async function send(url: URL, body: Record<string, unknown>, call: OperationCall<unknown>) {
    const res = await http.requestWhole(id, url, wire.headers, jsonBody(body), call.signal);
    if (res.status < 200 || res.status >= 300) throw await openaiHttpError(id, res);
    return res;
  }

  async function post(url: URL, body: Record<string, unknown>, call: OperationCall<unknown>) {
    return wholeJson(id, await send(url, body, call));
  }

  async function embed(call: OperationCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    const { request } = call;
    if (!quirks.tokenInput) textInputs(id, request.input);
    const { encoding_format, ...rest } = request;
    // The format goes upstream only where the vendor makes base64; elsewhere the gateway encodes the floats.
    const asked = quirks.base64 && encoding_format !== undefined ? { encoding_format } : {};
    const body = vendorBody(id, { ...rest, ...asked }, quirks, drop, call.warnings);
    const { pieces } = await send(urlFor('embeddings', request.model), body, call);
    const encoding = asked.encoding_format === 'base64' ? 'base64' : 'float';
    return readOpenAIEmbeddings(id, pieces, request.input.length, encoding);
  }

  async function rerank(call: OperationCall<RerankRequest>): Promise<RerankResult> {
    const { request } = call;
    // Documents are attached by the gateway from the request: the upstream need not send them back.
    const { return_documents: _, ...rest } = request;
    const body = vendorBody(id, rest, quirks, drop, call.warnings);
    const answer = await post(urlFor('rerank', request.model), body, call);
    const fields = isObject(answer) ? answer : {};
    const usage = isObject(fields.usage) ? fields.usage : undefined;
    const meta = isObject(fields.meta) && isObject(fields.meta.billed_units) ? fields.meta.billed_units : {};
    return {
      scores: readScores(id, fields.results ?? fields.data, request.documents.length),
      tokens: countOf(usage?.total_tokens) ?? countOf(usage?.prompt_tokens),
      searchUnits: countOf(meta.search_units),
    };
  }

  return {
    embed,
    embedBatchLimit: quirks.maxInputs ?? OPENAI_MAX_EMBEDDING_INPUTS,
    ...(quirks.rerank ? { rerank } : {}),
  };
}
