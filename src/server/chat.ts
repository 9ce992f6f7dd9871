// POST /v1/chat/completions: OpenAI's Chat Completions API as a front door of the pipeline. The canonical
// types are this API's own shapes, so the door reads by validating and writes by serialising.
import type { FastifyInstance } from 'fastify';
import { openAIErrorBody } from '../core/error-renderers.js';
import { invalidRequest } from '../core/errors.js';
import { rawTopLevelValue, rememberRawJson } from '../core/raw-json.js';
import { relayedRun, relayedText } from '../core/relayed-chunk.js';
import type { ChatChunk, ChatRequest } from '../core/types.js';
import { completionId } from '../pipeline/canonical-answer.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { DoorRequest, FrontDoor, ParsedRequest, StreamEncoder } from '../pipeline/front-door.js';
import { chunkJson, RelayedChunkWriter } from './chat-chunks.js';
import { mountFrontDoor } from './front-door.js';
import { validateChatRequest } from './validate-chat.js';

/** Fallback models a request may list in `models` (OpenRouter's convention). */
const MAX_FALLBACK_MODELS = 8;

/** Reads (and removes: it is not sent upstream) the request's `models` fallback list. */
function takeFallbacks(chat: ChatRequest): string[] {
  const raw = chat.models;
  delete chat.models;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((m) => typeof m !== 'string' || m === '')) {
    throw invalidRequest(
      "Invalid type for 'models': expected an array of model ids to fall back to.",
      'models',
      'invalid_type',
    );
  }
  const models = [...new Set(raw as string[])].filter((m) => m !== chat.model);
  if (models.length > MAX_FALLBACK_MODELS) {
    throw invalidRequest(`'models' lists at most ${MAX_FALLBACK_MODELS} fallback models.`, 'models');
  }
  return models;
}

function parse(input: DoorRequest): ParsedRequest {
  const request = validateChatRequest(input.body);
  if (input.rawJson !== undefined) {
    // A large prompt goes upstream as the client's own JSON text (see core/raw-json.ts).
    const messages = rawTopLevelValue(input.rawJson, 'messages');
    if (messages !== undefined) rememberRawJson(request.messages, messages);
  }
  return { request, fallbacks: takeFallbacks(request) };
}

/** Chunks as `data:` events; the usage chunk when `stream_options.include_usage`; `[DONE]` at the end. */
export function chatStreamEncoder(request: ChatRequest, exchangeId: string): StreamEncoder {
  const includeUsage = request.stream_options?.include_usage === true;
  const id = completionId(exchangeId);
  const { model } = request;
  const relayedWriter = new RelayedChunkWriter(id, model, includeUsage);
  return {
    chunk(chunk, created, sink) {
      const run = relayedRun(chunk);
      if (run) {
        sink.raw(relayedWriter.writeRun(run, created));
        return;
      }
      const relayed = relayedText(chunk);
      sink.data(
        relayed ? relayedWriter.write(relayed, created) : chunkJson(chunk, id, created, model, includeUsage),
      );
    },
    end(usage, usageChunk, created, sink) {
      if (includeUsage) {
        const final: ChatChunk = usageChunk ?? {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [],
        };
        final.id = id;
        final.model = model;
        final.created = created;
        final.usage = usage;
        if (final.system_fingerprint === null)
          (final as { system_fingerprint?: unknown }).system_fingerprint = undefined;
        sink.data(JSON.stringify(final));
      }
      sink.data('[DONE]');
    },
    // An error event, and no [DONE]: the openai SDK raises it as an APIError.
    error: (error, sink) => sink.data(JSON.stringify(openAIErrorBody(error))),
  };
}

const chatCompletionsDoor: FrontDoor = {
  name: 'chat completion',
  parse,
  answer: (response) => JSON.stringify(response),
  stream: chatStreamEncoder,
  relaysChunkText: true,
  errorBody: openAIErrorBody,
};

export function registerChatRoute(app: FastifyInstance, deps: PipelineDeps): void {
  mountFrontDoor(app, '/v1/chat/completions', chatCompletionsDoor, deps);
}
