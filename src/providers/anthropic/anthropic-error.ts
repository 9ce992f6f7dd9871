// Anthropic errors (`{"type":"error","error":{"type","message"},"request_id"}`), from an HTTP answer or an
// `event: error` in a stream, as GatewayErrors through the one shared status table (upstream-error.ts).
import type { GatewayError } from '../../core/errors.js';
import { readErrorText, type UpstreamResponse, type WholeResponse } from '../http.js';
import { fromUpstreamStatus } from '../upstream-error.js';
import { type AnthropicErrorDetail, anthropicErrorSchema } from './anthropic-api.js';

const MAX_ERROR_MESSAGE = 1000;

/**
 * The HTTP status Anthropic documents for each error type. An error inside a 200 stream has no status of its
 * own, so this gives it the one it would have had (so `overloaded_error` is retryable like a 529).
 */
const STATUS_BY_ERROR_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function describe(detail: AnthropicErrorDetail): string {
  if (!detail.message) return detail.type;
  return detail.type ? `${detail.message} (${detail.type})` : detail.message;
}

export async function anthropicHttpError(
  provider: string,
  res: UpstreamResponse | WholeResponse,
): Promise<GatewayError> {
  const text = await readErrorText(res);
  let message: string;
  try {
    const body = anthropicErrorSchema.safeParse(JSON.parse(text));
    message = describe(body.data?.error ?? { type: '', message: '' });
  } catch {
    message = text.slice(0, MAX_ERROR_MESSAGE);
  }
  return fromUpstreamStatus(provider, res.status, res.headers, { message });
}

/** An `event: error` received mid-stream. Unknown error types count as a server error (retryable). */
export function anthropicStreamError(provider: string, detail: AnthropicErrorDetail): GatewayError {
  const status = STATUS_BY_ERROR_TYPE[detail.type] ?? 500;
  return fromUpstreamStatus(provider, status, {}, { message: describe(detail) });
}
