// Gemini's errors (`{"error":{"code","message","status","details"}}`) as GatewayErrors, through the shared
// status table, with two Gemini habits corrected first (see below).
import type { GatewayError } from '../../core/errors.js';
import { readErrorText, type UpstreamResponse } from '../http.js';
import { fromUpstreamStatus } from '../upstream-error.js';
import { type GoogleErrorDetail, googleErrorBodySchema, toGoogleErrorDetail } from './google-api.js';

const MAX_ERROR_MESSAGE = 1000;

type Headers = Record<string, string | string[] | undefined>;

/** Maps a Google error (from an HTTP status, or sent in-band in a stream) to a GatewayError. */
export function googleError(
  provider: string,
  status: number,
  headers: Headers,
  detail: GoogleErrorDetail | undefined,
  fallbackMessage = '',
): GatewayError {
  const message = detail?.message || fallbackMessage;
  // Gemini answers a wrong API key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID): that is the gateway's
  // credentials failing, not the client's request, so it is mapped like a 401.
  const badKey = detail?.reason === 'API_KEY_INVALID' || /API key not valid/i.test(message);
  const effective = badKey ? 401 : status;
  // RESOURCE_EXHAUSTED says when to retry in details[].retryDelay rather than a Retry-After header.
  const withRetry =
    detail?.retryDelaySeconds !== undefined && headers['retry-after'] === undefined
      ? { ...headers, 'retry-after': String(detail.retryDelaySeconds) }
      : headers;
  // Google status names (INVALID_ARGUMENT, ...) are not gateway codes: 4xx keep the generic code.
  return fromUpstreamStatus(provider, effective, withRetry, { message });
}

/** Reads a failed HTTP answer's body and maps it. */
export async function googleHttpError(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const text = await readErrorText(res);
  let detail: GoogleErrorDetail | undefined;
  try {
    const body = googleErrorBodySchema.safeParse(JSON.parse(text));
    detail = body.success ? toGoogleErrorDetail(body.data) : undefined;
  } catch {
    detail = undefined;
  }
  return googleError(provider, res.status, res.headers, detail, text.slice(0, MAX_ERROR_MESSAGE));
}
