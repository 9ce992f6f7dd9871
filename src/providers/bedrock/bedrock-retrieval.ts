// Embeddings and rerank on Amazon Bedrock, through InvokeModel with each model family's own body
// (docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-*.html):
// - Amazon Titan Text Embeddings (`amazon.titan-embed-text-v2:0`, `-v1`): one text per call
//   (`{inputText, dimensions?, normalize}` → `{embedding, inputTextTokenCount}`), so a request's texts go as
//   parallel calls, four at a time; `dimensions` (256, 512, 1024) on v2 only.
// - Cohere Embed (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`, `cohere.embed-v4:0`): up to 96
//   texts a call (`{texts, input_type, embedding_types}` → `{embeddings: {float: [...]}}`), `input_type`
//   defaulting to `search_document` as on Cohere's own API; the input token count comes in Bedrock's
//   `x-amzn-bedrock-input-token-count` header.
// - Cohere Rerank (`cohere.rerank-v3-5:0`): `{query, documents, top_n, api_version: 2}` → `{results}`;
//   billed per query of up to 100 documents (a search unit).
import type {
  Embedder,
  EmbeddingRequest,
  EmbeddingResult,
  OperationCall,
  Reranker,
  RerankRequest,
  RerankResult,
  Vector,
} from '../../core/embeddings.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { CallSignal } from '../../core/types.js';
import { readJsonBody, type UpstreamResponse } from '../http.js';
import { checkVectors, countOf, readScores, textInputs } from '../retrieval-wire.js';
import { invalidUpstreamResponse } from '../upstream-error.js';

/** A signed InvokeModel POST (the provider's own). */
export type InvokeModel = (
  call: { request: { model: string }; signal: CallSignal },
  body: string,
) => Promise<UpstreamResponse>;

/** Texts per Cohere Embed call on Bedrock. */
export const BEDROCK_COHERE_MAX_TEXTS = 96;
/** Titan embeds one text per call: at most this many calls at once for one request. */
const TITAN_PARALLEL = 4;
/** Documents one rerank search unit covers. */
const DOCUMENTS_PER_SEARCH = 100;
const TITAN_DIMENSIONS = new Set([256, 512, 1024]);

const isTitan = (model: string) => model.includes('amazon.titan-embed-text');
const isCohereEmbed = (model: string) => model.includes('cohere.embed');

/** Bedrock's count of the input tokens it billed, from the answer's header. */
function headerCount(res: UpstreamResponse): number | undefined {
  const raw = res.headers['x-amzn-bedrock-input-token-count'];
  const count = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isInteger(count) && count >= 0 ? count : undefined;
}

export function bedrockRetrieval(provider: string, invoke: InvokeModel): Embedder & Reranker {
  async function invokeJson(call: OperationCall<{ model: string }>, body: Record<string, unknown>) {
    const res = await invoke(call, JSON.stringify(body));
    const count = headerCount(res);
    return { answer: await readJsonBody(provider, res, call.signal), count };
  }

  async function titan(call: OperationCall<EmbeddingRequest>, texts: string[]): Promise<EmbeddingResult> {
    const { request } = call;
    const v2 = request.model.includes('-v2');
    if (request.dimensions !== undefined) {
      if (!v2) throw invalidRequest(`Model '${request.model}' has one size of embedding.`, 'dimensions');
      if (!TITAN_DIMENSIONS.has(request.dimensions))
        throw invalidRequest(
          "'dimensions' must be 256, 512 or 1024 for Titan Text Embeddings V2.",
          'dimensions',
        );
    }
    const vectors: Vector[] = new Array(texts.length);
    let tokens = 0;
    let next = 0;
    const worker = async () => {
      while (next < texts.length) {
        const index = next++;
        const body: Record<string, unknown> = { inputText: texts[index] };
        if (v2) {
          body.normalize = true;
          if (request.dimensions !== undefined) body.dimensions = request.dimensions;
        }
        const { answer } = await invokeJson(call, body);
        const fields = isObject(answer) ? answer : {};
        vectors[index] = checkVectors(provider, [fields.embedding], 1)[0]!;
        const count = countOf(fields.inputTextTokenCount);
        if (count === undefined)
          throw invalidUpstreamResponse(provider, 'the answer has no inputTextTokenCount');
        tokens += count;
      }
    };
    await Promise.all(Array.from({ length: Math.min(TITAN_PARALLEL, texts.length) }, worker));
    return { vectors, inputTokens: tokens };
  }

  async function cohere(call: OperationCall<EmbeddingRequest>, texts: string[]): Promise<EmbeddingResult> {
    const { request } = call;
    const body: Record<string, unknown> = {
      texts,
      input_type: typeof request.input_type === 'string' ? request.input_type : 'search_document',
      embedding_types: ['float'],
    };
    if (typeof request.truncate === 'string') body.truncate = request.truncate;
    if (request.dimensions !== undefined) {
      // Cohere Embed v4 has sizes; the v3 models one.
      if (!request.model.includes('embed-v4'))
        throw invalidRequest(`Model '${request.model}' has one size of embedding.`, 'dimensions');
      body.output_dimension = request.dimensions;
    }
    const { answer, count } = await invokeJson(call, body);
    const fields = isObject(answer) ? answer : {};
    const embeddings = isObject(fields.embeddings) ? fields.embeddings.float : fields.embeddings;
    return { vectors: checkVectors(provider, embeddings, texts.length), inputTokens: count };
  }

  async function embed(call: OperationCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    const { model } = call.request;
    const texts = textInputs(provider, call.request.input);
    if (isTitan(model)) return titan(call, texts);
    if (isCohereEmbed(model)) return cohere(call, texts);
    throw invalidRequest(
      `Model '${model}' is not an embedding model tokgate knows on Bedrock (Titan Text Embeddings, Cohere Embed).`,
      'model',
    );
  }

  async function rerank(call: OperationCall<RerankRequest>): Promise<RerankResult> {
    const { request } = call;
    if (!request.model.includes('cohere.rerank'))
      throw invalidRequest(
        `Model '${request.model}' is not a rerank model tokgate knows on Bedrock.`,
        'model',
      );
    const body: Record<string, unknown> = {
      query: request.query,
      documents: request.documents,
      api_version: 2,
    };
    if (request.top_n !== undefined) body.top_n = request.top_n;
    const { answer } = await invokeJson(call, body);
    const fields = isObject(answer) ? answer : {};
    return {
      scores: readScores(provider, fields.results, request.documents.length),
      tokens: undefined,
      searchUnits: Math.max(1, Math.ceil(request.documents.length / DOCUMENTS_PER_SEARCH)),
    };
  }

  return { embed, embedBatchLimit: BEDROCK_COHERE_MAX_TEXTS, rerank };
}
