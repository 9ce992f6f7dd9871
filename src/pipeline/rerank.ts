// The rerank operation's own stages: executed over the route by the router, metered per token or per
// search unit as the model is priced, and answered in TokModel's shape (Cohere's): every score sorted
// from the most relevant, cut to `top_n`, each with its document as `{text}` when asked for.
import type { Metered } from '../accounting/meter.js';
import { measureRerank, rerankDemand } from '../accounting/retrieval-meter.js';
import { canRerank, type RerankRequest, type RerankResult } from '../core/embeddings.js';
import { runRerank } from '../router/operations.js';
import { answerId, usageWithCost } from './canonical-answer.js';
import type { RetrievalDoor } from './retrieval.js';

/** `rerank-` + the request id's own part: one id per request, as chat's `chatcmpl-`. */
export const rerankId = (requestId: string) => answerId('rerank-', requestId);

export function rerankAnswer(
  requestId: string,
  request: RerankRequest,
  result: RerankResult,
  metered: Metered,
): string {
  // An upstream may send fewer (its own top_n) or repeat one: each document at most once, best first.
  const seen = new Set<number>();
  const scores = result.scores.filter((s) => !seen.has(s.index) && seen.add(s.index));
  scores.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
  const kept = request.top_n === undefined ? scores : scores.slice(0, request.top_n);
  const results = kept.map(({ index, relevance_score }) =>
    request.return_documents
      ? { index, relevance_score, document: { text: request.documents[index]! } }
      : { index, relevance_score },
  );
  const usage = usageWithCost(metered.usage, metered);
  return JSON.stringify({
    id: rerankId(requestId),
    model: request.model,
    results,
    meta: cohereMeta(metered),
    usage,
  });
}

/**
 * Cohere's `meta` (v2 rerank: `billed_units`), which Cohere's clients require in the answer (the AI SDK's
 * Cohere provider refuses one without it): what the request was billed in, as Cohere names the units.
 */
function cohereMeta(metered: Metered): { billed_units: Record<string, number> } {
  const { prompt_tokens: tokens, search_units: searchUnits } = metered.usage;
  const billed: Record<string, number> = {};
  if (typeof searchUnits === 'number') billed.search_units = searchUnits;
  else if (tokens > 0) billed.input_tokens = tokens;
  return { billed_units: billed };
}

export const rerankStages: Omit<
  RetrievalDoor<RerankRequest, RerankResult>,
  'name' | 'parse' | 'errorBody'
> = {
  what: 'rerank',
  operation: 'rerank',
  serves: canRerank,
  demand: rerankDemand,
  execute: runRerank,
  measure: measureRerank,
  answer: rerankAnswer,
};
