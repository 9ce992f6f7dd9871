import type { GatewayError } from '../../core/errors.js';
import type { UpstreamResponse } from '../http.js';
import { fromUpstreamStatus } from '../upstream-error.js';
import { readErrorObject } from './openai-api.js';

const MAX_ERROR_MESSAGE = 1000;

/** Reads an OpenAI-style error body (`{"error":{"message",...}}`) and maps the status. */
export async function openaiHttpError(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  let text = '';
  try {
    text = await res.body.text();
  } catch {
    // The body was lost; the status alone still says what happened.
  }
  let detail: { message: string; param?: string | null; code?: string | null };
  try {
    detail = readErrorObject(JSON.parse(text));
  } catch {
    detail = { message: text.slice(0, MAX_ERROR_MESSAGE) };
  }
  // Some vendors (Azure) put the HTTP status in `code` ("429"): it says nothing the status does not.
  if (detail.code && /^\d+$/.test(detail.code)) detail = { ...detail, code: null };
  return fromUpstreamStatus(provider, res.status, res.headers, detail);
}
