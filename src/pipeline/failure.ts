import { GatewayError, internalError } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';

/**
 * A failure as the gateway tells it: its own errors as they are, anything else an internal error. An
 * upstream's words are passed on only with the gateway's secrets masked (an upstream may quote the key).
 */
export function asGatewayError(error: unknown, redact?: Redactor): GatewayError {
  if (!(error instanceof GatewayError)) return internalError(error);
  if (error.provider === undefined || redact === undefined) return error;
  const message = redact(error.message);
  return message === error.message ? error : error.withMessage(message);
}
