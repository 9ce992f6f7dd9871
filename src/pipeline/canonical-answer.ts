// The canonical answer as the gateway gives it, whichever upstream served it: the request's own id and
// model, usage with its cost, and the fields OpenAI always sends. Doors render this in their wire format.
import type { Metered } from '../accounting/meter.js';
import { microsToUsd } from '../accounting/pricing.js';
import type { ChatResponse, Usage } from '../core/types.js';

/**
 * An answer's id: the door's prefix (`chatcmpl-`, `msg_`, `resp_`, ...) + the request id's random part, so
 * an answer names its ledger row, in every wire format.
 */
export const answerId = (prefix: string, requestId: string) =>
  `${prefix}${requestId.startsWith('req_') ? requestId.slice(4) : requestId}`;

/** `chatcmpl-` + the request id's random part: one id per request, also across chunks and providers. */
export const completionId = (requestId: string) => answerId('chatcmpl-', requestId);

/** The usage with the request's cost in USD (OpenRouter's `usage.cost`); the object is this request's own. */
export function withCost(usage: Usage, metered: Metered): Usage {
  if (metered.costMicros !== undefined) usage.cost = microsToUsd(metered.costMicros);
  return usage;
}

/** `{cost}` (USD) for answers that build their own usage object; nothing when the model is unpriced. */
export const costOf = (metered: Metered): { cost?: number } =>
  metered.costMicros === undefined ? {} : { cost: microsToUsd(metered.costMicros) };

/**
 * Token counts (and a rerank's search units) with the cost last, as answers' `usage` objects have them.
 * Written member by member: spreading `costOf` into a literal takes V8's slow path (~1 µs a request).
 */
export function usageWithCost(
  counts: { prompt_tokens: number; total_tokens: number; search_units?: number | undefined },
  metered: Metered,
): Record<string, number> {
  const usage: Record<string, number> = {
    prompt_tokens: counts.prompt_tokens,
    total_tokens: counts.total_tokens,
  };
  if (typeof counts.search_units === 'number') usage.search_units = counts.search_units;
  if (metered.costMicros !== undefined) usage.cost = microsToUsd(metered.costMicros);
  return usage;
}

/** Finishes an upstream's answer in place. */
export function finishResponse(
  response: ChatResponse,
  requestId: string,
  model: string,
  metered: Metered,
): ChatResponse {
  for (const choice of response.choices) {
    // OpenAI always sends these (null when empty); not every provider does.
    choice.message.refusal ??= null;
    choice.logprobs ??= null;
  }
  response.id = completionId(requestId);
  response.model = model;
  response.usage = withCost(metered.usage, metered);
  // Set to undefined rather than deleted: `delete` drops V8 into slow dictionary objects, which serialise
  // at half the speed.
  if (response.system_fingerprint === null)
    (response as { system_fingerprint?: unknown }).system_fingerprint = undefined;
  return response;
}
