// Cohere errors: an HTTP status with `{"id"?, "message"}`; or, inside a stream, a message-end event whose
// finish_reason is ERROR or TIMEOUT (the status was already 200).
import { type GatewayError, gatewayError } from '../../core/errors.js';
import { readErrorText, type UpstreamResponse } from '../http.js';
import { fromUpstreamStatus } from '../upstream-error.js';
import { cohereErrorSchema } from './cohere-api.js';

const MAX_ERROR_MESSAGE = 1000;

export async function cohereHttpError(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const text = await readErrorText(res);
  let message = text.slice(0, MAX_ERROR_MESSAGE);
  try {
    const body = cohereErrorSchema.safeParse(JSON.parse(text));
    if (body.success) message = body.data.message;
  } catch {
    // Not JSON: keep the text.
  }
  // 498 is Cohere's "invalid token": the gateway's key is wrong, like a 401.
  return fromUpstreamStatus(provider, res.status === 498 ? 401 : res.status, res.headers, { message });
}

/** A generation that ended in ERROR or TIMEOUT after a 200: another try may work. */
export function cohereGenerationError(provider: string, finishReason: string, detail: string | undefined) {
  const timeout = finishReason === 'TIMEOUT';
  const said = detail ? `: ${detail}` : '';
  return gatewayError(timeout ? 'upstream_timeout' : 'upstream_error', {
    message: `Upstream provider '${provider}' ${timeout ? 'timed out while generating' : 'failed while generating'}${said}`,
    provider,
  });
}
