import type { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { readErrorText, type UpstreamResponse, type WholeResponse } from '../http.js';
import { fromUpstreamStatus } from '../upstream-error.js';
import { readErrorObject } from './openai-api.js';

const MAX_ERROR_MESSAGE = 1000;

/**
 * The message of the error shapes OpenAI-compatible vendors send besides OpenAI's own: Cloudflare's
 * `{"errors":[{"message"}]}`, Hugging Face's `{"error":"..."}`, FastAPI's `{"detail":"..."}` (DeepInfra),
 * a bare `{"message"}`; '' when there is none.
 */
function otherErrorMessage(body: unknown): string {
  if (!isObject(body)) return '';
  const { errors, error, detail, message } = body;
  if (Array.isArray(errors) && isObject(errors[0]) && typeof errors[0].message === 'string')
    return errors[0].message;
  if (typeof error === 'string') return error;
  if (typeof detail === 'string') return detail;
  if (isObject(detail) && typeof detail.error === 'string') return detail.error;
  return typeof message === 'string' ? message : '';
}

/** Reads an OpenAI-style error body (`{"error":{"message",...}}`) and maps the status. */
export async function openaiHttpError(
  provider: string,
  res: UpstreamResponse | WholeResponse,
): Promise<GatewayError> {
  const text = await readErrorText(res);
  let detail: { message: string; param?: string | null; code?: string | null };
  try {
    const body: unknown = JSON.parse(text);
    detail = readErrorObject(body);
    if (!detail.message) detail = { message: otherErrorMessage(body).slice(0, MAX_ERROR_MESSAGE) };
  } catch {
    detail = { message: text.slice(0, MAX_ERROR_MESSAGE) };
  }
  // Some vendors (Azure) put the HTTP status in `code` ("429"): it says nothing the status does not.
  if (detail.code && /^\d+$/.test(detail.code)) detail = { ...detail, code: null };
  return fromUpstreamStatus(provider, res.status, res.headers, detail);
}
