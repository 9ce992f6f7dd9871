// OpenAI's Responses API passed through (core/native.ts): a `/v1/responses` request sent to an upstream that
// has the API itself (OpenAI, Azure OpenAI's v1 surface, a server configured with `responses: true`) goes
// as the client sent it, with the upstream's model name and the output cap admission allows. The answer is
// read into the canonical chat shapes (metering, the ledger, the cache read those) and rides along as the
// upstream's own; a stream's events ride along on the chunks they make, so the door relays them as they came.
import { attachNativeAnswer, attachRelayed, type NativeRequest } from '../../core/native.js';
import { jsonBody } from '../../core/raw-json.js';
import { TextRunDelta, withTextRun } from '../../core/relayed-chunk.js';
import type {
  ChatChunk,
  ChatResponse,
  ChunkDelta,
  FinishReason,
  ToolCall,
  UpstreamCall,
  Usage,
} from '../../core/types.js';
import {
  type HttpClient,
  isAbort,
  streamBody,
  transportError,
  type UpstreamResponse,
  upstreamJson,
} from '../http.js';
import { eventJson, type TakenRun, translateReads } from '../sse.js';
import { responsesTextDelta, responsesTextRun } from '../text-delta.js';
import { fromUpstreamStatus, invalidUpstreamResponse } from '../upstream-error.js';
import { parseUpstream } from '../wire-schema.js';
import { type ResponsesAnswer, type ResponsesUsage, responsesAnswerSchema } from './openai-api.js';
import { openaiHttpError } from './openai-error.js';

export const RESPONSES_PROTOCOL = 'openai-responses';

/** Events that end a Responses stream with an answer (`response.failed` ends it with an error). */
const TERMINAL = new Set(['response.completed', 'response.incomplete']);

/**
 * The events `ResponsesEvents.translate` reads. Any other says nothing the canonical chunks carry (the
 * `done` events repeat the text their deltas gave, the whole text each): relayed without a parse.
 */
const READ_EVENTS = new Set([
  ...TERMINAL,
  'error',
  'response.failed',
  'response.created',
  'response.output_text.delta',
  'response.refusal.delta',
  'response.reasoning_summary_text.delta',
  'response.reasoning_text.delta',
  'response.output_item.added',
  'response.function_call_arguments.delta',
]);

/** Chat usage from the Responses API's: its input and output counts include the cached and reasoning ones. */
export function usageOfResponse(usage: ResponsesUsage | null | undefined): Usage | undefined {
  if (!usage) return undefined;
  const out: Usage = {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.total_tokens ?? usage.input_tokens + usage.output_tokens,
  };
  const cached = usage.input_tokens_details?.cached_tokens;
  if (typeof cached === 'number') out.prompt_tokens_details = { cached_tokens: cached };
  const reasoning = usage.output_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') out.completion_tokens_details = { reasoning_tokens: reasoning };
  return out;
}

function finishOf(
  answer: Pick<ResponsesAnswer, 'status' | 'incomplete_details'>,
  toolCalls: number,
): FinishReason {
  if (answer.status === 'incomplete')
    return answer.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length';
  return toolCalls > 0 ? 'tool_calls' : 'stop';
}

/** The canonical answer a Response amounts to: its message text, function calls and reasoning summary. */
export function chatOfResponse(answer: ResponsesAnswer): ChatResponse {
  let text = '';
  let reasoning = '';
  let refusal: string | null = null;
  const toolCalls: ToolCall[] = [];
  for (const item of answer.output) {
    if (item.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content as Array<Record<string, unknown>>) {
        if (part.type === 'output_text' && typeof part.text === 'string') text += part.text;
        else if (part.type === 'refusal' && typeof part.refusal === 'string') refusal = part.refusal;
      }
    } else if (item.type === 'function_call') {
      toolCalls.push({
        id: String(item.call_id ?? ''),
        type: 'function',
        function: { name: String(item.name ?? ''), arguments: String(item.arguments ?? '') },
      });
    } else if (item.type === 'reasoning' && Array.isArray(item.summary)) {
      for (const part of item.summary as Array<{ text?: unknown }>)
        if (typeof part.text === 'string') reasoning += part.text;
    }
  }
  const response: ChatResponse = {
    id: `chatcmpl-${answer.id}`,
    object: 'chat.completion',
    created: answer.created_at ?? Math.floor(Date.now() / 1000),
    model: answer.model ?? '',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          refusal,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishOf(answer, toolCalls.length),
      },
    ],
  };
  const usage = usageOfResponse(answer.usage);
  if (usage) response.usage = usage;
  return response;
}

/** Status codes for the error codes a Responses stream fails with (as its HTTP errors would carry them). */
function statusOfCode(code: unknown): number {
  if (code === 'rate_limit_exceeded' || code === 'insufficient_quota') return 429;
  if (code === 'context_length_exceeded' || code === 'invalid_prompt' || code === 'invalid_request_error')
    return 400;
  return 500;
}

/** A stream that failed after its 200: `response.failed` or an `error` event. */
function streamFailure(provider: string, event: Record<string, unknown>) {
  const failed = event.response as { error?: { code?: unknown; message?: unknown } | null } | undefined;
  const detail = (failed ? failed.error : event) ?? {};
  const code = typeof detail.code === 'string' ? detail.code : null;
  const message = typeof detail.message === 'string' ? detail.message : 'the response failed';
  return fromUpstreamStatus(provider, statusOfCode(code), {}, { message, code });
}

/** Responses stream events → canonical chunks, each event kept with the chunk it made (see the module comment). */
export class ResponsesEvents {
  finished = false;
  private chunkId = '';
  private created = Math.floor(Date.now() / 1000);
  /** Function-call item id → its chat tool-call index. */
  private readonly calls = new Map<string, number>();

  constructor(
    private readonly provider: string,
    private model: string,
  ) {}

  take(data: string, name: string | undefined, batch: ChatChunk[]): 'end' | undefined {
    // Most events are text deltas: read in their usual spelling without a parse.
    const textDelta = this.chunkId === '' ? undefined : responsesTextDelta(data);
    if (textDelta !== undefined) {
      batch.push(textDelta === '' ? this.chunk({}, null, true) : this.chunk({ content: textDelta }));
      attachRelayed(
        batch.at(-1)!,
        RESPONSES_PROTOCOL,
        `event: response.output_text.delta\ndata: ${data}\n\n`,
      );
      return undefined;
    }
    // An event the translation does not read, whose data names the type its SSE name does: as it came.
    if (
      name !== undefined &&
      !READ_EVENTS.has(name) &&
      data.slice(0, name.length + 10) === `{"type":"${name}"`
    ) {
      batch.push(this.chunk({}, null, true));
      attachRelayed(batch.at(-1)!, RESPONSES_PROTOCOL, `event: ${name}\ndata: ${data}\n\n`);
      return undefined;
    }
    const event = eventJson(this.provider, data) as Record<string, unknown> | null;
    const type = typeof event?.type === 'string' ? event.type : name;
    if (!event || type === undefined) throw invalidUpstreamResponse(this.provider, 'an event without a type');
    if (type === 'error' || type === 'response.failed') throw streamFailure(this.provider, event);
    const before = batch.length;
    const end = this.translate(type, event, batch);
    if (batch.length === before) batch.push(this.chunk({}, null, true));
    attachRelayed(batch[before]!, RESPONSES_PROTOCOL, `event: ${type}\ndata: ${data}\n\n`);
    return end;
  }

  /**
   * The plain text deltas that stand one after another from `at` in a read's text, as one chunk that
   * relays them as they came (sse.ts, `translateReads`); undefined before response.created (the chunks'
   * id comes from it) or when the first event there is not one.
   */
  run(text: string, at: number): TakenRun | undefined {
    if (this.chunkId === '') return undefined;
    const taken = responsesTextRun(text, at);
    if (taken === undefined) return undefined;
    const chunk = withTextRun(this.chunk(new TextRunDelta(taken.run)), taken.run);
    attachRelayed(chunk, RESPONSES_PROTOCOL, taken.run.text);
    return { chunk, end: taken.end };
  }

  private chunk(delta: ChunkDelta, finish: FinishReason | null = null, carrier = false): ChatChunk {
    return {
      id: this.chunkId,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: carrier ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
  }

  private translate(type: string, event: Record<string, unknown>, batch: ChatChunk[]): 'end' | undefined {
    const delta = typeof event.delta === 'string' ? event.delta : '';
    switch (type) {
      case 'response.created': {
        const response = event.response as Partial<ResponsesAnswer> | undefined;
        this.chunkId = `chatcmpl-${response?.id ?? ''}`;
        this.model = response?.model || this.model;
        if (typeof response?.created_at === 'number') this.created = response.created_at;
        batch.push(this.chunk({ role: 'assistant', content: '' }));
        return undefined;
      }
      case 'response.output_text.delta':
        if (delta) batch.push(this.chunk({ content: delta }));
        return undefined;
      case 'response.refusal.delta':
        if (delta) batch.push(this.chunk({ refusal: delta }));
        return undefined;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        if (delta) batch.push(this.chunk({ reasoning_content: delta }));
        return undefined;
      case 'response.output_item.added': {
        const item = event.item as Record<string, unknown> | undefined;
        if (item?.type !== 'function_call') return undefined;
        const index = this.calls.size;
        this.calls.set(String(item.id), index);
        const call = { name: String(item.name ?? ''), arguments: '' };
        batch.push(
          this.chunk({
            tool_calls: [{ index, id: String(item.call_id ?? ''), type: 'function', function: call }],
          }),
        );
        return undefined;
      }
      case 'response.function_call_arguments.delta': {
        const index = this.calls.get(String(event.item_id));
        if (index !== undefined && delta)
          batch.push(this.chunk({ tool_calls: [{ index, function: { arguments: delta } }] }));
        return undefined;
      }
      default: {
        if (!TERMINAL.has(type)) return undefined;
        const answer = parseUpstream(
          this.provider,
          responsesAnswerSchema,
          event.response,
          `a '${type}' event without its response`,
        );
        this.finished = true;
        batch.push(this.chunk({}, finishOf(answer, this.calls.size)));
        const usage = usageOfResponse(answer.usage);
        if (usage) batch.push({ ...this.chunk({}), choices: [], usage });
        return 'end';
      }
    }
  }
}

/** Where and how a provider sends Responses requests. */
export interface ResponsesEndpoint {
  url: URL;
  headers: Record<string, string>;
  streamHeaders: Record<string, string>;
}

/** The client's body with the upstream's model, admission's output cap, and `stream` as this call wants. */
function upstreamBody(call: UpstreamCall, native: NativeRequest, stream: boolean): string | Buffer {
  const body: Record<string, unknown> = { ...native.body, model: call.request.model };
  const cap = call.request.max_completion_tokens ?? call.request.max_tokens;
  if (typeof cap === 'number') body.max_output_tokens = cap;
  if (stream) body.stream = true;
  else delete body.stream;
  return jsonBody(body);
}

export function openaiResponses(provider: string, http: HttpClient, endpoint: ResponsesEndpoint) {
  /** Opens a stream (whole answers go through `requestWhole` in `complete`). */
  async function openStream(call: UpstreamCall, native: NativeRequest): Promise<UpstreamResponse> {
    const res = await http.request(
      provider,
      endpoint.url,
      endpoint.streamHeaders,
      upstreamBody(call, native, true),
      call.signal,
    );
    if (res.status >= 200 && res.status < 300) return res;
    throw await openaiHttpError(provider, res);
  }

  async function complete(call: UpstreamCall, native: NativeRequest): Promise<ChatResponse> {
    const res = await http.requestWhole(
      provider,
      endpoint.url,
      endpoint.headers,
      upstreamBody(call, native, false),
      call.signal,
    );
    if (res.status < 200 || res.status >= 300) throw await openaiHttpError(provider, res);
    const text = res.body.toString('utf8');
    const parsed = upstreamJson(provider, text);
    const answer = parseUpstream(provider, responsesAnswerSchema, parsed, 'the answer is not a response');
    const response = chatOfResponse(answer);
    attachNativeAnswer(response, RESPONSES_PROTOCOL, parsed, text);
    return response;
  }

  async function* stream(call: UpstreamCall, native: NativeRequest): AsyncGenerator<ChatChunk[]> {
    const body = streamBody(await openStream(call, native));
    const events = new ResponsesEvents(provider, call.request.model);
    try {
      // Runs of plain text deltas are taken whole, without the SSE parser (text-delta.ts).
      const ended = yield* translateReads(
        body.reads,
        (sse, batch) => events.take(sse.data, sse.event, batch),
        (text, at) => events.run(text, at),
      );
      if (!ended) throw invalidUpstreamResponse(provider, 'the stream ended before response.completed');
    } catch (error) {
      if (isAbort(error) || call.signal.aborted) throw error;
      throw transportError(error, provider);
    } finally {
      body.release(events.finished);
    }
  }

  return { complete, stream };
}
