// OAuth2 access tokens for a Google service account (RFC 7523's JWT bearer grant, as google-auth-library's
// JWT client does it): a JWT signed with the account's RSA key (RS256, node:crypto) is exchanged at the
// account's `token_uri` for an access token.
import { createSign } from 'node:crypto';
import type { HttpClient } from '../http.js';
import type { TokenGrant } from './access-token.js';
import { exchangeAtTokenEndpoint } from './token-endpoint.js';

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

/** The JWT bearer grant: a fresh assertion per exchange. */
export function serviceAccountGrant(
  provider: string,
  account: ServiceAccount,
  http: HttpClient,
  now: () => number = Date.now,
): TokenGrant {
  return () =>
    exchangeAtTokenEndpoint(provider, http, account.tokenUri, {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: signAssertion(account, Math.floor(now() / 1000)),
    });
}
