// A request that ends in an error: the row and the metrics say so, and the door tells the client.
import type { ServedBy } from '../accounting/ledger-record.js';
import type { GatewayError } from '../core/errors.js';
import type { PipelineDeps } from './deps.js';
import type { Exchange, OperationRequest } from './exchange.js';
import { asGatewayError } from './failure.js';
import type { Answer } from './front-door.js';
import { failureHeaders } from './headers.js';
import { settle } from './settle.js';

/** Settles a failed request (nothing is charged) and answers with its error and these headers. */
export function failed(
  deps: PipelineDeps,
  door: string,
  exchange: Exchange<OperationRequest>,
  error: GatewayError,
  headers: Record<string, string> = {},
  servedBy?: ServedBy,
): Answer {
  void settle(deps, door, exchange, {
    status: 'error',
    httpStatus: error.status,
    metered: undefined,
    errorCode: error.wireCode,
    errorMessage: error.message,
    ...(servedBy ? { servedBy } : {}),
  });
  return { kind: 'error', error, headers };
}

/**
 * A whole (non-streamed) answer that failed once it was under way: the client left (settled as aborted,
 * no one to answer), or the attempts failed (the error, with the deployment's headers).
 */
export function answerFailed(
  deps: PipelineDeps,
  door: string,
  exchange: Exchange<OperationRequest>,
  error: unknown,
): Answer {
  if (exchange.client.aborted) {
    void settle(deps, door, exchange, {
      status: 'aborted',
      httpStatus: 499,
      metered: undefined,
      errorCode: null,
    });
    return { kind: 'gone' };
  }
  return failed(deps, door, exchange, asGatewayError(error, deps.redact), failureHeaders(exchange));
}
