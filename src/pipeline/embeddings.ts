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
  vectorToBase64,
} from '../core/embeddings.js';
import { runEmbeddings } from '../router/operations.js';
import { costOf } from './canonical-answer.js';
import type { RetrievalDoor } from './retrieval.js';

function encoded(vector: Vector, format: EmbeddingRequest['encoding_format']): Vector {
  if (format === 'base64') return typeof vector === 'string' ? vector : vectorToBase64(vector);
  return typeof vector === 'string' ? base64ToVector(vector) : vector;
}

/** OpenAI's CreateEmbeddingResponse, the model echoed as requested, `usage.cost` as chat's. */
export function embeddingAnswer(
  request: EmbeddingRequest,
  result: EmbeddingResult,
  metered: Metered,
): string {
  const format = request.encoding_format;
  const data = result.vectors.map((vector, index) => ({
    object: 'embedding',
    index,
    embedding: encoded(vector, format),
  }));
  const { prompt_tokens, total_tokens } = metered.usage;
  const usage = { prompt_tokens, total_tokens, ...costOf(metered) };
  return JSON.stringify({ object: 'list', data, model: request.model, usage });
}

export const embeddingStages: Omit<
  RetrievalDoor<EmbeddingRequest, EmbeddingResult>,
  'name' | 'parse' | 'errorBody'
> = {
  operation: 'embedding',
  serves: canEmbed,
  demand: embeddingDemand,
  execute: runEmbeddings,
  measure: (meter, target, request, result) => measureEmbedding(meter, target, request, result.inputTokens),
  answer: (_id, request, result, metered) => embeddingAnswer(request, result, metered),
};
