// Cohere through its v2 Chat API (POST /v2/chat), JSON and SSE.
import { randomUUID } from 'node:crypto';
import type { ProviderSettings } from '../../config/config.js';
import type { Embedder, Reranker } from '../../core/embeddings.js';
import type {
  ChatChunk,
  ChatResponse,
  ChunkChoice,
  Provider,
  UpstreamCall,
  Usage,
} from '../../core/types.js';
import {
  type HttpClient,
  isAbort,
  readJsonBody,
  streamBody,
  transportError,
  type UpstreamResponse,
} from '../http.js';
import { eventJson, readSseEvents, translateBatches } from '../sse.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { parseUpstream } from '../wire-schema.js';
import {
  answerText,
  type CohereUsage,
  cohereChatResponseSchema,
  cohereStreamEventSchema,
  toToolCall,
} from './cohere-api.js';
import { cohereGenerationError, cohereHttpError } from './cohere-error.js';
import { toCohereRequest } from './cohere-request.js';
import { cohereRetrieval } from './cohere-retrieval.js';
import { mapCohereFinishReason } from './map-cohere-finish-reason.js';

/**
 * Cohere reports the tokens it bills (`billed_units`) and the tokens the model saw (`tokens`, which include
 * Cohere's own prompt template). Usage is what the call costs, so billed units come first.
 */
export function toUsage(usage: CohereUsage | null | undefined): Usage | undefined {
  const prompt = usage?.billed_units?.input_tokens ?? usage?.tokens?.input_tokens;
  const completion = usage?.billed_units?.output_tokens ?? usage?.tokens?.output_tokens;
  if (prompt == null || completion == null) return undefined;
  const out: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  const cached = usage?.cached_tokens;
  if (cached != null) out.prompt_tokens_details = { cached_tokens: cached };
  return out;
}

const failed = (finishReason: string | null | undefined) =>
  finishReason === 'ERROR' || finishReason === 'TIMEOUT';

export function createCohereProvider(
  settings: ProviderSettings,
  http: HttpClient,
): Provider & Embedder & Reranker {
  const { id } = settings;
  const url = new URL(`${settings.baseUrl}/v2/chat`);
  const baseHeaders: Record<string, string> = { ...settings.headers, 'content-type': 'application/json' };
  if (settings.apiKey) baseHeaders.authorization = `Bearer ${settings.apiKey}`;
  const jsonHeaders = { ...baseHeaders, accept: 'application/json' };
  const streamHeaders = { ...baseHeaders, accept: 'text/event-stream' };

  async function send(call: UpstreamCall, stream: boolean): Promise<UpstreamResponse> {
    const body = JSON.stringify(toCohereRequest(call.request, stream, id, call.warnings));
    const res = await http.request(id, url, stream ? streamHeaders : jsonHeaders, body, call.signal);
    if (res.status >= 200 && res.status < 300) return res;
    throw await cohereHttpError(id, res);
  }

  async function complete(call: UpstreamCall): Promise<ChatResponse> {
    const res = await send(call, false);
    const parsed = await readJsonBody(id, res, call.signal);
    const answer = parseUpstream(id, cohereChatResponseSchema, parsed, 'no message in the answer');
    if (failed(answer.finish_reason)) throw cohereGenerationError(id, answer.finish_reason ?? '', undefined);
    const toolCalls = (answer.message.tool_calls ?? []).map(toToolCall);
    const response: ChatResponse = {
      id: `chatcmpl-${answer.id ?? randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.request.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: answerText(answer),
            refusal: null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: mapCohereFinishReason(answer.finish_reason ?? null),
          logprobs: null,
        },
      ],
    };
    const usage = toUsage(answer.usage);
    if (usage) response.usage = usage;
    return response;
  }

  async function* stream(call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
    const res = await send(call, true);
    const body = streamBody(res);
    const created = Math.floor(Date.now() / 1000);
    let chatId = '';
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
    /** Cohere tool call index → OpenAI tool call index (they agree today; the map keeps it so). */
    const toolIndex = new Map<number, number>();
    let ended = false;
    let finished = false;
    try {
      yield* translateBatches(readSseEvents(body.reads), (sse, batch) => {
        if (sse.data === '[DONE]') return 'end';
        const event = parseUpstream(
          id,
          cohereStreamEventSchema,
          eventJson(id, sse.data),
          'a stream event has no type',
        );
        if (event.type === 'other' || ended) return undefined;
        if (!chatId) {
          // message-start comes first and names the message; the role chunk goes out with it.
          chatId = `chatcmpl-${(event.type === 'message-start' && event.id) || randomUUID()}`;
          batch.push(delta({ role: 'assistant', content: '', refusal: null }));
        }
        switch (event.type) {
          case 'content-start':
          case 'content-delta': {
            const text = event.delta?.message?.content?.text;
            if (text) batch.push(delta({ content: text }));
            break;
          }
          case 'tool-call-start': {
            const index = toolIndex.size;
            toolIndex.set(event.index ?? 0, index);
            const { id: callId, function: fn } = toToolCall(event.delta.message.tool_calls);
            batch.push(
              delta({
                tool_calls: [
                  {
                    index,
                    id: callId,
                    type: 'function',
                    function: { name: fn.name, arguments: fn.arguments },
                  },
                ],
              }),
            );
            break;
          }
          case 'tool-call-delta': {
            const index = toolIndex.get(event.index ?? 0);
            const args = event.delta?.message?.tool_calls?.function?.arguments;
            if (index !== undefined && args) {
              batch.push(delta({ tool_calls: [{ index, function: { arguments: args } }] }));
            }
            break;
          }
          case 'message-end': {
            const finishReason = event.delta?.finish_reason ?? null;
            if (failed(finishReason))
              throw cohereGenerationError(id, finishReason ?? '', event.delta?.error ?? undefined);
            ended = true;
            batch.push(
              chunk([
                {
                  index: 0,
                  delta: {},
                  finish_reason: mapCohereFinishReason(finishReason),
                  logprobs: null,
                },
              ]),
            );
            const usage = toUsage(event.delta?.usage);
            if (usage) batch.push(chunk([], usage));
            break;
          }
        }
        return undefined;
      });
      if (!ended) throw invalidUpstreamResponse(id, 'the stream ended before message-end');
      finished = true;
    } catch (error) {
      if (isAbort(error) || call.signal.aborted) throw error;
      throw transportError(error, id);
    } finally {
      body.release(finished);
    }
  }

  return {
    id,
    format: 'cohere',
    supports: { n: false },
    complete,
    stream,
    ...cohereRetrieval(settings, http),
  };
}
