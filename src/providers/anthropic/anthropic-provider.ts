// The Anthropic Messages API (POST {ANTHROPIC_BASE_URL}/v1/messages): the canonical request is translated
// by convert-to-anthropic-messages.ts (rules in parameters.ts), and the Message or the SSE events are
// translated back to chat.completion / chat.completion.chunk objects exactly like OpenAI's.

import type { EventSourceMessage } from 'eventsource-parser';
import type { ProviderSettings } from '../../config/config.js';
import { attachNativeAnswer, type NativeRequest, nativeRequestOf } from '../../core/native.js';
import { jsonBody } from '../../core/raw-json.js';
import type {
  CallSignal,
  ChatChunk,
  ChatRequest,
  ChatResponse,
  Provider,
  ToolCall,
  UpstreamCall,
} from '../../core/types.js';
import { type HttpClient, isAbort, readJsonBody, streamBody, transportError, wholeJson } from '../http.js';
import { readSseEvents, translateBatches, translateReads } from '../sse.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { parseUpstream } from '../wire-schema.js';
import { ANTHROPIC_VERSION, anthropicMessageSchema, type ResponseMessage } from './anthropic-api.js';
import { anthropicHttpError } from './anthropic-error.js';
import { AnthropicEvents, finishReason, toUsage } from './anthropic-events.js';
import { type ConvertedRequest, convertToAnthropicRequest } from './convert-to-anthropic-messages.js';

export function toChatResponse(message: ResponseMessage, jsonTool: string | undefined): ChatResponse {
  let text = '';
  let reasoning = '';
  let json: string | undefined;
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'thinking') reasoning += block.thinking;
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
          // Extended thinking, as DeepSeek and vLLM send reasoning beside the answer.
          ...(reasoning !== '' ? { reasoning_content: reasoning } : {}),
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

  /** A Messages request as it goes out (to Vertex's publisher path and in its body shape when `wire` says so). */
  function outgoing(
    call: UpstreamCall,
    stream: boolean,
    headers: Record<string, string>,
    body: Record<string, unknown>,
  ) {
    const target = wire ? wire.url(call.request.model, stream) : url;
    return { target, headers, payload: jsonBody(wire ? wire.body(body) : body) };
  }

  /**
   * The request for a call: the canonical request translated to a Messages body, or a Messages request
   * passed through (see core/native.ts): the client's body as sent, with the upstream's model name and the
   * max_tokens admission allows; its `anthropic-beta` (and `anthropic-version`) go along, since Anthropic
   * refuses beta-only fields without them.
   */
  function requestFor(
    call: UpstreamCall,
    converted: ConvertedRequest | undefined,
    native: NativeRequest | undefined,
    stream: boolean,
  ) {
    if (converted) {
      const body = stream ? { ...converted.body, stream: true } : converted.body;
      return outgoing(call, stream, stream ? streamHeaders : jsonHeaders, body);
    }
    const body: Record<string, unknown> = { ...native!.body, model: call.request.model };
    if (typeof call.request.max_tokens === 'number') body.max_tokens = call.request.max_tokens;
    if (stream) body.stream = true;
    else delete body.stream;
    const headers = { ...(stream ? streamHeaders : jsonHeaders), ...native!.headers };
    return outgoing(call, stream, headers, body);
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
    const res = await http.request(id, countUrl, headers, jsonBody(body), signal);
    if (res.status < 200 || res.status >= 300) throw await anthropicHttpError(id, res);
    const parsed = await readJsonBody(id, res, signal);
    const count = (parsed as { input_tokens?: unknown } | null)?.input_tokens;
    if (typeof count !== 'number') throw invalidUpstreamResponse(id, 'the answer has no input_tokens');
    return count;
  }

  async function complete(call: UpstreamCall): Promise<ChatResponse> {
    const native = nativeRequestOf(call.request, 'anthropic-messages');
    const converted = native ? undefined : convertToAnthropicRequest(call.request, id, call.warnings);
    const out = requestFor(call, converted, native, false);
    const res = await http.requestWhole(id, out.target, out.headers, out.payload, call.signal);
    if (res.status < 200 || res.status >= 300) throw await anthropicHttpError(id, res);
    const parsed = wholeJson(id, res);
    const message = parseUpstream(id, anthropicMessageSchema, parsed, 'the answer is not a message');
    const response = toChatResponse(message, converted?.jsonTool);
    if (native) attachNativeAnswer(response, 'anthropic-messages', parsed);
    return response;
  }

  async function* stream(call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
    const native = nativeRequestOf(call.request, 'anthropic-messages');
    const converted = native ? undefined : convertToAnthropicRequest(call.request, id, call.warnings);
    const out = requestFor(call, converted, native, true);
    const res = await http.request(id, out.target, out.headers, out.payload, call.signal);
    if (res.status < 200 || res.status >= 300) throw await anthropicHttpError(id, res);
    const events = new AnthropicEvents(id, call.request.model, converted?.jsonTool, native !== undefined);
    const body = streamBody(res);
    try {
      const take = (sse: EventSourceMessage, batch: ChatChunk[]) => events.take(sse.data, sse.event, batch);
      // Relaying, runs of text deltas are taken whole, without the SSE parser (text-delta.ts).
      const stopped = native
        ? yield* translateReads(body.reads, take, (text, at) => events.run(text, at))
        : yield* translateBatches(readSseEvents(body.reads), take);
      if (!stopped) throw invalidUpstreamResponse(id, 'the stream ended before message_stop');
    } catch (error) {
      if (isAbort(error) || call.signal.aborted) throw error;
      throw transportError(error, id);
    } finally {
      body.release(events.finished);
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
