// A request that ends in an error: the row and the metrics say so, and the door tells the client.
import type { Ledger } from '../accounting/ledger.js';
import { ledgerRow, type ServedBy } from '../accounting/ledger-record.js';
import type { Principal } from '../auth/authenticator.js';
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

/** A front door's request refused before the pipeline settled it (bad input, model not allowed, ...). */
export interface Refusal {
  id: string;
  createdAt: number;
  principal: Principal;
  /** The model the body named, when it named one. */
  model: string | undefined;
  httpStatus: number;
  errorCode: string | null;
  latencyMs: number;
  door: string;
}

/**
 * Records a refusal of an authenticated key's request in the ledger (at no cost), so the account sees why
 * its calls failed. The pipeline's own stages record theirs (admission: rate limits, credits) as they settle.
 */
export function recordRefusal(ledger: Ledger, refusal: Refusal): void {
  void ledger.record(
    ledgerRow({
      id: refusal.id,
      createdAt: refusal.createdAt,
      principal: refusal.principal,
      model: refusal.model ?? '',
      servedBy: undefined,
      status: 'error',
      httpStatus: refusal.httpStatus,
      stream: false,
      metered: undefined,
      latencyMs: refusal.latencyMs,
      ttftMs: null,
      errorCode: refusal.errorCode,
      attempts: [],
      door: refusal.door,
    }),
  );
}
