// The Anthropic Messages API (POST {ANTHROPIC_BASE_URL}/v1/messages): the canonical request is translated
// by convert-to-anthropic-messages.ts (rules in parameters.ts), and the Message or the SSE events are
// translated back to chat.completion / chat.completion.chunk objects exactly like OpenAI's.

import type { EventSourceMessage } from 'eventsource-parser';
import type { ProviderSettings } from '../../config/config.js';
import { attachNativeAnswer, attachRelayed, type NativeRequest, nativeRequestOf } from '../../core/native.js';
import { stringifyJson } from '../../core/raw-json.js';
import type {
  CallSignal,
  ChatChunk,
  ChatRequest,
  ChatResponse,
  ChunkDelta,
  FinishReason,
  Provider,
  ToolCall,
  UpstreamCall,
  Usage,
} from '../../core/types.js';
import { type HttpClient, isAbort, readJsonBody, transportError, type UpstreamResponse } from '../http.js';
import { eventJson, readSseEvents, translateBatches } from '../sse.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { parseUpstream } from '../wire-schema.js';
import {
  ANTHROPIC_VERSION,
  type AnthropicUsage,
  anthropicMessageSchema,
  anthropicStreamEventSchema,
  type ResponseMessage,
} from './anthropic-api.js';
import { anthropicHttpError, anthropicStreamError } from './anthropic-error.js';
import { type ConvertedRequest, convertToAnthropicRequest } from './convert-to-anthropic-messages.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';

/** OpenAI usage from Anthropic's: cache reads and writes are prompt tokens too (Anthropic counts them apart). */
export function toUsage(usage: AnthropicUsage | null | undefined): Usage | undefined {
  const input = usage?.input_tokens;
  const output = usage?.output_tokens;
  if (input == null || output == null) return undefined;
  const cacheRead = usage?.cache_read_input_tokens ?? undefined;
  const cacheWrite = usage?.cache_creation_input_tokens ?? undefined;
  // Writes to the 1-hour cache cost more than those to the 5-minute one (see accounting/pricing.ts).
  const hourWrites = usage?.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const prompt = input + (cacheRead ?? 0) + (cacheWrite ?? 0);
  const out: Usage = { prompt_tokens: prompt, completion_tokens: output, total_tokens: prompt + output };
  if (cacheRead !== undefined || cacheWrite !== undefined) {
    out.prompt_tokens_details = {
      ...(cacheRead === undefined ? {} : { cached_tokens: cacheRead }),
      ...(cacheWrite === undefined ? {} : { cache_write_tokens: cacheWrite }),
      ...(hourWrites > 0 ? { cache_write_1h_tokens: hourWrites } : {}),
    };
  }
  return out;
}

/** The counts `next` reports replace those of `base`; one it leaves out or sends as null does not. */
function mergeUsage(base: AnthropicUsage, next: AnthropicUsage | null | undefined): AnthropicUsage {
  if (!next) return base;
  return {
    input_tokens: next.input_tokens ?? base.input_tokens,
    output_tokens: next.output_tokens ?? base.output_tokens,
    cache_read_input_tokens: next.cache_read_input_tokens ?? base.cache_read_input_tokens,
    cache_creation_input_tokens: next.cache_creation_input_tokens ?? base.cache_creation_input_tokens,
    cache_creation: next.cache_creation ?? base.cache_creation,
  };
}

/** A forced JSON tool's stop is the end of the answer, not a request to call a tool. */
function finishReason(stopReason: string | null, jsonAnswered: boolean, toolCalls: number): FinishReason {
  if (jsonAnswered && toolCalls === 0 && stopReason === 'tool_use') return 'stop';
  return mapAnthropicFinishReason(stopReason);
}

export function toChatResponse(message: ResponseMessage, jsonTool: string | undefined): ChatResponse {
  let text = '';
  let json: string | undefined;
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') {
      const args = JSON.stringify(block.input ?? {});
      if (jsonTool !== undefined && block.name === jsonTool) json = args;
      else
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: args } });
    }
  }
  const content = json ?? (text === '' && toolCalls.length > 0 ? null : text);
  const response: ChatResponse = {
    id: `chatcmpl-${message.id ?? ''}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: message.model ?? '',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(message.stop_reason ?? null, json !== undefined, toolCalls.length),
      },
    ],
  };
  const usage = toUsage(message.usage);
  if (usage) response.usage = usage;
  return response;
}

/** The Messages API at another address (Vertex AI: the model in the URL, the version in the body). */
export interface AnthropicWire {
  url(model: string, stream: boolean): URL;
  body(body: Record<string, unknown>): Record<string, unknown>;
}

export function createAnthropicProvider(
  settings: ProviderSettings,
  http: HttpClient,
  wire?: AnthropicWire,
): Provider {
  const { id } = settings;
  const url = new URL(`${settings.baseUrl}/v1/messages`);
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    ...settings.headers,
  };
  if (settings.apiKey) baseHeaders['x-api-key'] = settings.apiKey;
  const streamHeaders = { ...baseHeaders, accept: 'text/event-stream' };
  const jsonHeaders = { ...baseHeaders, accept: 'application/json' };

  /** POSTs a Messages body (to Vertex's publisher path and in its body shape when `wire` says so). */
  async function post(
    call: UpstreamCall,
    stream: boolean,
    headers: Record<string, string>,
    body: Record<string, unknown>,
  ): Promise<UpstreamResponse> {
    const target = wire ? wire.url(call.request.model, stream) : url;
    const payload = stringifyJson(wire ? wire.body(body) : body);
    const res = await http.request(id, target, headers, payload, call.signal);
    if (res.status >= 200 && res.status < 300) return res;
    throw await anthropicHttpError(id, res);
  }

  /** The canonical request translated to a Messages body. */
  function send(call: UpstreamCall, converted: ConvertedRequest, stream: boolean): Promise<UpstreamResponse> {
    const body = stream ? { ...converted.body, stream: true } : converted.body;
    return post(call, stream, stream ? streamHeaders : jsonHeaders, body);
  }

  /**
   * A Messages request passed through (see core/native.ts): the client's body as sent, with the upstream's
   * model name and the max_tokens admission allows; its `anthropic-beta` (and `anthropic-version`) go
   * along, since Anthropic refuses beta-only fields without them.
   */
  function sendNative(call: UpstreamCall, native: NativeRequest, stream: boolean): Promise<UpstreamResponse> {
    const body: Record<string, unknown> = { ...native.body, model: call.request.model };
    if (typeof call.request.max_tokens === 'number') body.max_tokens = call.request.max_tokens;
    if (stream) body.stream = true;
    else delete body.stream;
    const headers = { ...(stream ? streamHeaders : jsonHeaders), ...native.headers };
    return post(call, stream, headers, body);
  }

  const countUrl = new URL(`${settings.baseUrl}/v1/messages/count_tokens`);

  /** Anthropic's count of a passed-through request (POST /v1/messages/count_tokens). */
  async function countTokens(request: ChatRequest, signal: CallSignal): Promise<number> {
    const native = nativeRequestOf(request, 'anthropic-messages');
    if (!native) throw new Error('countTokens needs a Messages request');
    const body: Record<string, unknown> = { ...native.body, model: request.model };
    delete body.max_tokens;
    delete body.stream;
    const headers = { ...jsonHeaders, ...native.headers };
    const res = await http.request(id, countUrl, headers, stringifyJson(body), signal);
    if (res.status < 200 || res.status >= 300) throw await anthropicHttpError(id, res);
    const parsed = await readJsonBody(id, res, signal);
    const count = (parsed as { input_tokens?: unknown } | null)?.input_tokens;
    if (typeof count !== 'number') throw invalidUpstreamResponse(id, 'the answer has no input_tokens');
    return count;
  }

  async function complete(call: UpstreamCall): Promise<ChatResponse> {
    const native = nativeRequestOf(call.request, 'anthropic-messages');
    const converted = native ? undefined : convertToAnthropicRequest(call.request, id, call.warnings);
    const res = await (converted ? send(call, converted, false) : sendNative(call, native!, false));
    const parsed = await readJsonBody(id, res, call.signal);
    const message = parseUpstream(id, anthropicMessageSchema, parsed, 'the answer is not a message');
    const response = toChatResponse(message, converted?.jsonTool);
    if (native) attachNativeAnswer(response, 'anthropic-messages', parsed);
    return response;
  }

  async function* stream(call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
    const native = nativeRequestOf(call.request, 'anthropic-messages');
    const converted = native ? undefined : convertToAnthropicRequest(call.request, id, call.warnings);
    const res = await (converted ? send(call, converted, true) : sendNative(call, native!, true));
    const jsonToolName = converted?.jsonTool;
    const created = Math.floor(Date.now() / 1000);
    let chunkId = '';
    let model = call.request.model;
    let usage: AnthropicUsage = {};
    let stopReason: string | null = null;
    let jsonAnswered = false;
    /** Content block index → what its deltas become. */
    const blocks = new Map<number, { kind: 'text' } | { kind: 'json' } | { kind: 'tool'; index: number }>();
    let toolCalls = 0;
    let finished = false;

    const chunk = (delta: ChunkDelta, finish: FinishReason | null = null, carrier = false): ChatChunk => ({
      id: chunkId,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: carrier ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });

    /**
     * Passing through: every upstream event rides on the chunk it made, or on a chunk of its own (no
     * choices) when it made none, so the door can relay the events as they came. message_stop is the
     * door's to send, once the ledger row is safe.
     */
    const relay = (sse: EventSourceMessage, batch: ChatChunk[], before: number) => {
      if (sse.event === 'message_stop') return;
      const framed = `event: ${sse.event ?? 'message'}\ndata: ${sse.data}\n\n`;
      if (batch.length === before) batch.push(chunk({}, null, true));
      attachRelayed(batch[before]!, 'anthropic-messages', framed);
    };

    try {
      const stopped = yield* translateBatches(readSseEvents(res.body), (sse, batch) => {
        if (!native) return translate(sse, batch);
        const before = batch.length;
        const result = translate(sse, batch);
        relay(sse, batch, before);
        return result;
      });
      if (!stopped) throw invalidUpstreamResponse(id, 'the stream ended before message_stop');
    } catch (error) {
      if (isAbort(error) || call.signal.aborted) throw error;
      throw transportError(error, id);
    } finally {
      // Stop reading from the upstream when the consumer stops early (client gone, error).
      if (!finished) res.body.destroy();
    }

    function translate(sse: EventSourceMessage, batch: ChatChunk[]): 'end' | undefined {
      const result = anthropicStreamEventSchema.safeParse(eventJson(id, sse.data));
      // Not parseUpstream: the message is built only when it is needed, not once per event.
      if (!result.success) {
        throw invalidUpstreamResponse(id, `a malformed '${sse.event ?? 'message'}' event`);
      }
      const event = result.data;
      if (event.type === 'error') throw anthropicStreamError(id, event.error);
      if (event.type !== 'message_start' && chunkId === '') {
        if (event.type === 'ping' || event.type === 'unknown') return undefined;
        throw invalidUpstreamResponse(id, `'${event.type}' before message_start`);
      }
      switch (event.type) {
        case 'message_start':
          chunkId = `chatcmpl-${event.message.id ?? ''}`;
          model = event.message.model || model;
          usage = event.message.usage ?? {};
          batch.push(chunk({ role: 'assistant', content: '' }));
          break;
        case 'content_block_start': {
          const { content_block: block, index } = event;
          if (block.type === 'text') {
            blocks.set(index, { kind: 'text' });
            if (block.text !== '') batch.push(chunk({ content: block.text }));
          } else if (block.type === 'tool_use' && block.name === jsonToolName) {
            blocks.set(index, { kind: 'json' });
            jsonAnswered = true;
          } else if (block.type === 'tool_use') {
            const toolIndex = toolCalls++;
            blocks.set(index, { kind: 'tool', index: toolIndex });
            batch.push(
              chunk({
                tool_calls: [
                  {
                    index: toolIndex,
                    id: block.id,
                    type: 'function',
                    function: { name: block.name, arguments: '' },
                  },
                ],
              }),
            );
          }
          break;
        }
        case 'content_block_delta': {
          const target = blocks.get(event.index);
          const { delta } = event;
          if (
            delta.type === 'text_delta' &&
            (target === undefined || target.kind === 'text') &&
            delta.text !== ''
          ) {
            batch.push(chunk({ content: delta.text }));
          } else if (delta.type === 'input_json_delta' && delta.partial_json !== '') {
            if (target?.kind === 'json') batch.push(chunk({ content: delta.partial_json }));
            else if (target?.kind === 'tool') {
              batch.push(
                chunk({
                  tool_calls: [{ index: target.index, function: { arguments: delta.partial_json } }],
                }),
              );
            }
          } else if (delta.type === 'thinking_delta' && delta.thinking !== '') {
            batch.push(chunk({ reasoning_content: delta.thinking }));
          }
          break;
        }
        case 'message_delta':
          stopReason = event.delta?.stop_reason ?? stopReason;
          // message_delta counts are cumulative: they replace what message_start said.
          usage = mergeUsage(usage, event.usage);
          break;
        case 'message_stop': {
          finished = true;
          batch.push(chunk({}, finishReason(stopReason, jsonAnswered, toolCalls)));
          const total = toUsage(usage);
          if (total) batch.push({ ...chunk({}), choices: [], usage: total });
          return 'end';
        }
        default:
          // content_block_stop, ping, and event types newer than this code: nothing to translate.
          break;
      }
      return undefined;
    }
  }

  return {
    id,
    format: 'anthropic',
    supports: { n: false },
    speaks: (protocol) => protocol === 'anthropic-messages',
    // Vertex has a count endpoint of its own; there the gateway counts.
    ...(wire ? {} : { countTokens }),
    complete,
    stream,
  };
}
