// An S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, ...) for the image store of a fleet: PUT and GET of
// objects under a prefix, path-style (`{endpoint}/{bucket}/{prefix}/{name}`), signed with AWS Signature
// Version 4 by the SDK's own signer (service `s3`: the path is not double-encoded, the payload hash is sent
// as `x-amz-content-sha256`). Through the gateway's one HTTP client.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Settings } from '../config/config.js';
import { gatewayError } from '../core/errors.js';
import { type HttpClient, readTextBody } from './http.js';

export interface ObjectStore {
  put(name: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The object's bytes, or undefined when there is none (404). */
  get(name: string): Promise<Buffer | undefined>;
}

/** Time one bucket call may take. */
const BUCKET_TIMEOUT_MS = 30_000;

const ID = 'image-store';

export function createObjectStore(settings: S3Settings, http: HttpClient): ObjectStore {
  const { accessKeyId, secretAccessKey, sessionToken } = settings;
  const signer = new SignatureV4({
    service: 's3',
    region: settings.region,
    credentials: sessionToken
      ? { accessKeyId, secretAccessKey, sessionToken }
      : { accessKeyId, secretAccessKey },
    sha256: Sha256,
    uriEscapePath: false,
  });
  const prefix = settings.prefix ? `${settings.prefix}/` : '';

  const urlOf = (name: string) =>
    new URL(`${settings.endpoint}/${settings.bucket}/${prefix}${encodeURIComponent(name)}`);

  async function sign(
    method: 'PUT' | 'GET',
    url: URL,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Record<string, string>> {
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: { ...headers, host: url.host },
      ...(body ? { body } : {}),
    });
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers))
      if (typeof value === 'string') out[name] = value;
    return out;
  }

  async function failure(status: number, body: string) {
    return gatewayError('internal_error', {
      message: `The image store answered ${status}.`,
      cause: new Error(`S3 ${status}: ${body.slice(0, 500)}`),
    });
  }

  return {
    async put(name, bytes, contentType) {
      const url = urlOf(name);
      const headers = await sign('PUT', url, { 'content-type': contentType }, bytes);
      const res = await http.put(ID, url, headers, bytes, AbortSignal.timeout(BUCKET_TIMEOUT_MS));
      const text = await readTextBody(ID, res, AbortSignal.timeout(BUCKET_TIMEOUT_MS));
      if (res.status < 200 || res.status >= 300) throw await failure(res.status, text);
    },
    async get(name) {
      const url = urlOf(name);
      const headers = await sign('GET', url, {});
      const res = await http.get(ID, url, headers, AbortSignal.timeout(BUCKET_TIMEOUT_MS));
      if (res.status === 404) {
        await res.body.dump();
        return undefined;
      }
      if (res.status < 200 || res.status >= 300)
        throw await failure(res.status, await readTextBody(ID, res, AbortSignal.timeout(BUCKET_TIMEOUT_MS)));
      return Buffer.from(await res.body.arrayBuffer());
    },
  };
}
