// OAuth2 access tokens for a Google service account (RFC 7523's JWT bearer grant, as google-auth-library's
// JWT client does it): a JWT signed with the account's RSA key (RS256, node:crypto) is exchanged at the
// account's `token_uri` for an access token, which is cached until shortly before it expires. Concurrent
// callers share one exchange; nothing is fetched per request.
import { createSign } from 'node:crypto';
import type { GatewayError } from '../../core/errors.js';
import type { HttpClient } from '../http.js';
import { readJsonBody } from '../http.js';
import { fromUpstreamStatus, invalidUpstreamResponse } from '../upstream-error.js';

export interface ServiceAccount {
  clientEmail: string;
  /** PEM, PKCS#8 (`-----BEGIN PRIVATE KEY-----`), as in the JSON key file. */
  privateKey: string;
  privateKeyId?: string;
  /** The token endpoint: the key file's `token_uri` (https://oauth2.googleapis.com/token). */
  tokenUri: string;
}

/** Vertex AI's scope (the one Google's client libraries ask for it). */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const JWT_LIFETIME_S = 3600;
/** Refreshed this long before expiry (google-auth-library's eagerRefreshThresholdMillis: 5 minutes). */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** The longest one token exchange may take. */
const EXCHANGE_TIMEOUT_MS = 30_000;

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The signed assertion: `header.claims.signature`, RS256. */
export function signAssertion(account: ServiceAccount, nowSeconds: number, scope = CLOUD_PLATFORM_SCOPE) {
  const header = { alg: 'RS256', typ: 'JWT', ...(account.privateKeyId ? { kid: account.privateKeyId } : {}) };
  const claims = {
    iss: account.clientEmail,
    scope,
    aud: account.tokenUri,
    iat: nowSeconds,
    exp: nowSeconds + JWT_LIFETIME_S,
  };
  const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(signed).sign(account.privateKey);
  return `${signed}.${base64url(signature)}`;
}

export class AccessTokenSource {
  private cached: { value: string; refreshAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly provider: string,
    private readonly account: ServiceAccount,
    private readonly http: HttpClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid access token: the cached one, or the one exchange under way, or a new exchange. */
  get(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return Promise.resolve(this.cached.value);
    this.pending ??= this.exchange().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async exchange(): Promise<string> {
    const issued = this.now();
    const assertion = signAssertion(this.account, Math.floor(issued / 1000));
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    });
    // Not the caller's signal: the exchange serves every caller waiting for it.
    const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
    const res = await this.http.request(
      this.provider,
      new URL(this.account.tokenUri),
      { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      form.toString(),
      signal,
    );
    const body = await readJsonBody(this.provider, res, signal).catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw this.refused(res.status, res.headers, body);
    const answer = body as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof answer?.access_token !== 'string' || answer.access_token === '') {
      throw invalidUpstreamResponse(this.provider, 'the OAuth token endpoint answered without access_token');
    }
    const lifetimeMs = (typeof answer.expires_in === 'number' ? answer.expires_in : 3600) * 1000;
    this.cached = {
      value: answer.access_token,
      refreshAt: issued + Math.max(0, lifetimeMs - REFRESH_MARGIN_MS),
    };
    return answer.access_token;
  }

  /** A refused exchange: the gateway's credentials are wrong (4xx), or the endpoint failed (5xx, 429). */
  private refused(
    status: number,
    headers: Record<string, string | string[] | undefined>,
    body: unknown,
  ): GatewayError {
    const detail = body as { error?: unknown; error_description?: unknown } | undefined;
    const what = [detail?.error, detail?.error_description].filter((s) => typeof s === 'string').join(': ');
    const message = `the OAuth token endpoint answered ${status}${what ? ` (${what})` : ''}`;
    const mapped = status >= 500 || status === 429 ? status : 401;
    return fromUpstreamStatus(this.provider, mapped, headers, { message });
  }
}
