// The Response object (OpenAI's `Response` schema) as the gateway gives it: what the request asked for,
// echoed with OpenAI's defaults, around the output items and the usage. One builder for JSON answers,
// stream events and stored responses, so all three agree.
import { rawTopLevelSpans } from '../../core/raw-json.js';
import type { Usage } from '../../core/types.js';
import { answerId } from '../../pipeline/canonical-answer.js';
import type { ResponsesRequest } from './request.js';
import type { NamespacedName } from './tools.js';

export type OutputItem = Record<string, unknown> & { type: string; id: string };

/** What one request's answer is built from, whichever way it goes out. */
export interface ResponseContext {
  /** `resp_` + the gateway's request id. */
  id: string;
  request: ResponsesRequest;
  /** Chat function names that stand for functions in a namespace (see tools.ts). */
  namespaced: ReadonlyMap<string, NamespacedName>;
  /** Built-in tools the request listed that were dropped: not echoed as offered. */
  offeredTools: unknown[];
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
  /** tokgate extension, as chat's usage.cost: what the request cost, in USD. */
  cost?: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseState {
  createdAt: number;
  status: ResponseStatus;
  output: OutputItem[];
  usage?: ResponseUsage | null;
  incompleteReason?: 'max_output_tokens' | 'content_filter';
  error?: { code: string; message: string } | null;
}

/** `resp_` and the request id's random part, as chat's `chatcmpl-` ids are made. */
export const responseId = (requestId: string) => answerId('resp_', requestId);

/** The response id of the request whose canonical answer has this `chatcmpl-` id (the same random part). */
export const responseIdOfCompletion = (completionId: string) =>
  `resp_${completionId.startsWith('chatcmpl-') ? completionId.slice('chatcmpl-'.length) : completionId}`;

/** An output item's id: its kind's prefix, the response's random part and its position. */
export const itemId = (responseId: string, prefix: 'msg' | 'fc' | 'rs', index: number) =>
  `${prefix}_${responseId.slice('resp_'.length)}${index.toString(16).padStart(4, '0')}`;

const numberOr0 = (value: unknown) => (typeof value === 'number' ? value : 0);

export function responseUsage(usage: Usage): ResponseUsage {
  const out: ResponseUsage = {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: {
      cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      cache_write_tokens: numberOr0(usage.prompt_tokens_details?.cache_write_tokens),
    },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
  if (usage.cost !== undefined) out.cost = usage.cost;
  return out;
}

export function responseObject(context: ResponseContext, state: ResponseState): Record<string, unknown> {
  const { request } = context;
  const done = state.status !== 'in_progress';
  return {
    id: context.id,
    object: 'response',
    created_at: state.createdAt,
    status: state.status,
    background: false,
    completed_at: state.status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    error: state.error ?? null,
    incomplete_details: state.incompleteReason ? { reason: state.incompleteReason } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: null,
    model: request.model,
    output: state.output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    prompt_cache_key: request.prompt_cache_key ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    safety_identifier: request.safety_identifier ?? null,
    service_tier: 'default',
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: {
      format: request.text?.format ?? { type: 'text' },
      verbosity: request.text?.verbosity ?? 'medium',
    },
    tool_choice: request.tool_choice ?? 'auto',
    tools: context.offeredTools,
    top_logprobs: 0,
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    // An object or absent: a response still in progress has none yet.
    ...(done && state.usage ? { usage: state.usage } : {}),
    // A string or absent (the spec has no null here).
    ...(request.user != null ? { user: request.user } : {}),
    metadata: request.metadata ?? {},
  };
}

/**
 * An upstream's own Response (passed through) as the gateway answers it: the gateway's id, the client's model
 * and conversation, and the cost in `usage`; everything else as the upstream sent it.
 */
export function asGateways(
  upstream: Record<string, unknown>,
  context: ResponseContext,
  cost: number | undefined,
): Record<string, unknown> {
  const usage = upstream.usage as Record<string, unknown> | null | undefined;
  return {
    ...upstream,
    id: context.id,
    model: context.request.model,
    previous_response_id: context.request.previous_response_id ?? null,
    ...(usage && cost !== undefined ? { usage: { ...usage, cost } } : {}),
  };
}

/**
 * A relayed event's data (`{"type":…,"response":{…},…}`, its JSON text) with the Response made the gateway's
 * as `asGateways` makes it (with `cost` in its usage when given: the terminal event), spliced into the
 * text rather than parsed and serialised again: an agent's Response echoes its tools and instructions, tens
 * of KB, in every such event. Also the Response's own text (to store) and `created_at`. Undefined when the
 * text is not of that shape (no Response object, or one without an id or a model): the caller parses it.
 */
export function asGatewaysInText(
  data: string,
  context: ResponseContext,
  cost?: number,
): { data: string; response: string; createdAt: number | undefined } | undefined {
  const outer = rawTopLevelSpans(data, ['response'])?.get('response');
  if (outer === undefined || data.charCodeAt(outer[0]) !== OPEN_BRACE) return undefined;
  const spliced = responseAsGatewaysInText(data.slice(outer[0], outer[1]), context, cost);
  if (spliced === undefined) return undefined;
  return {
    data: data.slice(0, outer[0]) + spliced.text + data.slice(outer[1]),
    response: spliced.text,
    createdAt: spliced.createdAt,
  };
}

/**
 * A relayed event's data with its Response made the gateway's: spliced (`asGatewaysInText`), or, for a
 * Response of another shape, parsed and rewritten (`asGateways`; the Response then as an object, serialised
 * only if it is stored).
 */
export function eventAsGateways(
  data: string,
  context: ResponseContext,
  cost?: number,
): { data: string; response: string | Record<string, unknown>; createdAt: number | undefined } {
  const spliced = asGatewaysInText(data, context, cost);
  if (spliced !== undefined) return spliced;
  const event = JSON.parse(data) as Record<string, unknown>;
  const upstream = event.response as Record<string, unknown> | undefined;
  const response = asGateways(upstream ?? {}, context, cost);
  return {
    data: JSON.stringify({ ...event, response }),
    response,
    createdAt: typeof upstream?.created_at === 'number' ? upstream.created_at : undefined,
  };
}

/**
 * A Response's JSON text (an upstream's whole answer, or the one in an event) made the gateway's as
 * `asGateways` makes it, by splicing; undefined when it is not a Response object with an id and a model.
 */
export function responseAsGatewaysInText(
  response: string,
  context: ResponseContext,
  cost?: number,
): { text: string; createdAt: number | undefined } | undefined {
  const spans = rawTopLevelSpans(response, ['id', 'model', 'previous_response_id', 'created_at', 'usage']);
  const id = spans?.get('id');
  const model = spans?.get('model');
  if (spans === undefined || id === undefined || model === undefined) return undefined;
  const previous = JSON.stringify(context.request.previous_response_id ?? null);
  const edits: Array<[number, number, string]> = [
    [id[0], id[1], JSON.stringify(context.id)],
    [model[0], model[1], JSON.stringify(context.request.model)],
  ];
  const previousSpan = spans.get('previous_response_id');
  if (previousSpan) edits.push([previousSpan[0], previousSpan[1], previous]);
  else {
    // Absent: added last, as the object spread in asGateways adds it.
    const close = response.lastIndexOf('}');
    edits.push([close, close, `,"previous_response_id":${previous}`]);
  }
  const usage = spans.get('usage');
  if (cost !== undefined && usage !== undefined && response.charCodeAt(usage[0]) === OPEN_BRACE) {
    // The counts as the upstream wrote them, and the cost (a small object, parsed on its own).
    const counts = JSON.parse(response.slice(usage[0], usage[1])) as Record<string, unknown>;
    counts.cost = cost;
    edits.push([usage[0], usage[1], JSON.stringify(counts)]);
  }
  edits.sort((a, b) => a[0] - b[0]);
  let rewritten = '';
  let at = 0;
  for (const [start, end, text] of edits) {
    rewritten += response.slice(at, start) + text;
    at = end;
  }
  rewritten += response.slice(at);
  const created = spans.get('created_at');
  const createdAt = created === undefined ? undefined : Number(response.slice(created[0], created[1]));
  return { text: rewritten, createdAt: Number.isSafeInteger(createdAt) ? createdAt : undefined };
}

const OPEN_BRACE = 123;
