// A fake S3-compatible bucket: a real node:http server on 127.0.0.1 (port 0) for path-style PUT and GET of
// objects (`/{bucket}/{key}`). Like S3, it refuses a request whose AWS Signature Version 4 does not verify:
// the payload hash in `x-amz-content-sha256` must be the body's, and the signature is recomputed from the
// request as received (method, path, signed headers, payload hash, `x-amz-date`) with the known secret.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface FakeS3 {
  url: string;
  objects: Map<string, { bytes: Buffer; contentType: string }>;
  requests: Array<{ method: string; path: string; verified: boolean }>;
  close(): Promise<void>;
}

export const S3_KEY = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret-key', region: 'eu-west-1' };

/** `20260101T000000Z` → its Date. */
const amzDate = (value: string) =>
  new Date(
    `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T${value.slice(9, 11)}:${value.slice(11, 13)}:${value.slice(13, 15)}Z`,
  );

export async function startFakeS3(bucket: string): Promise<FakeS3> {
  const objects = new Map<string, { bytes: Buffer; contentType: string }>();
  const requests: FakeS3['requests'] = [];
  const signer = new SignatureV4({
    service: 's3',
    region: S3_KEY.region,
    credentials: { accessKeyId: S3_KEY.accessKeyId, secretAccessKey: S3_KEY.secretAccessKey },
    sha256: Sha256,
    uriEscapePath: false,
  });

  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const body = Buffer.concat(parts);
    const url = new URL(req.url ?? '/', 'http://fake');
    const authorization = String(req.headers.authorization ?? '');
    const signed = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
    const payloadHash = createHash('sha256').update(body).digest('hex');
    let verified = false;
    if (
      signed &&
      authorization.startsWith(`AWS4-HMAC-SHA256 Credential=${S3_KEY.accessKeyId}/`) &&
      req.headers['x-amz-content-sha256'] === payloadHash
    ) {
      const headers: Record<string, string> = {};
      for (const name of signed[1]!.split(';')) headers[name] = String(req.headers[name] ?? '');
      const again = await signer.sign(
        {
          method: req.method ?? '',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: url.pathname,
          query: {},
          headers,
          ...(body.length > 0 ? { body } : {}),
        },
        { signingDate: amzDate(String(req.headers['x-amz-date'])) },
      );
      verified = String(again.headers.authorization).endsWith(`Signature=${signed[2]}`);
    }
    requests.push({ method: req.method ?? '', path: url.pathname, verified });
    if (!verified) {
      res.writeHead(403, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
    }
    const prefix = `/${bucket}/`;
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>NoSuchBucket</Code></Error>');
    }
    const key = decodeURIComponent(url.pathname.slice(prefix.length));
    if (req.method === 'PUT') {
      objects.set(key, { bytes: body, contentType: String(req.headers['content-type'] ?? '') });
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      return void res.end();
    }
    const object = objects.get(key);
    if (req.method !== 'GET' || !object) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>NoSuchKey</Code></Error>');
    }
    res.writeHead(200, { 'content-type': object.contentType });
    res.end(object.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
