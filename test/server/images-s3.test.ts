// The image store in an S3-compatible bucket (TOKGATE_IMAGE_STORE=s3://bucket/prefix), for fleets: the
// gateway PUTs the image under the prefix and GETs it back when the signed URL is fetched, every call signed
// with SigV4 (the fake bucket verifies the signature and the payload hash, as S3 does).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeImages, fakeImage, startFakeImages } from '../fakes/images.js';
import { type FakeS3, S3_KEY, startFakeS3 } from '../fakes/s3.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

describe('images kept in an S3-compatible bucket', () => {
  let openai: FakeImages;
  let s3: FakeS3;
  let gw: TestGateway;

  before(async () => {
    openai = await startFakeImages('openai');
    s3 = await startFakeS3('tokgate-images');
    gw = await startTestGateway({
      OPENAI_API_KEY: 'up',
      OPENAI_BASE_URL: `${openai.url}/v1`,
      TOKGATE_IMAGE_STORE: 's3://tokgate-images/fleet/a',
      TOKGATE_IMAGE_S3_ENDPOINT: s3.url,
      TOKGATE_IMAGE_S3_REGION: S3_KEY.region,
      AWS_ACCESS_KEY_ID: S3_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_KEY.secretAccessKey,
      TOKGATE_PUBLIC_URL: 'https://gateway.example.com/',
    });
  });
  after(async () => {
    await gw.close();
    await Promise.all([openai.close(), s3.close()]);
  });

  test('PUT on generation, GET on fetch, both signed; the URL is built on TOKGATE_PUBLIC_URL', async () => {
    const answer = await gw
      .client(ADMIN_KEY)
      .images.generate({ model: 'openai/gpt-image-1', prompt: 'a bucket', response_format: 'url' });
    const url = new URL(answer.data![0]!.url!);
    assert.equal(url.origin, 'https://gateway.example.com');
    const name = url.pathname.split('/').pop()!;
    assert.equal(s3.requests.length, 1);
    assert.deepEqual(s3.requests[0], {
      method: 'PUT',
      path: `/tokgate-images/fleet/a/${name}`,
      verified: true,
    });
    const stored = s3.objects.get(`fleet/a/${name}`);
    assert.deepEqual(stored?.bytes, fakeImage(0));
    assert.equal(stored?.contentType, 'image/png');

    // Fetched through this gateway (the public host is a proxy in front of it).
    const fetched = await fetch(`${gw.url}${url.pathname}${url.search}`);
    assert.equal(fetched.status, 200);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), fakeImage(0));
    assert.deepEqual(s3.requests[1], {
      method: 'GET',
      path: `/tokgate-images/fleet/a/${name}`,
      verified: true,
    });
  });

  test('an object the bucket no longer has (its lifecycle rule removed it) is a 404', async () => {
    const answer = await gw
      .client(ADMIN_KEY)
      .images.generate({ model: 'openai/gpt-image-1', prompt: 'gone', response_format: 'url' });
    const url = new URL(answer.data![0]!.url!);
    s3.objects.clear();
    const res = await fetch(`${gw.url}${url.pathname}${url.search}`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'not_found_error');
  });
});
