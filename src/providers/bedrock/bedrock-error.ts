// Bedrock errors: an HTTP status with the error type in the `x-amzn-errortype` header and `{"message"}` in
// the body, or, mid-stream, an `exception` event named after the same type (camel-cased).
import { type GatewayError, gatewayError } from '../../core/errors.js';
import { readErrorText, type UpstreamResponse } from '../http.js';
import { fromUpstreamStatus } from '../upstream-error.js';
import { bedrockErrorSchema, bedrockExceptionSchema } from './bedrock-api.js';

const MAX_ERROR_MESSAGE = 1000;

/** The HTTP status Bedrock gives each error type (from the service model); used for stream exceptions. */
const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  AccessDeniedException: 403,
  ConflictException: 400,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400,
};

/** `ValidationException:http://internal.amazon.com/coral/...` → `ValidationException`. */
function errorType(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  return raw.split(':')[0]?.split('#').pop();
}

function fromType(
  provider: string,
  status: number,
  headers: UpstreamResponse['headers'],
  type: string | undefined,
  message: string,
): GatewayError {
  if (status === 424) {
    // The model itself failed (ModelErrorException, ModelStreamErrorException): another try may work.
    return gatewayError('upstream_model_error', {
      message: `Upstream provider '${provider}' model failed: ${message}`,
      provider,
    });
  }
  return fromUpstreamStatus(provider, status, headers, {
    message: type ? `${type}: ${message}` : message,
    code: type ?? null,
  });
}

export async function bedrockHttpError(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const text = await readErrorText(res);
  let message = text.slice(0, MAX_ERROR_MESSAGE);
  let bodyType: string | undefined;
  try {
    const body = bedrockErrorSchema.safeParse(JSON.parse(text));
    if (body.success) {
      message = body.data.message ?? body.data.Message ?? message;
      bodyType = errorType(body.data.__type ?? body.data.code);
    }
  } catch {
    // Not JSON: keep the text.
  }
  return fromType(
    provider,
    res.status,
    res.headers,
    errorType(res.headers['x-amzn-errortype']) ?? bodyType,
    message,
  );
}

/** An `exception` (or `error`) message inside a ConverseStream. */
export function bedrockStreamError(provider: string, name: string, payload: unknown): GatewayError {
  const type = name.charAt(0).toUpperCase() + name.slice(1);
  const message =
    typeof payload === 'string' ? payload : (bedrockExceptionSchema.safeParse(payload).data?.message ?? '');
  return fromType(provider, STATUS_BY_TYPE[type] ?? 500, {}, type, message);
}
