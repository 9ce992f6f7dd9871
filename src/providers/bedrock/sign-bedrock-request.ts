// AWS Signature Version 4 for Bedrock calls (service `bedrock`), with the SDK's own signer so the canonical
// request (double-encoded path, sorted headers, payload hash) is exactly what AWS recomputes.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface BedrockCredentials {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type RequestSigner = (
  url: URL,
  headers: Record<string, string>,
  body: string | Uint8Array,
) => Promise<Record<string, string>>;

export function createRequestSigner(credentials: BedrockCredentials): RequestSigner {
  const { region, accessKeyId, secretAccessKey, sessionToken } = credentials;
  const signer = new SignatureV4({
    service: 'bedrock',
    region,
    credentials: sessionToken
      ? { accessKeyId, secretAccessKey, sessionToken }
      : { accessKeyId, secretAccessKey },
    sha256: Sha256,
  });
  return async (url, headers, body) => {
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      // `host` is signed, so it is sent explicitly (undici would otherwise derive the same value).
      headers: { ...headers, host: url.host },
      body,
    });
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers))
      if (typeof value === 'string') out[name] = value;
    return out;
  };
}
