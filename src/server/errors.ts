// The one place that turns errors into HTTP. The body's shape is the front door's (a renderer from
// core/error-renderers.ts); OpenAI's `{"error":{...}}` unless the route says otherwise.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { openAIErrorBody } from '../core/error-renderers.js';
import { bodyTooLarge, GatewayError, gatewayError, internalError, invalidRequest } from '../core/errors.js';

/** Writes one GatewayError as one front door's error body. */
export type ErrorRenderer = (error: GatewayError) => unknown;

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
      // Fastify chose the status (415, 400, ...): keep it.
      return gatewayError('invalid_request', {
        message: fastifyError.message,
        status: fastifyError.statusCode,
      });
    }
  }
  return internalError(error);
}

export function sendError(
  reply: FastifyReply,
  error: GatewayError,
  render: ErrorRenderer = openAIErrorBody,
): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  if (error.headers) reply.headers(error.headers);
  // The request's log line and ledger row say which error it was (server/request-log.ts).
  const { report } = reply.request;
  if (report) report.errorCode = error.wireCode ?? error.kind;
  return reply
    .code(error.status)
    .type('application/json')
    .send(JSON.stringify(render(error)));
}

export function errorHandler(log: Logger, bodyLimit: number, render: ErrorRenderer = openAIErrorBody) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const failure = toGatewayError(error, bodyLimit);
    if (failure.kind === 'internal_error') {
      log.error({ err: error, reqId: request.id, url: request.url }, 'internal error');
    }
    // A body that was too large is not read to its end: close the connection rather than drain it.
    if (failure.status === 413) reply.header('connection', 'close');
    // Each front door tells errors in its own wire shape (its route's config); else the app's default.
    return sendError(reply, failure, request.routeOptions.config.errorBody ?? render);
  };
}

/** Fastify's routing errors (a URL with bad percent-encoding) as the API's own errors. */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const failure =
    error.code === 'FST_ERR_BAD_URL'
      ? invalidRequest('The URL is not valid: it has a malformed percent-encoding.')
      : toGatewayError(error, 0);
  sendError(reply, failure);
}

/**
 * Malformed HTTP, headers too large, a request not received in time: Node answers before any route runs,
 * so this writes the error on the socket itself (as Fastify's default does), in the API's error shape.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const failure =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? gatewayError('request_timeout')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? gatewayError('request_header_too_large')
        : invalidRequest('The request is not valid HTTP.');
  const body = JSON.stringify(openAIErrorBody(failure));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status]}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
