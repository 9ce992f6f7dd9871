// toGatewayError: what the server makes of whatever was thrown; and the handler writing it per front door.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import pino from 'pino';
import { anthropicErrorBody } from '../../src/core/error-renderers.js';
import { GatewayError, gatewayError } from '../../src/core/errors.js';
import { errorHandler, toGatewayError } from '../../src/server/errors.js';

const fastifyError = (code: string, statusCode: number, message = 'fastify says no') =>
  Object.assign(new Error(message), { code, statusCode });

describe('toGatewayError', () => {
  test('a GatewayError is kept as it is', () => {
    const error = gatewayError('upstream_timeout');
    assert.equal(toGatewayError(error, 1024), error);
  });

  test('a JSON syntax error is a generic 400', () => {
    const error = toGatewayError(new SyntaxError('Unexpected token'), 1024);
    assert.deepEqual(
      [error.status, error.type, error.code, error.kind],
      [400, 'invalid_request_error', null, 'invalid_request'],
    );
    assert.match(error.message, /could not parse the JSON body/);
  });

  test("Fastify's own errors", () => {
    const large = toGatewayError(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 1024);
    assert.deepEqual([large.status, large.code], [413, 'request_too_large']);
    assert.equal(large.message, 'Request body is larger than the limit of 1024 bytes.');
    const empty = toGatewayError(fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 1024);
    assert.deepEqual([empty.status, empty.code], [400, null]);
    assert.match(empty.message, /body is empty/);
    const length = toGatewayError(fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400), 1024);
    assert.match(length.message, /Content-Length/);
  });

  test("another Fastify 4xx keeps Fastify's status and words", () => {
    const error = toGatewayError(
      fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'),
      1024,
    );
    assert.deepEqual(
      [error.status, error.type, error.code, error.message],
      [415, 'invalid_request_error', null, 'Unsupported Media Type'],
    );
  });

  test('anything else is a 500 internal_error that hides the cause', () => {
    const cause = new Error('database password is hunter2');
    for (const thrown of [cause, fastifyError('FST_ERR_SOMETHING', 500), 'a string', undefined]) {
      const error = toGatewayError(thrown, 1024);
      assert.ok(error instanceof GatewayError);
      assert.deepEqual([error.status, error.type, error.code], [500, 'api_error', 'internal_error']);
      assert.doesNotMatch(error.message, /hunter2/);
    }
  });
});

describe('errorHandler', () => {
  const app = async (render?: typeof anthropicErrorBody) => {
    const server = Fastify();
    const log = pino({ level: 'silent' });
    server.setErrorHandler(render ? errorHandler(log, 1024, render) : errorHandler(log, 1024));
    server.get('/limited', async () => {
      throw gatewayError('rate_limit_exceeded', { message: 'Slow down.', retryAfter: 9 });
    });
    server.get('/overloaded', async () => {
      throw gatewayError('upstream_unavailable', { message: 'Upstream provider is overloaded.' });
    });
    await server.ready();
    return server;
  };

  test("OpenAI's shape by default, with Retry-After", async () => {
    const server = await app();
    const res = await server.inject({ method: 'GET', url: '/limited' });
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers['retry-after'], '9');
    assert.deepEqual(res.json(), {
      error: { message: 'Slow down.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    await server.close();
  });

  test("Anthropic's shape for an Anthropic front door, same status", async () => {
    const server = await app(anthropicErrorBody);
    const res = await server.inject({ method: 'GET', url: '/overloaded' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), {
      type: 'error',
      error: { type: 'overloaded_error', message: 'Upstream provider is overloaded.' },
    });
    await server.close();
  });
});
