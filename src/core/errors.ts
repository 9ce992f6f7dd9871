// One error catalogue. Layers below the server throw GatewayError; only the server turns it into HTTP.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'api_error'
  | 'upstream_error'
  | 'timeout_error';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface GatewayErrorInit {
  status: number;
  type: ErrorType;
  code?: string | null;
  param?: string | null;
  /** Whether the same call may succeed if tried again (the router reads only this). */
  retryable?: boolean;
  /** Seconds the caller should wait, from an upstream `retry-after` or our own limiter. */
  retryAfter?: number;
  /** Which provider failed, when the error came from upstream. */
  provider?: string;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly retryAfter: number | undefined;
  readonly provider: string | undefined;

  constructor(message: string, init: GatewayErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatewayError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.retryable = init.retryable ?? false;
    this.retryAfter = init.retryAfter;
    this.provider = init.provider;
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

// Constructors for the errors the gateway itself raises; upstream errors are built in providers/.

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError(message, { status: 400, type: 'invalid_request_error', param, code });

export const unauthorized = (
  message = 'Incorrect API key provided. Pass a valid key as `Authorization: Bearer <key>`.',
) => new GatewayError(message, { status: 401, type: 'authentication_error', code: 'invalid_api_key' });

export const forbidden = (message: string, code: string) =>
  new GatewayError(message, { status: 403, type: 'permission_error', code });

export const modelNotFound = (model: string, why?: string) =>
  new GatewayError(
    `The model \`${model}\` does not exist or you do not have access to it${why ? `: ${why}` : ''}.`,
    {
      status: 404,
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    },
  );

export const notFound = (message: string) =>
  new GatewayError(message, { status: 404, type: 'not_found_error', code: 'not_found' });

export const rateLimited = (message: string, retryAfter: number) =>
  new GatewayError(message, {
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    retryAfter,
  });

export const bodyTooLarge = (limit: number) =>
  new GatewayError(`Request body is larger than the limit of ${limit} bytes.`, {
    status: 413,
    type: 'invalid_request_error',
    code: 'request_too_large',
  });

export const internalError = (cause: unknown) =>
  new GatewayError('The gateway hit an internal error. It has been logged.', {
    status: 500,
    type: 'api_error',
    code: 'internal_error',
    cause,
  });
