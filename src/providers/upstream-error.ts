// How an upstream HTTP failure becomes a GatewayError: one table for every provider. Each provider's
// `*-error.ts` extracts the message from its own error body and calls `fromUpstreamStatus`.
import { GatewayError } from '../core/errors.js';

export interface UpstreamErrorDetail {
  message: string;
  param?: string | null;
  code?: string | null;
}

/** Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const raw = headers['retry-after'];
  if (typeof raw !== 'string' || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export function fromUpstreamStatus(
  provider: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  detail: UpstreamErrorDetail,
): GatewayError {
  const said = detail.message ? `: ${detail.message}` : '';
  const base = { provider, param: detail.param ?? null };
  if (status === 401 || status === 403) {
    // The gateway's own credentials for the provider are wrong: not the client's fault, and not retryable.
    return new GatewayError(`Upstream provider '${provider}' refused the gateway's credentials${said}`, {
      ...base,
      status: 502,
      type: 'upstream_error',
      code: 'upstream_auth_failed',
    });
  }
  if (status === 404) {
    return new GatewayError(`Upstream provider '${provider}' does not know this model${said}`, {
      ...base,
      status: 404,
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    });
  }
  if (status === 429) {
    const retryAfter = parseRetryAfter(headers);
    return new GatewayError(`Upstream provider '${provider}' is rate limiting${said}`, {
      ...base,
      status: 429,
      type: 'rate_limit_error',
      code: 'upstream_rate_limited',
      retryable: true,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
  }
  if (status === 408 || status === 504) {
    return new GatewayError(`Upstream provider '${provider}' timed out${said}`, {
      ...base,
      status: 504,
      type: 'timeout_error',
      code: 'upstream_timeout',
      retryable: true,
    });
  }
  if (status === 503 || status === 529) {
    return new GatewayError(`Upstream provider '${provider}' is overloaded or unavailable${said}`, {
      ...base,
      status: 503,
      type: 'upstream_error',
      code: 'upstream_unavailable',
      retryable: true,
    });
  }
  if (status >= 500) {
    return new GatewayError(`Upstream provider '${provider}' failed with HTTP ${status}${said}`, {
      ...base,
      status: 502,
      type: 'upstream_error',
      code: 'upstream_error',
      retryable: true,
    });
  }
  if (status === 413) {
    return new GatewayError(`Upstream provider '${provider}' says the request is too large${said}`, {
      ...base,
      status: 413,
      type: 'invalid_request_error',
      code: 'request_too_large',
    });
  }
  // Any other 4xx: the provider rejected what the client asked for; pass its words on.
  return new GatewayError(`Upstream provider '${provider}' rejected the request${said}`, {
    ...base,
    status: 400,
    type: 'invalid_request_error',
    code: detail.code ?? 'upstream_rejected',
  });
}

/** The upstream answered 200 but with something that is not its wire format. */
export function invalidUpstreamResponse(provider: string, what: string): GatewayError {
  return new GatewayError(`Upstream provider '${provider}' sent an invalid response: ${what}.`, {
    status: 502,
    type: 'upstream_error',
    code: 'upstream_invalid_response',
    retryable: true,
    provider,
  });
}
