// The embeddings operation's own stages: executed over the route by the router (batches split and
// merged), metered by its input tokens, and answered in OpenAI's shape with the vectors in the encoding
// the client asked for (the gateway encodes base64 itself when the upstream gave floats).
import type { Metered } from '../accounting/meter.js';
import { embeddingDemand, measureEmbedding } from '../accounting/retrieval-meter.js';
import {
  base64ToVector,
  canEmbed,
  type EmbeddingRequest,
  type EmbeddingResult,
  type Vector,
  vectorsOf,
  vectorToBase64,
} from '../core/embeddings.js';
import { runEmbeddings } from '../router/operations.js';
import { usageWithCost } from './canonical-answer.js';
import type { AnswerBody } from './front-door.js';
import type { RetrievalDoor } from './retrieval.js';

function encoded(vector: Vector, format: EmbeddingRequest['encoding_format']): Vector {
  if (format === 'base64') return typeof vector === 'string' ? vector : vectorToBase64(vector);
  return typeof vector === 'string' ? base64ToVector(vector) : vector;
}

const DATA_HEAD = '{"object":"list","data":';
const DATA_HEAD_BYTES = Buffer.from(DATA_HEAD);

/**
 * OpenAI's CreateEmbeddingResponse, the model echoed as requested, `usage.cost` as chat's. Bytes in parts
 * when the upstream's own data goes out as its bytes (an answer of hundreds of KB is then never decoded,
 * encoded or copied again), else text.
 */
export function embeddingAnswer(
  request: EmbeddingRequest,
  result: EmbeddingResult,
  metered: Metered,
): AnswerBody {
  const format = request.encoding_format ?? 'float';
  const usage = usageWithCost(metered.usage, metered);
  const tail = `,"model":${JSON.stringify(request.model)},"usage":${JSON.stringify(usage)}}`;
  // The upstream's own data in the encoding asked for: spliced in as it came.
  if (result.raw?.encoding === format) {
    const { bytes, data } = result.raw;
    return bytes ? [DATA_HEAD_BYTES, ...bytes, Buffer.from(tail)] : `${DATA_HEAD}${data}${tail}`;
  }
  const data = vectorsOf(result).map((vector, index) => ({
    object: 'embedding',
    index,
    embedding: encoded(vector, format),
  }));
  return `${DATA_HEAD}${JSON.stringify(data)}${tail}`;
}

export const embeddingStages: Omit<
  RetrievalDoor<EmbeddingRequest, EmbeddingResult>,
  'name' | 'parse' | 'errorBody'
> = {
  what: 'embeddings',
  operation: 'embedding',
  serves: canEmbed,
  demand: embeddingDemand,
  execute: runEmbeddings,
  measure: (meter, target, request, result) => measureEmbedding(meter, target, request, result.inputTokens),
  answer: (_id, request, result, metered) => embeddingAnswer(request, result, metered),
};
