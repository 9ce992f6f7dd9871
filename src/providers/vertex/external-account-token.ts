// OAuth2 access tokens for workload identity federation (`external_account` credentials: GKE on other
// clouds, AKS, GitHub Actions OIDC, ...), as google-auth-library's IdentityPoolClient gets them: a subject
// token read from a file or a URL (text, or a JSON field) is exchanged at Google's STS endpoint (RFC 8693
// token exchange) for a federated access token, which, when the file names a service account to
// impersonate, is exchanged again at IAM Credentials' generateAccessToken. AWS-sourced, executable-sourced
// and certificate-sourced credentials are not supported (config/google-credentials.ts refuses them).
import { readFile } from 'node:fs/promises';
import type { HttpClient } from '../http.js';
import { readJsonBody, readTextBody } from '../http.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import type { TokenGrant } from './access-token.js';
import { CLOUD_PLATFORM_SCOPE } from './service-account-token.js';
import { EXCHANGE_TIMEOUT_MS, exchangeAtTokenEndpoint, tokenRefused } from './token-endpoint.js';

/** The fields of an `external_account` file tokgate uses (snake_case, as the file has them). */
export interface ExternalAccount {
  audience: string;
  subject_token_type: string;
  token_url: string;
  credential_source: {
    file?: string;
    url?: string;
    headers?: Record<string, string>;
    format?: { type?: 'text' | 'json'; subject_token_field_name?: string };
  };
  service_account_impersonation_url?: string;
  service_account_impersonation?: { token_lifetime_seconds?: number };
  client_id?: string;
  client_secret?: string;
  workforce_pool_user_project?: string;
}

const STS_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** google-auth-library's default impersonated token lifetime. */
const DEFAULT_LIFETIME_S = 3600;

/** The subject token: the source's text, or one field of its JSON. */
async function subjectToken(provider: string, account: ExternalAccount, http: HttpClient): Promise<string> {
  const source = account.credential_source;
  let text: string;
  if (source.file) {
    // Read at every exchange: the platform rotates the file (a Kubernetes projected token, ...).
    text = await readFile(source.file, 'utf8').catch((error: Error) => {
      throw invalidUpstreamResponse(provider, `the credential_source file cannot be read (${error.message})`);
    });
  } else {
    const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
    const res = await http.get(provider, new URL(source.url ?? ''), source.headers ?? {}, signal);
    text = await readTextBody(provider, res, signal);
    if (res.status < 200 || res.status >= 300) {
      throw tokenRefused(provider, 'the credential_source URL', res.status, res.headers, {
        error: text.slice(0, 200),
      });
    }
  }
  if (source.format?.type !== 'json') return text;
  let token: unknown;
  try {
    token = (JSON.parse(text) as Record<string, unknown>)[source.format.subject_token_field_name ?? ''];
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') {
    throw invalidUpstreamResponse(provider, 'the credential_source has no subject_token field');
  }
  return token;
}

/** The impersonated service account's token (IAM Credentials generateAccessToken). */
async function impersonate(provider: string, account: ExternalAccount, federated: string, http: HttpClient) {
  const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
  const lifetime = account.service_account_impersonation?.token_lifetime_seconds ?? DEFAULT_LIFETIME_S;
  const res = await http.request(
    provider,
    new URL(account.service_account_impersonation_url ?? ''),
    { 'content-type': 'application/json', authorization: `Bearer ${federated}` },
    JSON.stringify({ scope: [CLOUD_PLATFORM_SCOPE], lifetime: `${lifetime}s` }),
    signal,
  );
  const body = await readJsonBody(provider, res, signal).catch(() => undefined);
  const issuer = 'IAM generateAccessToken';
  if (res.status < 200 || res.status >= 300)
    throw tokenRefused(provider, issuer, res.status, res.headers, body);
  const answer = body as { accessToken?: unknown; expireTime?: unknown } | undefined;
  const expires = typeof answer?.expireTime === 'string' ? Date.parse(answer.expireTime) : Number.NaN;
  if (typeof answer?.accessToken !== 'string' || answer.accessToken === '' || Number.isNaN(expires)) {
    throw invalidUpstreamResponse(provider, `${issuer} answered without accessToken and expireTime`);
  }
  return { accessToken: answer.accessToken, expiresInS: Math.max(0, (expires - Date.now()) / 1000) };
}

export function externalAccountGrant(
  provider: string,
  account: ExternalAccount,
  http: HttpClient,
): TokenGrant {
  return async () => {
    const subject = await subjectToken(provider, account, http);
    const impersonating = account.service_account_impersonation_url !== undefined;
    const form: Record<string, string> = {
      grant_type: STS_GRANT_TYPE,
      audience: account.audience,
      // generateAccessToken wants the federated token to carry cloud-platform (or iam).
      scope: CLOUD_PLATFORM_SCOPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      subject_token: subject,
      subject_token_type: account.subject_token_type,
    };
    // Client authentication (HTTP Basic) takes precedence over the workforce pool's user project.
    const basic = account.client_id
      ? {
          authorization: `Basic ${Buffer.from(`${account.client_id}:${account.client_secret ?? ''}`).toString('base64')}`,
        }
      : {};
    if (!account.client_id && account.workforce_pool_user_project) {
      form.options = JSON.stringify({ userProject: account.workforce_pool_user_project });
    }
    const federated = await exchangeAtTokenEndpoint(provider, http, account.token_url, form, basic);
    return impersonating ? impersonate(provider, account, federated.accessToken, http) : federated;
  };
}
