// POST /v1/messages and /v1/messages/count_tokens: Anthropic's Messages API as a front door of the
// pipeline. Every request is read into the canonical (chat) request, which admission, routing, metering and
// the ledger use; the client's own body rides along (core/native.ts), so an Anthropic upstream gets it as
// sent and its answer comes back as it gave it. Other models get the translation (messages/).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { anthropicErrorBody } from '../core/error-renderers.js';
import { attachNativeRequest, nativeAnswerOf, nativeRequestOf } from '../core/native.js';
import { rememberRawMembers } from '../core/raw-json.js';
import type { ChatResponse } from '../core/types.js';
import { authorize } from '../pipeline/authorize.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { DoorRequest, FrontDoor, ParsedRequest } from '../pipeline/front-door.js';
import { mountFrontDoor } from './front-door.js';
import { chatToMessage } from './messages/chat-to-message.js';
import { MessageStreamEncoder } from './messages/message-stream.js';
import {
  countTokensRequestSchema,
  type MessagesRequest,
  messagesRequestSchema,
  readMessagesBody,
} from './messages/messages-request.js';
import { messagesToChat } from './messages/messages-to-chat.js';

const PROTOCOL = 'anthropic-messages';

/** Client headers an Anthropic upstream needs as sent (beta-only body fields are refused without them). */
const FORWARDED_HEADERS = ['anthropic-beta', 'anthropic-version'];

/** Top-level values of a large body that go upstream as the client's own JSON text (core/raw-json.ts). */
const RAW_VALUES = ['messages', 'system', 'tools'];

function forwardedHeaders(headers: DoorRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') out[name] = value;
    else if (Array.isArray(value) && value.length > 0) out[name] = value.join(',');
  }
  return out;
}

/** The canonical request, carrying the client's body for Anthropic upstreams. */
function read(input: DoorRequest, request: MessagesRequest): ParsedRequest {
  const body = input.body as Record<string, unknown>;
  // One walk of the body finds them all (a long conversation is hundreds of KB).
  if (input.rawJson !== undefined) rememberRawMembers(body, input.rawJson, RAW_VALUES);
  const translation = messagesToChat(request);
  attachNativeRequest(translation.request, {
    protocol: PROTOCOL,
    body,
    headers: forwardedHeaders(input.headers),
    translation: { warnings: translation.warnings, refusal: translation.refusal },
  });
  return { request: translation.request, fallbacks: [] };
}

/** The answer: an Anthropic upstream's own (with the client's model name), or the translation. */
function answer(response: ChatResponse): string {
  const native = nativeAnswerOf(response, PROTOCOL);
  if (typeof native === 'object' && native !== null) {
    return JSON.stringify({ ...native, model: response.model });
  }
  return JSON.stringify(chatToMessage(response, response.id.replace(/^chatcmpl-/, ''), response.model));
}

export const messagesDoor: FrontDoor = {
  name: 'messages',
  requestIdHeader: 'request-id',
  parse: (input) => read(input, readMessagesBody(messagesRequestSchema, input.body)),
  answer,
  stream: (request, exchangeId) => new MessageStreamEncoder(exchangeId, request.model),
  errorBody: anthropicErrorBody,
};

/**
 * count_tokens: the upstream's own count where the model's first deployment speaks the Messages API, the
 * gateway's tokenizer otherwise; `x-tokgate-token-count` says which. It costs nothing and is not metered.
 */
function countTokensHandler(deps: PipelineDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = readMessagesBody(countTokensRequestSchema, request.body);
    const parsed = read(
      {
        id: request.id,
        principal: request.principal!,
        body: request.body,
        rawJson: request.rawJson,
        headers: request.headers,
        report: request.report!,
      },
      { ...body, max_tokens: body.max_tokens ?? 1 },
    );
    const plan = authorize(deps.router, request.principal!, parsed);
    const deployment = plan.groups[0]?.deployments[0];
    const provider = deployment?.target.provider;
    if (deployment && provider?.countTokens && nativeRequestOf(parsed.request, PROTOCOL)) {
      const upstream = { ...parsed.request, model: deployment.target.upstreamModel };
      const controller = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) controller.abort();
      });
      const inputTokens = await provider.countTokens(upstream, controller.signal);
      return reply
        .header('x-tokgate-token-count', 'upstream')
        .type('application/json')
        .send(JSON.stringify({ input_tokens: inputTokens }));
    }
    const metered = await deps.meter.measure(deployment!.target, parsed.request, undefined, []);
    return reply
      .header('x-tokgate-token-count', 'estimated')
      .type('application/json')
      .send(JSON.stringify({ input_tokens: metered.usage.prompt_tokens }));
  };
}

export function registerMessagesRoutes(app: FastifyInstance, deps: PipelineDeps): void {
  mountFrontDoor(app, '/v1/messages', messagesDoor, deps);
  app.post(
    '/v1/messages/count_tokens',
    { config: { errorBody: anthropicErrorBody, requestIdHeader: 'request-id' } },
    countTokensHandler(deps),
  );
}
