// How an upstream HTTP failure becomes a GatewayError: one table for every provider. Each provider's
// `*-error.ts` extracts the message from its own error body and calls `fromUpstreamStatus`.
import { type GatewayError, gatewayError } from '../core/errors.js';
import { createRedactor } from '../core/redact.js';
import { upstreamWaitMs } from './rate-limit-headers.js';

const maskCredentials = createRedactor([]);

export interface UpstreamErrorDetail {
  message: string;
  param?: string | null;
  code?: string | null;
}

/** The wait the upstream asked for (rate-limit-headers.ts), as the error carries it. */
function askedToWait(headers: Record<string, string | string[] | undefined>) {
  const ms = upstreamWaitMs(headers);
  return ms === undefined ? {} : { retryAfterMs: ms };
}

export function fromUpstreamStatus(
  provider: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  detail: UpstreamErrorDetail,
): GatewayError {
  // Credential-shaped text is masked here, where it enters; the gateway's own keys again at the door.
  const said = detail.message ? `: ${maskCredentials(detail.message)}` : '';
  const base = { provider, param: detail.param ?? null, upstreamStatus: status };
  if (status === 401 || status === 403) {
    // The gateway's own credentials for the provider are wrong: not the client's fault, and not retryable.
    return gatewayError('upstream_auth_failed', {
      ...base,
      message: `Upstream provider '${provider}' refused the gateway's credentials${said}`,
    });
  }
  if (status === 404) {
    return gatewayError('model_not_found', {
      ...base,
      message: `Upstream provider '${provider}' does not know this model${said}`,
      param: 'model',
    });
  }
  if (status === 429) {
    return gatewayError('upstream_rate_limited', {
      ...base,
      ...askedToWait(headers),
      message: `Upstream provider '${provider}' is rate limiting${said}`,
    });
  }
  if (status === 408 || status === 504) {
    return gatewayError('upstream_timeout', {
      ...base,
      message: `Upstream provider '${provider}' timed out${said}`,
    });
  }
  if (status === 503 || status === 529) {
    return gatewayError('upstream_unavailable', {
      ...base,
      // An overloaded upstream may say when to come back (Retry-After on a 503), as a rate limit does.
      ...askedToWait(headers),
      message: `Upstream provider '${provider}' is overloaded or unavailable${said}`,
    });
  }
  if (status >= 500) {
    return gatewayError('upstream_error', {
      ...base,
      message: `Upstream provider '${provider}' failed with HTTP ${status}${said}`,
    });
  }
  if (status === 413) {
    return gatewayError('request_too_large', {
      ...base,
      message: `Upstream provider '${provider}' says the request is too large${said}`,
    });
  }
  // Any other 4xx: the provider rejected what the client asked for; pass its words, and its code, on.
  return gatewayError('upstream_rejected', {
    ...base,
    message: `Upstream provider '${provider}' rejected the request${said}`,
    providerCode: detail.code ?? null,
  });
}

/** The upstream answered 200 but with something that is not its wire format. */
export function invalidUpstreamResponse(provider: string, what: string): GatewayError {
  return gatewayError('upstream_invalid_response', {
    message: `Upstream provider '${provider}' sent an invalid response: ${what}.`,
    provider,
  });
}
