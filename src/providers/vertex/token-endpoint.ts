// Google's OAuth2 token endpoint (https://oauth2.googleapis.com/token): a form POST for one grant (the JWT
// bearer grant of a service account, the refresh-token grant of a user), answered with `access_token` and
// `expires_in`, or with an OAuth error (`error`, `error_description`).
import type { GatewayError } from '../../core/errors.js';
import type { HttpClient } from '../http.js';
import { readJsonBody } from '../http.js';
import { fromUpstreamStatus, invalidUpstreamResponse } from '../upstream-error.js';
import type { IssuedToken } from './access-token.js';

/** The longest one token exchange may take. */
export const EXCHANGE_TIMEOUT_MS = 30_000;

type Headers = Record<string, string | string[] | undefined>;

/** POSTs the grant's form and reads the token; a refusal is a GatewayError. */
export async function exchangeAtTokenEndpoint(
  provider: string,
  http: HttpClient,
  tokenUri: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<IssuedToken> {
  // Not a caller's signal: the exchange serves every caller waiting for it.
  const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
  const res = await http.request(
    provider,
    new URL(tokenUri),
    { ...headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    new URLSearchParams(form).toString(),
    signal,
  );
  const body = await readJsonBody(provider, res, signal).catch(() => undefined);
  if (res.status < 200 || res.status >= 300)
    throw tokenRefused(provider, 'the OAuth token endpoint', res.status, res.headers, body);
  return issuedToken(provider, 'the OAuth token endpoint', body);
}

/** A token answer (`{access_token, expires_in, token_type}`), as the token endpoint and the metadata server give it. */
export function issuedToken(provider: string, issuer: string, body: unknown): IssuedToken {
  const answer = body as { access_token?: unknown; expires_in?: unknown } | undefined;
  if (typeof answer?.access_token !== 'string' || answer.access_token === '') {
    throw invalidUpstreamResponse(provider, `${issuer} answered without access_token`);
  }
  return {
    accessToken: answer.access_token,
    expiresInS: typeof answer.expires_in === 'number' ? answer.expires_in : undefined,
  };
}

/** A refused grant: the gateway's credentials are wrong (4xx), or the issuer failed (5xx, 429). */
export function tokenRefused(
  provider: string,
  issuer: string,
  status: number,
  headers: Headers,
  body: unknown,
): GatewayError {
  // OAuth's `{error, error_description}`, or Google's `{error: {message}}` (IAM, STS).
  const detail = body as { error?: unknown; error_description?: unknown } | undefined;
  const rpc = (detail?.error as { message?: unknown } | undefined)?.message;
  const what = [detail?.error, detail?.error_description, rpc]
    .filter((s) => typeof s === 'string')
    .join(': ');
  const message = `${issuer} answered ${status}${what ? ` (${what})` : ''}`;
  const mapped = status >= 500 || status === 429 ? status : 401;
  return fromUpstreamStatus(provider, mapped, headers, { message });
}
