// The GCE/GKE metadata server (Cloud Run, GKE Workload Identity, Compute Engine): the attached service
// account's access token and the project id, as gcp-metadata reads them: `http://{host}/computeMetadata/v1/...`
// with `Metadata-Flavor: Google`, whose answers carry the same header. The host is `metadata.google.internal`
// unless GCE_METADATA_HOST (or GCE_METADATA_IP) says otherwise, as in Google's libraries (config/google-endpoints.ts).
import type { HttpClient } from '../http.js';
import { readTextBody } from '../http.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import type { TokenGrant } from './access-token.js';
import { EXCHANGE_TIMEOUT_MS, issuedToken, tokenRefused } from './token-endpoint.js';

const TOKEN_PATH = 'instance/service-accounts/default/token';
const PROJECT_PATH = 'project/project-id';
const ISSUER = 'the metadata server';

/** The server's base URL from a host (`host[:port]`) or a URL, as gcp-metadata's getBaseUrl makes it. */
export function metadataBaseUrl(host: string): string {
  const base = /^https?:\/\//.test(host) ? host : `http://${host}`;
  return new URL('/computeMetadata/v1/', base).href;
}

async function read(provider: string, http: HttpClient, host: string, path: string, signal: AbortSignal) {
  const res = await http.get(
    provider,
    new URL(path, metadataBaseUrl(host)),
    { 'metadata-flavor': 'Google' },
    signal,
  );
  const text = await readTextBody(provider, res, signal);
  if (res.status < 200 || res.status >= 300) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: text.slice(0, 200) };
    }
    throw tokenRefused(provider, ISSUER, res.status, res.headers, body);
  }
  // Anything else on that address (a proxy, a captive portal) is not the metadata server.
  if (res.headers['metadata-flavor'] !== 'Google') {
    throw invalidUpstreamResponse(provider, `${ISSUER} answered without Metadata-Flavor: Google`);
  }
  return text;
}

/** The default service account's token (`instance/service-accounts/default/token`). */
export function metadataGrant(provider: string, host: string, http: HttpClient): TokenGrant {
  return async () => {
    const text = await read(provider, http, host, TOKEN_PATH, AbortSignal.timeout(EXCHANGE_TIMEOUT_MS));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw invalidUpstreamResponse(provider, `${ISSUER}'s token is not JSON`);
    }
    return issuedToken(provider, ISSUER, body);
  };
}

/** The project the instance runs in (`project/project-id`, plain text). */
export async function metadataProjectId(
  provider: string,
  host: string,
  http: HttpClient,
  timeoutMs: number,
): Promise<string> {
  const text = await read(provider, http, host, PROJECT_PATH, AbortSignal.timeout(timeoutMs));
  return text.trim();
}
