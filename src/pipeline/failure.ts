import { GatewayError, internalError } from '../core/errors.js';

/** A failure as the gateway tells it: its own errors as they are, anything else an internal error. */
export const asGatewayError = (error: unknown): GatewayError =>
  error instanceof GatewayError ? error : internalError(error);
