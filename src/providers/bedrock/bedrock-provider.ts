// Amazon Bedrock through the Converse API: one request shape for every model family Bedrock serves. A
// Messages API request for an Anthropic model goes through InvokeModel instead, as the client sent it
// (core/native.ts): Bedrock runs Anthropic's own Messages API there. Requests are SigV4-signed; streams
// arrive in the binary AWS event-stream framing.
import { randomUUID } from 'node:crypto';
import type { ProviderSettings } from '../../config/config.js';
import type { Embedder, Reranker } from '../../core/embeddings.js';
import { attachNativeAnswer, type NativeRequest, nativeRequestOf } from '../../core/native.js';
import { jsonBody } from '../../core/raw-json.js';
import type {
  ChatChunk,
  ChatResponse,
  ChunkChoice,
  Provider,
  ToolCall,
  UpstreamCall,
  Usage,
} from '../../core/types.js';
import { anthropicMessageSchema } from '../anthropic/anthropic-api.js';
import { AnthropicEvents } from '../anthropic/anthropic-events.js';
import { toChatResponse } from '../anthropic/anthropic-provider.js';
import {
  type HttpClient,
  isAbort,
  readJsonBody,
  streamBody,
  transportError,
  type UpstreamResponse,
} from '../http.js';
import { translateBatches } from '../sse.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { parseUpstream } from '../wire-schema.js';
import { type BedrockUsage, converseResponseSchema, converseStreamEventSchema } from './bedrock-api.js';
import { bedrockHttpError, bedrockStreamError } from './bedrock-error.js';
import { EventStreamFormatError, readEventStream } from './bedrock-event-stream.js';
import { toConverseRequest } from './bedrock-request.js';
import { bedrockRetrieval } from './bedrock-retrieval.js';
import { mapBedrockFinishReason } from './map-bedrock-finish-reason.js';
import { createRequestSigner } from './sign-bedrock-request.js';

/** Like the AWS SDK: encodeURIComponent, plus the characters it leaves alone that RFC 3986 reserves. */
export function encodeModelId(modelId: string): string {
  return encodeURIComponent(modelId).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The Messages API version Bedrock's InvokeModel takes for Anthropic models (in the body). */
const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** Anthropic's models on Bedrock: `anthropic.claude-…`, cross-region profiles `us.anthropic.claude-…`, ARNs. */
const isAnthropicModel = (model: string) => model.includes('anthropic.');

/**
 * Converse counts cache reads and cache writes apart from `inputTokens`; OpenAI's prompt_tokens include
 * them, with reads as `cached_tokens` and writes as `cache_write_tokens` (each priced at its own price).
 */
export function toUsage(usage: BedrockUsage | null | undefined): Usage | undefined {
  const input = usage?.inputTokens;
  const output = usage?.outputTokens;
  if (input == null || output == null) return undefined;
  const cacheRead = usage?.cacheReadInputTokens ?? 0;
  const cacheWrite = usage?.cacheWriteInputTokens ?? 0;
  const prompt = input + cacheRead + cacheWrite;
  const out: Usage = {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
  };
  if (usage?.cacheReadInputTokens != null || usage?.cacheWriteInputTokens != null)
    out.prompt_tokens_details = {
      cached_tokens: cacheRead,
      ...(usage?.cacheWriteInputTokens != null ? { cache_write_tokens: cacheWrite } : {}),
    };
  return out;
}

export function createBedrockProvider(
  settings: ProviderSettings,
  http: HttpClient,
): Provider & Embedder & Reranker {
  const { id } = settings;
  const secretAccessKey = settings.options.secret_access_key;
  if (!settings.apiKey || !secretAccessKey) {
    throw new Error(
      `Provider '${id}': Bedrock needs an access key id (api_key) and options.secret_access_key`,
    );
  }
  const sessionToken = settings.options.session_token;
  const sign = createRequestSigner({
    region: settings.options.region || 'us-east-1',
    accessKeyId: settings.apiKey,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
  });

  /** A signed POST of `body` to one of the model's actions (converse, invoke, and their streams). */
  async function post(
    call: { request: { model: string }; signal: UpstreamCall['signal'] },
    action: string,
    stream: boolean,
    body: string | Buffer,
  ): Promise<UpstreamResponse> {
    const url = new URL(`${settings.baseUrl}/model/${encodeModelId(call.request.model)}/${action}`);
    const headers = await sign(
      url,
      {
        ...settings.headers,
        'content-type': 'application/json',
        accept: stream ? 'application/vnd.amazon.eventstream' : 'application/json',
      },
      body,
    );
    const res = await http.request(id, url, headers, body, call.signal);
    if (res.status < 200 || res.status >= 300) throw await bedrockHttpError(id, res);
    return res;
  }

  async function send(
    call: UpstreamCall,
    stream: boolean,
  ): Promise<{ res: UpstreamResponse; chatId: string }> {
    const body = JSON.stringify(toConverseRequest(call.request, id, call.warnings));
    const res = await post(call, stream ? 'converse-stream' : 'converse', stream, body);
    const requestId = res.headers['x-amzn-requestid'];
    return {
      res,
      chatId: `chatcmpl-${typeof requestId === 'string' && requestId ? requestId : randomUUID()}`,
    };
  }

  /**
   * A Messages request for an Anthropic model, as the client sent it, through InvokeModel: the model goes
   * in the URL, the version and the beta flags (Anthropic's `anthropic-beta` header) in the body.
   */
  async function sendNative(
    call: UpstreamCall,
    native: NativeRequest,
    stream: boolean,
  ): Promise<UpstreamResponse> {
    const { model: _model, stream: _stream, ...rest } = native.body;
    const body: Record<string, unknown> = { ...rest, anthropic_version: BEDROCK_ANTHROPIC_VERSION };
    if (typeof call.request.max_tokens === 'number') body.max_tokens = call.request.max_tokens;
    const betas = (native.headers['anthropic-beta'] ?? '')
      .split(',')
      .map((flag) => flag.trim())
      .filter((flag) => flag !== '');
    if (betas.length > 0) body.anthropic_beta = betas;
    const action = stream ? 'invoke-with-response-stream' : 'invoke';
    return post(call, action, stream, jsonBody(body));
  }

  async function completeNative(call: UpstreamCall, native: NativeRequest): Promise<ChatResponse> {
    const res = await sendNative(call, native, false);
    const parsed = await readJsonBody(id, res, call.signal);
    const message = parseUpstream(id, anthropicMessageSchema, parsed, 'the answer is not a message');
    const response = toChatResponse(message, undefined);
    attachNativeAnswer(response, 'anthropic-messages', parsed);
    return response;
  }

  /** InvokeModelWithResponseStream: each `chunk` event carries one of Anthropic's events, base64-encoded. */
  async function* streamNative(call: UpstreamCall, native: NativeRequest): AsyncGenerator<ChatChunk[]> {
    const res = await sendNative(call, native, true);
    const events = new AnthropicEvents(id, call.request.model, undefined, true);
    const body = streamBody(res);
    try {
      const stopped = yield* translateBatches(readEventStream(body.reads), (message, batch) => {
        if (message.messageType !== 'event') throw bedrockStreamError(id, message.name, message.payload);
        if (message.name !== 'chunk') return undefined;
        const bytes = (message.payload as { bytes?: unknown }).bytes;
        if (typeof bytes !== 'string') throw invalidUpstreamResponse(id, 'a chunk event without bytes');
        return events.take(Buffer.from(bytes, 'base64').toString('utf8'), undefined, batch);
      });
      if (!stopped) throw invalidUpstreamResponse(id, 'the stream ended before message_stop');
    } catch (error) {
      if (isAbort(error) || call.signal.aborted) throw error;
      if (error instanceof EventStreamFormatError) throw invalidUpstreamResponse(id, error.message);
      throw transportError(error, id);
    } finally {
      body.release(events.finished);
    }
  }

  async function complete(call: UpstreamCall): Promise<ChatResponse> {
    const native = nativeRequestOf(call.request, 'anthropic-messages');
    if (native && isAnthropicModel(call.request.model)) return completeNative(call, native);
    const { res, chatId } = await send(call, false);
    const parsed = await readJsonBody(id, res, call.signal);
    const answer = parseUpstream(id, converseResponseSchema, parsed, 'no output.message in the answer');
    let text: string | null = null;
    const toolCalls: ToolCall[] = [];
    for (const block of answer.output.message.content) {
      if (typeof block.text === 'string') text = (text ?? '') + block.text;
      const use = block.toolUse;
      if (use) {
        toolCalls.push({
          id: use.toolUseId ?? '',
          type: 'function',
          function: { name: use.name ?? '', arguments: JSON.stringify(use.input ?? {}) },
        });
      }
    }
    const response: ChatResponse = {
      id: chatId,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.request.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text,
            refusal: null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: mapBedrockFinishReason(answer.stopReason ?? null),
          logprobs: null,
        },
      ],
    };
    const usage = toUsage(answer.usage);
    if (usage) response.usage = usage;
    return response;
  }

  async function* stream(call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
    const native = nativeRequestOf(call.request, 'anthropic-messages');
    if (native && isAnthropicModel(call.request.model)) {
      yield* streamNative(call, native);
      return;
    }
    const { res, chatId } = await send(call, true);
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices: ChunkChoice[], usage?: Usage): ChatChunk => ({
      id: chatId,
      object: 'chat.completion.chunk',
      created,
      model: call.request.model,
      choices,
      ...(usage ? { usage } : {}),
    });
    const delta = (d: ChunkChoice['delta']): ChatChunk =>
      chunk([{ index: 0, delta: d, finish_reason: null, logprobs: null }]);
    /** Converse content block index → OpenAI tool call index. */
    const toolIndex = new Map<number, number>();
    let started = false;
    let stopped = false;
    let finished = false;
    const body = streamBody(res);
    try {
      yield* translateBatches(readEventStream(body.reads), (message, batch) => {
        if (message.messageType !== 'event') throw bedrockStreamError(id, message.name, message.payload);
        const result = converseStreamEventSchema.safeParse(message);
        // Not parseUpstream: the message is built only when it is needed, not once per event.
        if (!result.success) throw invalidUpstreamResponse(id, `a malformed '${message.name}' event`);
        const event = result.data;
        if (event.name === 'unknown') return undefined;
        if (!started && event.name !== 'metadata') {
          started = true;
          batch.push(delta({ role: 'assistant', content: '', refusal: null }));
        }
        switch (event.name) {
          case 'contentBlockStart': {
            const toolUse = event.payload.start?.toolUse;
            if (toolUse) {
              const index = toolIndex.size;
              toolIndex.set(event.payload.contentBlockIndex ?? 0, index);
              const call = { name: toolUse.name ?? '', arguments: '' };
              batch.push(
                delta({
                  tool_calls: [{ index, id: toolUse.toolUseId ?? '', type: 'function', function: call }],
                }),
              );
            }
            break;
          }
          case 'contentBlockDelta': {
            const { contentBlockIndex, delta: change } = event.payload;
            if (change?.text) batch.push(delta({ content: change.text }));
            const index = toolIndex.get(contentBlockIndex ?? 0);
            const input = change?.toolUse?.input;
            if (input && index !== undefined) {
              batch.push(delta({ tool_calls: [{ index, function: { arguments: input } }] }));
            }
            break;
          }
          case 'messageStop':
            stopped = true;
            batch.push(
              chunk([
                {
                  index: 0,
                  delta: {},
                  finish_reason: mapBedrockFinishReason(event.payload.stopReason ?? null),
                  logprobs: null,
                },
              ]),
            );
            break;
          case 'metadata': {
            const usage = toUsage(event.payload.usage);
            if (usage) batch.push(chunk([], usage));
            break;
          }
        }
        return undefined;
      });
      if (!stopped) throw invalidUpstreamResponse(id, 'the stream ended before messageStop');
      finished = true;
    } catch (error) {
      if (isAbort(error) || call.signal.aborted) throw error;
      if (error instanceof EventStreamFormatError) throw invalidUpstreamResponse(id, error.message);
      throw transportError(error, id);
    } finally {
      body.release(finished);
    }
  }

  return {
    id,
    format: 'bedrock',
    supports: { n: false },
    speaks: (protocol, model) => protocol === 'anthropic-messages' && isAnthropicModel(model),
    complete,
    stream,
    ...bedrockRetrieval(id, (call, body) => post(call, 'invoke', false, body)),
  };
}
