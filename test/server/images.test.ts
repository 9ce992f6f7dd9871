// The images doors end to end: the official openai client talks to a real gateway, the gateway to fake
// upstreams speaking OpenAI's, Azure's, xAI's and Imagen's images wire formats. Asserted on both sides: what
// the client gets (validated against OpenAI's ImagesResponse schema), exactly what each upstream received
// (the uploaded bytes too), the ledger row and its price, the signed image URLs before and after expiry.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { type FakeImages, fakeImage, startFakeImages, tinyPng } from '../fakes/images.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

const MAX_UPLOAD = 4096;

describe('images doors', () => {
  let openai: FakeImages;
  let azure: FakeImages;
  let xai: FakeImages;
  let google: FakeImages;
  let gw: TestGateway;
  let client: OpenAI;
  let imageDir: string;
  /** The image store's clock: tests move it to expire URLs instead of waiting. */
  let now = Date.now();

  before(async () => {
    [openai, azure, xai, google] = await Promise.all([
      startFakeImages('openai'),
      startFakeImages('azure'),
      startFakeImages('xai'),
      startFakeImages('google'),
    ]);
    imageDir = mkdtempSync(join(tmpdir(), 'tokgate-images-test-'));
    const yaml = join(imageDir, '..', `tokgate-images-${process.pid}.yaml`);
    writeFileSync(
      yaml,
      [
        'providers:',
        '  my-images:',
        `    base_url: ${openai.url}/v1`,
        '    api_key: up',
        '    images: [generations]',
        'models:',
        '  my-images/flux-dev:',
        '    kind: image',
        '    price: { input: 0, output: 0, per_image: { standard: { "1024x1024": 0.025, "*": 0.03 } } }',
        // DALL·E is shut down at OpenAI and not in the built-in catalog: priced here, as an operator would.
        ...['openai/dall-e-3', 'azure/dall-e-3'].flatMap((id) => [
          `  ${id}:`,
          '    kind: image',
          '    price:',
          '      input: 0',
          '      output: 0',
          '      per_image:',
          '        standard: { "1024x1024": 0.04, "1024x1792": 0.08, "1792x1024": 0.08 }',
          '        hd: { "1024x1024": 0.08, "1024x1792": 0.12, "1792x1024": 0.12 }',
        ]),
        // grok-2-image's price could not be checked on xAI's page: not in the built-in catalog either.
        '  xai/grok-2-image:',
        '    kind: image',
        '    price: { input: 0, output: 0, per_image: { standard: { "*": 0.07 } } }',
        '  openai/dall-e-2:',
        '    kind: image',
        '    price: { input: 0, output: 0, per_image: { standard: { "256x256": 0.016, "512x512": 0.018, "1024x1024": 0.02 } } }',
      ].join('\n'),
    );
    gw = await startTestGateway(
      {
        OPENAI_API_KEY: 'up',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        AZURE_OPENAI_API_KEY: 'up',
        AZURE_OPENAI_ENDPOINT: azure.url,
        XAI_API_KEY: 'up',
        XAI_BASE_URL: `${xai.url}/v1`,
        GEMINI_API_KEY: 'up',
        GEMINI_BASE_URL: google.url,
        TOKGATE_IMAGE_DIR: imageDir,
        TOKGATE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD),
        TOKGATE_MAX_UPLOAD_FILES: '4',
        TOKGATE_IMAGE_URL_TTL_SECONDS: '600',
        TOKGATE_CONFIG: yaml,
      },
      { imageClock: () => now },
    );
    client = gw.client(ADMIN_KEY);
  });
  after(async () => {
    await gw.close();
    await Promise.all([openai.close(), azure.close(), xai.close(), google.close()]);
  });

  const rowOf = async (requestId: string | null) => {
    await gw.gateway.ledger.flush();
    return gw.gateway.store.getRequest(requestId!);
  };

  test('generations, gpt-image-1: base64 images, OpenAI usage with its cost, the ledger row priced by tokens', async () => {
    openai.requests.splice(0);
    const { data: answer, response } = await client.images
      .generate({ model: 'openai/gpt-image-1', prompt: 'a fox in the snow', n: 2, quality: 'low' })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.deepEqual(
      answer.data!.map((image) => image.b64_json),
      [fakeImage(0).toString('base64'), fakeImage(1).toString('base64')],
    );
    // 5 text tokens, 2 × 272 output tokens: $5/M text input, $40/M image output.
    const cost = (5 * 5 + 544 * 40) / 1_000_000;
    assert.deepEqual(answer.usage, {
      input_tokens: 5,
      input_tokens_details: { text_tokens: 5, image_tokens: 0 },
      output_tokens: 544,
      total_tokens: 549,
      cost,
    } as unknown as typeof answer.usage);
    assert.equal(answer.size, '1024x1024');
    assert.equal(answer.quality, 'low');
    assert.equal(response.headers.get('x-tokgate-cost'), String(cost));
    const sent = openai.requests.splice(0);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.path, '/v1/images/generations');
    assert.equal(sent[0]!.headers.authorization, 'Bearer up');
    assert.deepEqual(sent[0]!.body, {
      model: 'gpt-image-1',
      prompt: 'a fox in the snow',
      n: 2,
      quality: 'low',
    });
    const row = await rowOf(response.headers.get('x-request-id'));
    assert.equal(row?.door, 'images');
    assert.equal(row?.model, 'openai/gpt-image-1');
    // The console's request log reads the admin API's records: this one says its door.
    const log = await readJson(await gw.call('/admin/requests?limit=1', { key: ADMIN_KEY }));
    assert.equal(log.data[0].id, response.headers.get('x-request-id'));
    assert.equal(log.data[0].door, 'images');
    assert.equal(row?.unit, 'images');
    assert.equal(row?.status, 'ok');
    assert.equal(row?.prompt_tokens, 5);
    assert.equal(row?.completion_tokens, 544);
    assert.equal(row?.cost_micros, Math.round(cost * 1_000_000));
  });

  test('generations with response_format url: the gateway keeps the bytes behind a signed URL that expires', async () => {
    openai.requests.splice(0);
    const answer = await client.images.generate({
      model: 'openai/gpt-image-1',
      prompt: 'a lighthouse',
      response_format: 'url',
    });
    assertMatchesSchema('ImagesResponse', answer);
    // GPT image models refuse the field: the URL is the gateway's to make.
    assert.equal((openai.requests[0]!.body as Record<string, unknown>).response_format, undefined);
    const url = new URL(answer.data![0]!.url!);
    assert.equal(url.origin, gw.url);
    assert.match(url.pathname, /^\/v1\/files\/images\/\d+-[0-9a-f]{32}\.png$/);
    assert.equal(answer.data![0]!.b64_json, undefined);

    // No API key needed: the signature is the credential.
    const fetched = await fetch(url);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), fakeImage(0));

    // A changed signature or expiry is refused.
    const forged = new URL(url);
    forged.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    assert.equal((await fetch(forged)).status, 404);
    const tampered = new URL(url);
    tampered.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`);
    assert.equal((await fetch(tampered)).status, 404);

    // Past its expiry: 404 in OpenAI's error shape, and the sweep deletes the file.
    const name = url.pathname.split('/').pop()!;
    assert.ok(readdirSync(imageDir).includes(name));
    now += 601_000;
    const expired = await fetch(url);
    assert.equal(expired.status, 404);
    const { error } = await readJson(expired);
    assert.match(error.message, /expired/);
    assert.equal(error.type, 'not_found_error');
    assert.ok((await gw.gateway.images.sweep()) >= 1);
    assert.ok(!readdirSync(imageDir).includes(name));
  });

  test('generations, dall-e-3: the upstream URL is passed through; priced per image by quality and size', async () => {
    openai.requests.splice(0);
    const { data: answer, response } = await client.images
      .generate({
        model: 'openai/dall-e-3',
        prompt: 'a castle',
        quality: 'hd',
        size: '1792x1024',
        style: 'natural',
        response_format: 'url',
      })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.equal(answer.data![0]!.url, `${openai.imageHost}/img-0.png?se=2099-01-01&sig=fake`);
    assert.equal(answer.data![0]!.revised_prompt, 'A revised a castle');
    assert.equal(answer.usage, undefined);
    assert.equal(response.headers.get('x-tokgate-cost'), '0.12');
    assert.deepEqual(openai.requests[0]!.body, {
      model: 'dall-e-3',
      prompt: 'a castle',
      quality: 'hd',
      size: '1792x1024',
      style: 'natural',
      response_format: 'url',
    });
    const row = await rowOf(response.headers.get('x-request-id'));
    assert.equal(row?.door, 'images');
    assert.equal(row?.cost_micros, 120_000);
    // The row's units: the images made (1 here), however they were priced.
    assert.equal(row?.units, 1);
    assert.equal(row?.unit, 'images');
  });

  test('edits: several images and a mask reach the upstream byte for byte; image input tokens are billed', async () => {
    openai.requests.splice(0);
    const first = tinyPng(1, 2, 3);
    const second = tinyPng(4, 5, 6);
    const mask = tinyPng(0, 0, 0);
    const { data: answer, response } = await client.images
      .edit({
        model: 'openai/gpt-image-1',
        prompt: 'put them together',
        image: [
          await toFile(first, 'first.png', { type: 'image/png' }),
          await toFile(second, 'second.png', { type: 'image/png' }),
        ],
        mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
        quality: 'high',
      })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.equal(answer.data![0]!.b64_json, fakeImage(0).toString('base64'));
    const sent = openai.requests.splice(0);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.path, '/v1/images/edits');
    const form = sent[0]!.form!;
    assert.deepEqual(form.fields, { model: 'gpt-image-1', prompt: 'put them together', quality: 'high' });
    assert.deepEqual(
      form.files.map((f) => [f.field, f.filename, f.contentType]),
      [
        ['image[]', 'first.png', 'image/png'],
        ['image[]', 'second.png', 'image/png'],
        ['mask', 'mask.png', 'image/png'],
      ],
    );
    assert.deepEqual(form.files[0]!.bytes, first);
    assert.deepEqual(form.files[1]!.bytes, second);
    assert.deepEqual(form.files[2]!.bytes, mask);
    // 3 text tokens at $5/M, 2 × 65 image tokens at $10/M, 4160 output tokens at $40/M.
    const cost = (3 * 5 + 130 * 10 + 4160 * 40) / 1_000_000;
    assert.equal((answer.usage as unknown as { cost: number }).cost, cost);
    const row = await rowOf(response.headers.get('x-request-id'));
    assert.equal(row?.door, 'images');
    assert.equal(row?.cost_micros, Math.round(cost * 1_000_000));
  });

  test('variations, dall-e-2: one image, b64_json, priced per image of its size', async () => {
    openai.requests.splice(0);
    const image = tinyPng(9, 9, 9);
    const { data: answer, response } = await client.images
      .createVariation({
        model: 'openai/dall-e-2',
        image: await toFile(image, 'otter.png', { type: 'image/png' }),
        n: 2,
        size: '512x512',
        response_format: 'b64_json',
      })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.equal(answer.data!.length, 2);
    assert.equal(answer.data![1]!.b64_json, fakeImage(1).toString('base64'));
    const form = openai.requests.splice(0)[0]!.form!;
    assert.deepEqual(form.fields, {
      model: 'dall-e-2',
      n: '2',
      size: '512x512',
      response_format: 'b64_json',
    });
    assert.deepEqual(form.files[0]!.bytes, image);
    assert.equal(response.headers.get('x-tokgate-cost'), '0.036');
    assert.equal((await rowOf(response.headers.get('x-request-id')))?.cost_micros, 36_000);
  });

  test('an upload over TOKGATE_MAX_UPLOAD_BYTES is a 413; nothing goes upstream', async () => {
    openai.requests.splice(0);
    const big = Buffer.concat([tinyPng(1), Buffer.alloc(MAX_UPLOAD + 1)]);
    await assert.rejects(
      client.images.edit({
        model: 'openai/gpt-image-1',
        prompt: 'too big',
        image: await toFile(big, 'big.png', { type: 'image/png' }),
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 413);
        assert.match(error.message, /larger than the limit/);
        return true;
      },
    );
    assert.equal(openai.requests.length, 0);
  });

  test('more files than TOKGATE_MAX_UPLOAD_FILES is a 413', async () => {
    const image = await toFile(tinyPng(1), 'a.png', { type: 'image/png' });
    await assert.rejects(
      client.images.edit({
        model: 'openai/gpt-image-1',
        prompt: 'many',
        image: [image, image, image, image, image],
      }),
      (error: unknown) => error instanceof OpenAI.APIError && error.status === 413,
    );
    assert.equal(openai.requests.length, 0);
  });

  test('a malformed multipart body is a 400 in OpenAI’s shape', async () => {
    const res = await gw.call('/v1/images/edits', {
      method: 'POST',
      key: ADMIN_KEY,
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhello\r\n--xyz\r\nContent-Disp',
    });
    assert.equal(res.status, 400);
    const { error } = await readJson(res);
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.message, /malformed/);
    assert.equal(openai.requests.length, 0);
  });

  test('a missing image, a text where a file belongs, a file that is no image: 400s naming the field', async () => {
    const form = (build: (f: FormData) => void) => {
      const f = new FormData();
      f.set('model', 'openai/gpt-image-1');
      f.set('prompt', 'edit');
      build(f);
      return gw.call('/v1/images/edits', { method: 'POST', key: ADMIN_KEY, body: f });
    };
    let res = await form(() => undefined);
    assert.equal(res.status, 400);
    assert.equal((await readJson(res)).error.param, 'image');
    res = await form((f) => f.set('image', 'not a file'));
    assert.equal(res.status, 400);
    assert.equal((await readJson(res)).error.code, 'invalid_type');
    res = await form((f) => f.set('image', new Blob(['plain text']), 'notes.png'));
    assert.equal(res.status, 400);
    const { error } = await readJson(res);
    assert.equal(error.code, 'unsupported_image_type');
    assert.equal(error.param, 'image');
    // JSON where a form is expected.
    res = await gw.call('/v1/images/edits', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'openai/gpt-image-1', prompt: 'x' },
    });
    assert.equal(res.status, 400);
    assert.match((await readJson(res)).error.message, /multipart\/form-data/);
    assert.equal(openai.requests.length, 0);
  });

  test('Imagen through the Gemini API: :predict with sampleCount and aspectRatio, priced per image', async () => {
    google.requests.splice(0);
    const { data: answer, response } = await client.images
      .generate({
        model: 'google/imagen-4.0-generate-001',
        prompt: 'a mountain lake',
        n: 2,
        size: '1792x1024',
      })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.deepEqual(
      answer.data!.map((image) => image.b64_json),
      [fakeImage(0).toString('base64'), fakeImage(1).toString('base64')],
    );
    const sent = google.requests.splice(0);
    assert.equal(sent[0]!.path, '/v1beta/models/imagen-4.0-generate-001:predict');
    assert.equal(sent[0]!.headers['x-goog-api-key'], 'up');
    assert.deepEqual(sent[0]!.body, {
      instances: [{ prompt: 'a mountain lake' }],
      parameters: { sampleCount: 2, aspectRatio: '16:9' },
    });
    assert.equal(response.headers.get('x-tokgate-cost'), '0.08');
    const row = await rowOf(response.headers.get('x-request-id'));
    assert.equal(row?.door, 'images');
    assert.equal(row?.provider, 'google');
    assert.equal(row?.cost_micros, 80_000);
  });

  test('Imagen: a size of no aspect ratio it makes, and edits, are 400s; nothing goes upstream', async () => {
    google.requests.splice(0);
    await assert.rejects(
      client.images.generate({ model: 'google/imagen-4.0-generate-001', prompt: 'x', size: '1536x1024' }),
      (error: unknown) => error instanceof OpenAI.APIError && error.status === 400 && error.param === 'size',
    );
    await assert.rejects(
      client.images.edit({
        model: 'google/imagen-4.0-generate-001',
        prompt: 'x',
        image: await toFile(tinyPng(1), 'a.png', { type: 'image/png' }),
      }),
      (error: unknown) =>
        error instanceof OpenAI.APIError && error.status === 400 && /images\/edits/.test(error.message),
    );
    assert.equal(google.requests.length, 0);
  });

  test('Azure: the deployment path with its api-version and api-key', async () => {
    azure.requests.splice(0);
    const answer = await client.images.generate({
      model: 'azure/gpt-image-1',
      prompt: 'a boat',
      size: '1024x1536',
    });
    assertMatchesSchema('ImagesResponse', answer);
    assert.equal(answer.data![0]!.b64_json, fakeImage(0).toString('base64'));
    const sent = azure.requests.splice(0);
    assert.equal(sent[0]!.path, '/openai/deployments/gpt-image-1/images/generations?api-version=2024-10-21');
    assert.equal(sent[0]!.headers['api-key'], 'up');
    assert.deepEqual(sent[0]!.body, { model: 'gpt-image-1', prompt: 'a boat', size: '1024x1536' });
  });

  test('xAI: grok-2-image without the fields it refuses (a warning says so), url passed through', async () => {
    xai.requests.splice(0);
    const { data: answer, response } = await client.images
      .generate({ model: 'xai/grok-2-image', prompt: 'a robot', size: '1024x1024', response_format: 'url' })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.match(answer.data![0]!.url!, /^http:\/\/127\.0\.0\.1:\d+\/dalle-images\/img-0\.png/);
    assert.deepEqual(xai.requests.splice(0)[0]!.body, {
      model: 'grok-2-image',
      prompt: 'a robot',
      response_format: 'url',
    });
    assert.match(response.headers.get('x-tokgate-warnings') ?? '', /'size' is not supported/);
    assert.equal(response.headers.get('x-tokgate-cost'), '0.07');
  });

  test('an OpenAI-compatible server from YAML: the operations it serves, the per-image price it is given', async () => {
    openai.requests.splice(0);
    const { data: answer, response } = await client.images
      .generate({
        model: 'my-images/flux-dev',
        prompt: 'a cat',
        size: '512x768' as '512x512', // the SDK's type lists OpenAI's sizes; a server may take others
        response_format: 'b64_json',
      })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.equal(answer.data![0]!.b64_json, fakeImage(0).toString('base64'));
    assert.deepEqual(openai.requests.splice(0)[0]!.body, {
      model: 'flux-dev',
      prompt: 'a cat',
      size: '512x768',
      response_format: 'b64_json',
    });
    // A size without a price of its own: the `*` price.
    assert.equal(response.headers.get('x-tokgate-cost'), '0.03');
    // Only generations are configured: an edit is refused before anything is sent.
    await assert.rejects(
      client.images.edit({
        model: 'my-images/flux-dev',
        prompt: 'x',
        image: await toFile(tinyPng(1), 'a.png', { type: 'image/png' }),
      }),
      (error: unknown) =>
        error instanceof OpenAI.APIError &&
        error.status === 400 &&
        /does not serve \/v1\/images\/edits/.test(error.message),
    );
    assert.equal(openai.requests.length, 0);
  });

  test('an edit retried with its Idempotency-Key is answered once; the upload is fingerprinted by its bytes', async () => {
    openai.requests.splice(0);
    const send = async (bytes: Buffer) =>
      client.images
        .edit(
          {
            model: 'openai/gpt-image-1',
            prompt: 'once',
            image: await toFile(bytes, 'a.png', { type: 'image/png' }),
          },
          { headers: { 'Idempotency-Key': 'edit-once-1' } },
        )
        .withResponse();
    const first = await send(tinyPng(7));
    const again = await send(tinyPng(7));
    assert.equal(again.response.headers.get('x-tokgate-idempotent-replay'), 'true');
    assert.deepEqual(again.data, first.data);
    assert.equal(openai.requests.splice(0).length, 1);
    // Other bytes under the same key: a conflict, not a replay.
    await assert.rejects(
      send(tinyPng(8)),
      (error: unknown) => error instanceof OpenAI.APIError && error.status === 409,
    );
    assert.equal(openai.requests.length, 0);
  });

  test('an upstream refusal reaches the client in OpenAI’s shape; the row says error and charges nothing', async () => {
    openai.faults.push({
      kind: 'status',
      status: 400,
      body: {
        error: {
          message: 'Your request was rejected by the safety system.',
          type: 'image_generation_user_error',
          param: null,
          code: 'moderation_blocked',
        },
      },
    });
    const res = await gw.call('/v1/images/generations', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'openai/gpt-image-1', prompt: 'something refused' },
    });
    assert.equal(res.status, 400);
    const { error } = await readJson(res);
    assert.match(error.message, /safety system/);
    const row = await rowOf(res.headers.get('x-request-id'));
    assert.equal(row?.door, 'images');
    assert.equal(row?.status, 'error');
    assert.ok(!row?.cost_micros);
  });

  test('kinds: a chat model on images and an image model on chat are 400s naming the right door', async () => {
    await assert.rejects(
      client.images.generate({ model: 'openai/gpt-4o', prompt: 'x' }),
      (error: unknown) =>
        error instanceof OpenAI.APIError && error.status === 400 && /chat model/.test(error.message),
    );
    await assert.rejects(
      client.chat.completions.create({
        model: 'openai/dall-e-3',
        messages: [{ role: 'user', content: 'x' }],
      }),
      (error: unknown) =>
        error instanceof OpenAI.APIError &&
        error.status === 400 &&
        /\/v1\/images\/generations/.test(error.message),
    );
  });

  test('admission reserves n × the costliest image: a balance below it is refused before anything is sent', async () => {
    const account = await readJson(
      await gw.call('/admin/accounts', {
        method: 'POST',
        key: ADMIN_KEY,
        json: { name: 'imgs', credits_usd: 0.4 },
      }),
    );
    const { key } = await gw.createKey({ account_id: account.id });
    openai.requests.splice(0);
    // Two high-quality images of any size: up to 2 × $0.25.
    await assert.rejects(
      gw.client(key).images.generate({ model: 'openai/gpt-image-1', prompt: 'x', n: 2, quality: 'high' }),
      (error: unknown) => error instanceof OpenAI.APIError && error.status === 403,
    );
    assert.equal(openai.requests.length, 0);
    // One low-quality image fits, and is charged.
    const answer = await gw
      .client(key)
      .images.generate({ model: 'openai/gpt-image-1', prompt: 'x', quality: 'low' });
    assert.equal(answer.data!.length, 1);
  });

  test('bad JSON fields: n out of range, a wrong response_format, stream', async () => {
    for (const [body, param] of [
      [{ n: 11 }, 'n'],
      [{ response_format: 'png' }, 'response_format'],
      [{ stream: true }, 'stream'],
      [{ prompt: 5 }, 'prompt'],
    ] as const) {
      const res = await gw.call('/v1/images/generations', {
        method: 'POST',
        key: ADMIN_KEY,
        json: { model: 'openai/gpt-image-1', prompt: 'x', ...body },
      });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((await readJson(res)).error.param, param);
    }
  });
});
