// One error, two front doors: OpenAI's body and Anthropic's, from the same meaning.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERROR_CATALOG, type GatewayErrorCode } from '../../src/core/error-catalog.js';
import { anthropicErrorBody, openAIErrorBody } from '../../src/core/error-renderers.js';
import { forbidden, gatewayError, invalidRequest, unauthorized } from '../../src/core/errors.js';

describe('openAIErrorBody', () => {
  test('message, type, param and code', () => {
    const error = invalidRequest("Invalid 'top_p'.", 'top_p', 'decimal_above_max_value');
    assert.deepEqual(openAIErrorBody(error), {
      error: {
        message: "Invalid 'top_p'.",
        type: 'invalid_request_error',
        param: 'top_p',
        code: 'decimal_above_max_value',
      },
    });
    assert.deepEqual(error.toBody(), openAIErrorBody(error));
  });

  test('a generic error is sent with code null', () => {
    assert.deepEqual(openAIErrorBody(invalidRequest('The request body is empty.')), {
      error: {
        message: 'The request body is empty.',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  test("an upstream rejection passes the provider's code on", () => {
    const error = gatewayError('upstream_rejected', {
      message: "Upstream provider 'openai' rejected the request: too long",
      param: 'messages',
      providerCode: 'context_length_exceeded',
    });
    assert.deepEqual(openAIErrorBody(error).error, {
      message: "Upstream provider 'openai' rejected the request: too long",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    });
  });
});

describe('anthropicErrorBody', () => {
  const typeOf = (code: GatewayErrorCode) => anthropicErrorBody(gatewayError(code)).error.type;

  test('the envelope and the message', () => {
    assert.deepEqual(anthropicErrorBody(unauthorized('This API key has been revoked.')), {
      type: 'error',
      error: { type: 'authentication_error', message: 'This API key has been revoked.' },
    });
  });

  test('types by meaning', () => {
    assert.equal(typeOf('invalid_request'), 'invalid_request_error');
    assert.equal(typeOf('upstream_rejected'), 'invalid_request_error');
    assert.equal(typeOf('model_not_found'), 'not_found_error');
    assert.equal(typeOf('unknown_route'), 'not_found_error');
    assert.equal(typeOf('request_too_large'), 'request_too_large');
    assert.equal(typeOf('rate_limit_exceeded'), 'rate_limit_error');
    assert.equal(typeOf('upstream_rate_limited'), 'rate_limit_error');
    assert.equal(typeOf('upstream_timeout'), 'timeout_error');
    assert.equal(typeOf('internal_error'), 'api_error');
    assert.equal(typeOf('upstream_auth_failed'), 'api_error');
    assert.equal(anthropicErrorBody(forbidden('No.', 'model_not_allowed')).error.type, 'permission_error');
    assert.equal(
      anthropicErrorBody(forbidden('Top up.', 'insufficient_credits')).error.type,
      'billing_error',
    );
  });

  test('an unavailable upstream is overloaded_error, though our status stays 503', () => {
    const error = gatewayError('upstream_unavailable');
    assert.equal(error.status, 503);
    assert.equal(anthropicErrorBody(error).error.type, 'overloaded_error');
  });

  test('every code has a type that fits its status class', () => {
    for (const code of Object.keys(ERROR_CATALOG) as GatewayErrorCode[]) {
      const type = typeOf(code);
      const { status } = ERROR_CATALOG[code];
      const serverSide = type === 'api_error' || type === 'overloaded_error' || type === 'timeout_error';
      assert.equal(serverSide, status >= 500, `${code}: ${type} for ${status}`);
    }
  });
});
