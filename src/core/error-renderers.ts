// A GatewayError in each front door's wire shape. The error carries the meaning (code, status, message,
// param); each function here only says how one API family writes it. The status is the same for every
// front door: only the body differs.
import type { GatewayErrorCode } from './error-catalog.js';
import type { GatewayError } from './errors.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** OpenAI's `{"error":{"message","type","param","code"}}` (chat completions, responses, embeddings, ...). */
export function openAIErrorBody(error: GatewayError): OpenAIErrorBody {
  return {
    error: { message: error.message, type: error.type, param: error.param, code: error.wireCode },
  };
}

/** The error types Anthropic's API and SDKs know (https://docs.anthropic.com/en/api/errors). */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/**
 * Each of our codes in Anthropic's vocabulary, chosen by meaning rather than by status: an unavailable
 * upstream is `overloaded_error` although we answer 503, not Anthropic's 529; running out of credits is
 * `billing_error` although we answer 403. A new code does not compile until it has its line here.
 */
const ANTHROPIC_TYPE: Record<GatewayErrorCode, AnthropicErrorType> = {
  invalid_request: 'invalid_request_error',
  invalid_value: 'invalid_request_error',
  missing_required_parameter: 'invalid_request_error',
  decimal_above_max_value: 'invalid_request_error',
  decimal_below_min_value: 'invalid_request_error',
  integer_above_max_value: 'invalid_request_error',
  integer_below_min_value: 'invalid_request_error',
  invalid_type: 'invalid_request_error',
  array_above_max_length: 'invalid_request_error',
  array_below_min_length: 'invalid_request_error',
  empty_array: 'invalid_request_error',
  unsupported_image_type: 'invalid_request_error',
  unsupported_image_url: 'invalid_request_error',
  unsupported_content: 'invalid_request_error',
  account_not_found: 'invalid_request_error',
  invalid_idempotency_key: 'invalid_request_error',
  request_timeout: 'invalid_request_error',
  request_header_too_large: 'request_too_large',
  request_too_large: 'request_too_large',
  // Anthropic uses invalid_request_error for the 4xx statuses it has no type for (409 here).
  idempotency_key_reused: 'invalid_request_error',
  account_unmetered: 'invalid_request_error',
  plan_in_use: 'invalid_request_error',
  plan_name_taken: 'invalid_request_error',
  redemption_code_invalid: 'invalid_request_error',
  redemption_code_used: 'invalid_request_error',
  unknown_route: 'not_found_error',
  model_not_found: 'not_found_error',
  not_found: 'not_found_error',
  invalid_api_key: 'authentication_error',
  admin_key_required: 'permission_error',
  model_not_allowed: 'permission_error',
  model_unpriced: 'permission_error',
  insufficient_credits: 'billing_error',
  budget_exceeded: 'billing_error',
  rate_limit_exceeded: 'rate_limit_error',
  internal_error: 'api_error',
  wallet_unavailable: 'api_error',
  deployment_saturated: 'overloaded_error',
  console_not_built: 'api_error',
  upstream_auth_failed: 'api_error',
  upstream_rate_limited: 'rate_limit_error',
  upstream_timeout: 'timeout_error',
  upstream_unavailable: 'overloaded_error',
  upstream_error: 'api_error',
  upstream_model_error: 'api_error',
  upstream_unreachable: 'api_error',
  upstream_answer_too_large: 'api_error',
  upstream_invalid_response: 'api_error',
  upstream_rejected: 'invalid_request_error',
};

/** Anthropic's `{"type":"error","error":{"type","message"}}` (messages, count_tokens). */
export function anthropicErrorBody(error: GatewayError): AnthropicErrorBody {
  return { type: 'error', error: { type: ANTHROPIC_TYPE[error.kind], message: error.message } };
}
