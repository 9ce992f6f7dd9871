// The one place that turns errors into HTTP: every error body is OpenAI's `{"error":{...}}`.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { bodyTooLarge, GatewayError, internalError, invalidRequest } from '../core/errors.js';

/** Fastify's own errors (body parsing, limits) in OpenAI's vocabulary. */
function fromFastify(error: FastifyError, bodyLimit: number): GatewayError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(bodyLimit);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return invalidRequest('The request body is empty; expected a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalidRequest('The Content-Length header does not match the body.');
    default:
      return undefined;
  }
}

export function toGatewayError(error: unknown, bodyLimit: number): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof SyntaxError) {
    return invalidRequest(
      'We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON.',
    );
  }
  const fastifyError = error as FastifyError;
  if (typeof fastifyError?.code === 'string') {
    const mapped = fromFastify(fastifyError, bodyLimit);
    if (mapped) return mapped;
    if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
      return new GatewayError(fastifyError.message, {
        status: fastifyError.statusCode,
        type: 'invalid_request_error',
      });
    }
  }
  return internalError(error);
}

const openAIErrorBody = (error: GatewayError) => JSON.stringify(error.toBody());

export function sendError(
  reply: FastifyReply,
  error: GatewayError,
  render: (error: GatewayError) => string = openAIErrorBody,
): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply.code(error.status).type('application/json').send(render(error));
}

export function errorHandler(log: Logger, bodyLimit: number) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const gatewayError = toGatewayError(error, bodyLimit);
    if (gatewayError.status >= 500 && gatewayError.code === 'internal_error') {
      log.error({ err: error, reqId: request.id, url: request.url }, 'internal error');
    }
    // A body that was too large is not read to its end: close the connection rather than drain it.
    if (gatewayError.status === 413) reply.header('connection', 'close');
    // Each front door tells errors in its own wire shape (route config); OpenAI's is the default.
    return sendError(reply, gatewayError, request.routeOptions.config.errorBody);
  };
}
