// The error catalogue: complete (every code the source raises is in it, and every entry is raised), and
// consistent (the status agrees with the type, only transient failures are retryable).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { ERROR_CATALOG, type GatewayErrorCode } from '../../src/core/error-catalog.js';
import {
  GatewayError,
  gatewayError,
  invalidRequest,
  modelNotFound,
  rateLimited,
  unauthorized,
} from '../../src/core/errors.js';

const codes = Object.keys(ERROR_CATALOG) as GatewayErrorCode[];

function sources(dir: string): Array<[string, string]> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry): Array<[string, string]> => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [[path, readFileSync(path, 'utf8')]] : [];
  });
}

const src = sources('src');
const catalogueFiles = new Set([
  join('src', 'core', 'error-catalog.ts'),
  join('src', 'core', 'error-renderers.ts'),
]);

describe('error catalogue', () => {
  test('no GatewayError is made outside src/core: everything goes through the catalogue', () => {
    const offenders = src
      .filter(([path, text]) => !path.startsWith(join('src', 'core')) && /new GatewayError\(/.test(text))
      .map(([path]) => path);
    assert.deepEqual(offenders, []);
  });

  test('every code literal given to a constructor is in the catalogue', () => {
    // The type already refuses others; this catches a cast or a new helper that takes a plain string.
    const codeArgument: Record<string, number> = { gatewayError: 0, forbidden: 1, invalidRequest: 2 };
    const unknown: string[] = [];
    const given: string[] = [];
    for (const [path, text] of src) {
      const file = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
      const visit = (node: ts.Node): void => {
        if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
          const at = codeArgument[node.expression.text];
          const arg = at === undefined ? undefined : node.arguments[at];
          if (arg && ts.isStringLiteralLike(arg)) {
            given.push(arg.text);
            if (!(arg.text in ERROR_CATALOG)) unknown.push(`${path}: ${arg.text}`);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    assert.deepEqual(unknown, []);
    assert.ok(given.length > 30, `found only ${given.length} codes: is the scan still finding the calls?`);
  });

  test('every entry is raised somewhere (no dead codes)', () => {
    const text = src
      .filter(([path]) => !catalogueFiles.has(path))
      .map(([, t]) => t)
      .join('\n');
    // Codes built from a template in validate-chat.ts (`${kind}_above_max_value`).
    const templated = /_(above_max|below_min)_value$/;
    const unused = codes.filter((code) => !text.includes(`'${code}'`) && !templated.test(code));
    // The defaults behind a helper: invalidRequest() → invalid_request, unauthorized() → invalid_api_key,
    // notFound() → not_found, rateLimited() → rate_limit_exceeded, internalError() → internal_error,
    // modelNotFound() → model_not_found, bodyTooLarge() → request_too_large: used through errors.ts.
    const errorsTs = readFileSync(join('src', 'core', 'errors.ts'), 'utf8');
    assert.deepEqual(
      unused.filter((code) => !errorsTs.includes(`'${code}'`)),
      [],
    );
  });

  test('each status agrees with its type, and only transient failures are retryable', () => {
    for (const code of codes) {
      const spec = ERROR_CATALOG[code];
      const { status, type, retryable } = spec;
      assert.ok(status >= 400 && status < 600, code);
      if (type === 'authentication_error') assert.equal(status, 401, code);
      if (type === 'permission_error') assert.equal(status, 403, code);
      if (type === 'rate_limit_error') assert.equal(status, 429, code);
      if (type === 'timeout_error') assert.equal(status, 504, code);
      if (type === 'invalid_request_error' || type === 'not_found_error') assert.ok(status < 500, code);
      if (type === 'upstream_error' || type === 'api_error') assert.ok(status >= 500, code);
      if (retryable) assert.ok(status === 429 || status >= 500, `${code} is retryable with ${status}`);
    }
  });
});

describe('gatewayError', () => {
  test('takes status, type, retryable and the default message from the table', () => {
    const error = gatewayError('upstream_unavailable', { provider: 'openai', retryAfter: 3 });
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 503);
    assert.equal(error.type, 'upstream_error');
    assert.equal(error.code, 'upstream_unavailable');
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfter, 3);
    assert.equal(error.provider, 'openai');
    assert.equal(error.message, ERROR_CATALOG.upstream_unavailable.message);
    assert.equal(error.param, null);
  });

  test('a default param from the table, which the caller may replace', () => {
    assert.equal(gatewayError('model_not_found').param, 'model');
    assert.equal(modelNotFound('x/y').param, 'model');
    assert.equal(gatewayError('model_not_found', { param: null }).param, null);
    assert.equal(invalidRequest('No account.', 'account_id', 'account_not_found').param, 'account_id');
  });

  test('generic errors have a meaning but no code on the wire', () => {
    const error = invalidRequest('Bad.', 'messages');
    assert.equal(error.kind, 'invalid_request');
    assert.equal(error.code, null);
    assert.equal(error.wireCode, null);
    assert.equal(error.status, 400);
    assert.equal(gatewayError('unknown_route').code, null);
  });

  test("the provider's own code is kept apart from ours, and is what the wire says", () => {
    const error = gatewayError('upstream_rejected', { providerCode: 'context_length_exceeded' });
    assert.equal(error.code, 'upstream_rejected');
    assert.equal(error.providerCode, 'context_length_exceeded');
    assert.equal(error.wireCode, 'context_length_exceeded');
    assert.equal(gatewayError('upstream_rejected').wireCode, 'upstream_rejected');
  });

  test('the helpers are the table', () => {
    const key = unauthorized();
    assert.deepEqual([key.status, key.type, key.code], [401, 'authentication_error', 'invalid_api_key']);
    assert.equal(key.message, ERROR_CATALOG.invalid_api_key.message);
    const limited = rateLimited('Slow down.', 7);
    assert.deepEqual(
      [limited.status, limited.code, limited.retryAfter, limited.retryable],
      [429, 'rate_limit_exceeded', 7, false],
    );
  });

  test('withMessage keeps everything but the message', () => {
    const cause = gatewayError('upstream_rejected', {
      message: 'first',
      param: 'messages',
      providerCode: 'context_length_exceeded',
      provider: 'openai',
      retryAfter: 2,
    });
    const told = cause.withMessage('All 2 attempts failed.');
    assert.equal(told.message, 'All 2 attempts failed.');
    assert.deepEqual(
      [told.kind, told.status, told.type, told.param, told.providerCode, told.provider, told.retryAfter],
      ['upstream_rejected', 400, 'invalid_request_error', 'messages', 'context_length_exceeded', 'openai', 2],
    );
    assert.equal(told.cause, cause);
  });
});
