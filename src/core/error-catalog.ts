// Every error code the gateway gives, with what it means: the OpenAI error type, the HTTP status, whether
// the same call may succeed if tried again, and a default message. A code not in this table does not
// compile (GatewayErrorCode). How an error is written on the wire is the renderers' business
// (error-renderers.ts), not this table's.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'upstream_error'
  | 'timeout_error';

export interface ErrorSpec {
  type: ErrorType;
  status: number;
  /** Whether the same call may succeed if tried again (the router reads only this). */
  retryable: boolean;
  message: string;
  /** The parameter this error is about, unless the caller names another. */
  param?: string;
  /** False for generic errors that OpenAI sends with `code: null`: the client sees no code for them. */
  publicCode?: false;
}

export const ERROR_CATALOG = {
  // The client's request.
  invalid_request: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'The request is not valid.',
    publicCode: false,
  },
  invalid_value: { type: 'invalid_request_error', status: 400, retryable: false, message: 'Invalid value.' },
  missing_required_parameter: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'A required parameter is missing.',
  },
  decimal_above_max_value: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'A number is above its maximum.',
  },
  decimal_below_min_value: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'A number is below its minimum.',
  },
  integer_above_max_value: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'An integer is above its maximum.',
  },
  integer_below_min_value: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'An integer is below its minimum.',
  },
  invalid_type: { type: 'invalid_request_error', status: 400, retryable: false, message: 'Invalid type.' },
  array_above_max_length: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'An array has too many items.',
  },
  array_below_min_length: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'An array has too few items.',
  },
  empty_array: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'An array that must not be empty is empty.',
  },
  unsupported_image_type: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'This provider does not take images of this type.',
  },
  unsupported_image_url: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'This provider does not take images at this kind of URL.',
  },
  unsupported_content: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'This provider does not take this kind of content.',
  },
  account_not_found: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'No account with this id.',
    param: 'account_id',
  },
  invalid_idempotency_key: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
  },
  request_timeout: {
    type: 'invalid_request_error',
    status: 408,
    retryable: false,
    message: 'The request was not received in time: the connection is closed.',
  },
  request_header_too_large: {
    type: 'invalid_request_error',
    status: 431,
    retryable: false,
    message: 'The request line or headers are larger than the limit.',
  },
  request_too_large: {
    type: 'invalid_request_error',
    status: 413,
    retryable: false,
    message: 'The request body is too large.',
  },
  account_unmetered: {
    type: 'invalid_request_error',
    status: 409,
    retryable: false,
    message:
      'This account is unmetered: credit would not limit it. Switch it to prepaid first (PATCH /admin/accounts/{id} with {"metering": "prepaid"}).',
  },
  redemption_code_invalid: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'This redemption code is not valid.',
    param: 'code',
  },
  redemption_code_used: {
    type: 'invalid_request_error',
    status: 409,
    retryable: false,
    message: 'This redemption code has already been redeemed.',
    param: 'code',
  },
  plan_in_use: {
    type: 'invalid_request_error',
    status: 409,
    retryable: false,
    message: 'Accounts are on this price plan: move them to another plan (or none) before deleting it.',
  },
  plan_name_taken: {
    type: 'invalid_request_error',
    status: 409,
    retryable: false,
    message: 'A price plan with this name exists already.',
    param: 'name',
  },
  idempotency_key_reused: {
    type: 'invalid_request_error',
    status: 409,
    retryable: false,
    message:
      'This Idempotency-Key was already used with a different request body. Use a new key for a new request.',
  },
  unknown_route: {
    type: 'invalid_request_error',
    status: 404,
    retryable: false,
    message: 'Invalid URL.',
    publicCode: false,
  },
  model_not_found: {
    type: 'invalid_request_error',
    status: 404,
    retryable: false,
    message: 'The model does not exist or you do not have access to it.',
    param: 'model',
  },
  not_found: { type: 'not_found_error', status: 404, retryable: false, message: 'Not found.' },

  // Who is asking, and what they may do.
  invalid_api_key: {
    type: 'authentication_error',
    status: 401,
    retryable: false,
    message: 'Incorrect API key provided. Pass a valid key as `Authorization: Bearer <key>`.',
  },
  admin_key_required: {
    type: 'permission_error',
    status: 403,
    retryable: false,
    message: 'This endpoint needs the admin key.',
  },
  model_not_allowed: {
    type: 'permission_error',
    status: 403,
    retryable: false,
    message: 'This API key is not allowed to use this model.',
  },
  model_unpriced: {
    type: 'permission_error',
    status: 403,
    retryable: false,
    message: 'This model has no price, so its cost cannot be bounded; a metered key may not use it.',
  },
  insufficient_credits: {
    type: 'permission_error',
    status: 403,
    retryable: false,
    message: 'Insufficient credits.',
  },
  budget_exceeded: {
    type: 'permission_error',
    status: 403,
    retryable: false,
    message: "This key's budget is spent.",
  },
  // Our own limiter: the router never retries it, the client waits Retry-After.
  rate_limit_exceeded: {
    type: 'rate_limit_error',
    status: 429,
    retryable: false,
    message: 'Rate limit reached.',
  },

  // The gateway itself.
  internal_error: {
    type: 'api_error',
    status: 500,
    retryable: false,
    message: 'The gateway hit an internal error. It has been logged.',
  },
  wallet_unavailable: {
    type: 'api_error',
    status: 503,
    retryable: true,
    message:
      'The gateway cannot check the balance of this account right now (its shared wallet is unreachable). Nothing was sent upstream; try again shortly.',
  },
  // Every deployment that could serve had its in-flight limit reached and its queue full (or waited too
  // long): the router falls back on it like on an upstream failure; the client gets it when none is left.
  deployment_saturated: {
    type: 'api_error',
    status: 503,
    retryable: true,
    message:
      'Every deployment that can serve this model is at its limit of requests in flight. Try again shortly.',
  },
  console_not_built: {
    type: 'api_error',
    status: 503,
    retryable: false,
    message: 'console not built: run npm run build:console',
  },

  // Upstream providers. Their own status is mapped (providers/upstream-error.ts): the client sees ours.
  upstream_auth_failed: {
    type: 'upstream_error',
    status: 502,
    retryable: false,
    message: "The upstream provider refused the gateway's credentials.",
  },
  upstream_rate_limited: {
    type: 'rate_limit_error',
    status: 429,
    retryable: true,
    message: 'The upstream provider is rate limiting.',
  },
  upstream_timeout: {
    type: 'timeout_error',
    status: 504,
    retryable: true,
    message: 'The upstream provider timed out.',
  },
  upstream_unavailable: {
    type: 'upstream_error',
    status: 503,
    retryable: true,
    message: 'The upstream provider is overloaded or unavailable.',
  },
  upstream_error: {
    type: 'upstream_error',
    status: 502,
    retryable: true,
    message: 'The upstream provider failed.',
  },
  upstream_model_error: {
    type: 'upstream_error',
    status: 502,
    retryable: true,
    message: 'The upstream model failed.',
  },
  upstream_unreachable: {
    type: 'upstream_error',
    status: 502,
    retryable: true,
    message: 'Could not reach the upstream provider.',
  },
  // Not retried: the same call would send the same flood again.
  upstream_answer_too_large: {
    type: 'upstream_error',
    status: 502,
    retryable: false,
    message: 'The upstream provider sent an answer larger than the gateway accepts.',
  },
  upstream_invalid_response: {
    type: 'upstream_error',
    status: 502,
    retryable: true,
    message: 'The upstream provider sent an invalid response.',
  },
  // The provider refused what the client asked for. Its own code, when it gave one, is passed on to the
  // client in place of this one (GatewayError.providerCode).
  upstream_rejected: {
    type: 'invalid_request_error',
    status: 400,
    retryable: false,
    message: 'The upstream provider rejected the request.',
  },
} as const satisfies Record<string, ErrorSpec>;

type Catalog = typeof ERROR_CATALOG;

/** Every error the gateway gives, by its code. */
export type GatewayErrorCode = keyof Catalog;

/** The codes a client sees in `error.code`; the others are sent as `null`. */
export type PublicErrorCode = {
  [K in GatewayErrorCode]: Catalog[K] extends { publicCode: false } ? never : K;
}[GatewayErrorCode];

/** The codes whose spec has these fields: `forbidden` takes only 403 permission errors, and so on. */
export type CodeWhere<Fields extends Partial<ErrorSpec>> = {
  [K in GatewayErrorCode]: Catalog[K] extends Fields ? K : never;
}[GatewayErrorCode];

export function isPublicCode(code: GatewayErrorCode): code is PublicErrorCode {
  return !('publicCode' in ERROR_CATALOG[code]);
}
