// Google's image models through the images doors, with the official openai client: Gemini's image models
// ("nano banana") through generateContent on the Gemini API and on Vertex AI, and Imagen's :predict on
// Vertex AI (service-account JWT → OAuth token, as Vertex's chat models). The fakes speak Google's wire
// formats (test/fakes/google.ts with google-image-output.ts, vertex.ts, images.ts); asserted: exactly what
// each upstream received (the uploaded bytes too, as base64 inlineData), the images the client got, the
// usage and its price at the catalog's token prices (image output at $30/M), and the ledger rows.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { type FakeGoogle, startFakeGoogle } from '../fakes/google.js';
import { IMAGE_INPUT_TOKENS, IMAGE_OUTPUT_TOKENS } from '../fakes/google-image-output.js';
import { fakeImage, tinyPng } from '../fakes/images.js';
import { type FakeVertex, startFakeVertex } from '../fakes/vertex.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertMatchesSchema } from '../support/openapi.js';

/** gemini-2.5-flash-image's catalog prices, USD per million tokens. */
const INPUT = 0.3;
const TEXT_OUTPUT = 2.5;
const IMAGE_OUTPUT = 30;
/** The fake's comment beside each image ('Here is your image.'): 4 text tokens. */
const COMMENT_TOKENS = 4;

const costOf = (input: number, textOut: number, imageOut: number) =>
  Math.round(input * INPUT + textOut * TEXT_OUTPUT + imageOut * IMAGE_OUTPUT) / 1_000_000;

describe('Google image models', () => {
  let google: FakeGoogle;
  let vertex: FakeVertex;
  let gw: TestGateway;
  let client: OpenAI;

  before(async () => {
    [google, vertex] = await Promise.all([startFakeGoogle({ apiKey: 'up' }), startFakeVertex()]);
    // Vertex's image models are not built in (Vertex's price page could not be checked): declared and priced
    // as a user would, at the Gemini API's prices.
    const yaml = join(mkdtempSync(join(tmpdir(), 'tokgate-images-gemini-')), 'tokgate.yaml');
    writeFileSync(
      yaml,
      [
        'models:',
        '  vertex/gemini-2.5-flash-image:',
        '    kind: image',
        '    price: { input: 0.3, output: 2.5, image_output: 30, per_image: { standard: { "*": 0.039 } } }',
        '  vertex/imagen-4.0-generate-001:',
        '    kind: image',
        '    price: { input: 0, output: 0, per_image: { standard: { "*": 0.04 } } }',
        '  vertex/imagen-4.0-fast-generate-001:',
        '    kind: image',
        '    price: { input: 0, output: 0, per_image: { standard: { "*": 0.02 } } }',
      ].join('\n'),
    );
    gw = await startTestGateway({
      TOKGATE_CONFIG: yaml,
      GEMINI_API_KEY: 'up',
      GEMINI_BASE_URL: google.url,
      GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify(vertex.key),
      GOOGLE_VERTEX_LOCATION: 'europe-west4',
      VERTEX_BASE_URL: vertex.url,
    });
    client = gw.client(ADMIN_KEY);
  });
  after(async () => {
    await gw.close();
    await Promise.all([google.close(), vertex.close()]);
  });

  const rowOf = async (requestId: string | null) => {
    await gw.gateway.ledger.flush();
    return gw.gateway.store.getRequest(requestId!);
  };

  test('gemini-2.5-flash-image generates through generateContent: the inlineData image, usage priced by its tokens', async () => {
    google.requests.splice(0);
    const { data: answer, response } = await client.images
      .generate({ model: 'google/gemini-2.5-flash-image', prompt: 'a banana in a tuxedo', size: '1792x1024' })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.deepEqual(
      answer.data!.map((image) => image.b64_json),
      [fakeImage(0).toString('base64')],
    );
    const sent = google.requests.splice(0);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.path, '/v1beta/models/gemini-2.5-flash-image:generateContent');
    assert.equal(sent[0]!.headers['x-goog-api-key'], 'up');
    assert.deepEqual(sent[0]!.body, {
      contents: [{ role: 'user', parts: [{ text: 'a banana in a tuxedo' }] }],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9' } },
    });
    // The fake counts 3 + 5 words in; 4 text and 1290 image tokens out.
    const cost = costOf(8, COMMENT_TOKENS, IMAGE_OUTPUT_TOKENS);
    assert.deepEqual(answer.usage, {
      input_tokens: 8,
      input_tokens_details: { text_tokens: 8, image_tokens: 0 },
      output_tokens: COMMENT_TOKENS + IMAGE_OUTPUT_TOKENS,
      output_tokens_details: { text_tokens: COMMENT_TOKENS, image_tokens: IMAGE_OUTPUT_TOKENS },
      total_tokens: 8 + COMMENT_TOKENS + IMAGE_OUTPUT_TOKENS,
      cost,
    } as unknown as typeof answer.usage);
    assert.equal(response.headers.get('x-tokgate-cost'), String(cost));
    const row = await rowOf(response.headers.get('x-request-id'));
    assert.equal(row?.door, 'images');
    assert.equal(row?.model, 'google/gemini-2.5-flash-image');
    assert.equal(row?.unit, 'images');
    assert.equal(row?.units, 1);
    assert.equal(row?.prompt_tokens, 8);
    assert.equal(row?.completion_tokens, COMMENT_TOKENS + IMAGE_OUTPUT_TOKENS);
    assert.equal(row?.cost_micros, Math.round(cost * 1_000_000));
  });

  test('n images are n calls; their usage is summed and billed', async () => {
    google.requests.splice(0);
    const answer = await client.images.generate({
      model: 'google/gemini-2.5-flash-image',
      prompt: 'two pears',
      n: 2,
    });
    assert.equal(answer.data!.length, 2);
    const sent = google.requests.splice(0);
    assert.equal(sent.length, 2);
    // No size: no imageConfig (the model's default, 1:1).
    assert.deepEqual((sent[0]!.body as { generationConfig: unknown }).generationConfig, {
      responseModalities: ['TEXT', 'IMAGE'],
    });
    const usage = answer.usage as unknown as Record<string, number>;
    assert.equal(usage.input_tokens, 2 * 5);
    assert.equal(usage.output_tokens, 2 * (COMMENT_TOKENS + IMAGE_OUTPUT_TOKENS));
    assert.equal(usage.cost, costOf(10, 2 * COMMENT_TOKENS, 2 * IMAGE_OUTPUT_TOKENS));
  });

  test('edits: the uploaded images go as inlineData (their exact bytes) before the prompt; input image tokens are billed', async () => {
    google.requests.splice(0);
    const first = tinyPng(1, 2, 3);
    const second = tinyPng(4, 5, 6);
    const answer = await client.images.edit({
      model: 'google/gemini-2.5-flash-image',
      prompt: 'put them side by side',
      image: [
        await toFile(first, 'a.png', { type: 'image/png' }),
        await toFile(second, 'b.png', { type: 'image/png' }),
      ],
    });
    assertMatchesSchema('ImagesResponse', answer);
    assert.equal(answer.data![0]!.b64_json, fakeImage(0).toString('base64'));
    const sent = google.requests.splice(0);
    assert.equal(sent.length, 1);
    const parts = (sent[0]!.body as { contents: Array<{ parts: Array<Record<string, unknown>> }> })
      .contents[0]!.parts;
    assert.deepEqual(parts, [
      { inlineData: { mimeType: 'image/png', data: first.toString('base64') } },
      { inlineData: { mimeType: 'image/png', data: second.toString('base64') } },
      { text: 'put them side by side' },
    ]);
    const input = 3 + 5 + 2 * IMAGE_INPUT_TOKENS;
    const usage = answer.usage as unknown as Record<string, unknown>;
    assert.deepEqual(usage.input_tokens_details, { text_tokens: 8, image_tokens: 2 * IMAGE_INPUT_TOKENS });
    assert.equal(usage.cost, costOf(input, COMMENT_TOKENS, IMAGE_OUTPUT_TOKENS));
  });

  test('a mask, a size of no aspect ratio Gemini makes: 400s naming the field; nothing goes upstream', async () => {
    google.requests.splice(0);
    const png = await toFile(tinyPng(9), 'a.png', { type: 'image/png' });
    await assert.rejects(
      client.images.edit({
        model: 'google/gemini-2.5-flash-image',
        prompt: 'x',
        image: png,
        mask: await toFile(tinyPng(0), 'm.png', { type: 'image/png' }),
      }),
      (error: unknown) => error instanceof OpenAI.APIError && error.status === 400 && error.param === 'mask',
    );
    await assert.rejects(
      client.images.generate({
        model: 'google/gemini-2.5-flash-image',
        prompt: 'x',
        size: '1000x100' as '1024x1024',
      }),
      (error: unknown) =>
        error instanceof OpenAI.APIError &&
        error.status === 400 &&
        error.param === 'size' &&
        /21:9/.test(error.message),
    );
    assert.equal(google.requests.length, 0);
  });

  test('a prompt Gemini blocks is a 400 content_policy_violation and charges nothing', async () => {
    google.requests.splice(0);
    google.options.blockReason = 'PROHIBITED_CONTENT';
    try {
      const res = await gw.call('/v1/images/generations', {
        method: 'POST',
        key: ADMIN_KEY,
        json: { model: 'google/gemini-2.5-flash-image', prompt: 'something forbidden' },
      });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { code: string; param: string; message: string } };
      assert.equal(body.error.code, 'content_policy_violation');
      assert.equal(body.error.param, 'prompt');
      assert.match(body.error.message, /PROHIBITED_CONTENT/);
      const row = await rowOf(res.headers.get('x-request-id'));
      assert.equal(row?.status, 'error');
      assert.ok(!row?.cost_micros, 'nothing charged');
    } finally {
      delete google.options.blockReason;
    }
  });

  test('Vertex AI: gemini-2.5-flash-image on the publisher path with the OAuth token, priced the same', async () => {
    vertex.calls.splice(0);
    const answer = await client.images.generate({
      model: 'vertex/gemini-2.5-flash-image',
      prompt: 'a banana in a tuxedo',
      size: '1024x1024',
    });
    assert.equal(answer.data![0]!.b64_json, fakeImage(0).toString('base64'));
    assert.equal(vertex.calls.length, 1);
    const call = vertex.calls[0]!;
    assert.equal(
      call.path,
      '/v1/projects/tokgate-test/locations/europe-west4/publishers/google/models/gemini-2.5-flash-image:generateContent',
    );
    assert.match(call.authorization ?? '', /^Bearer ya29\.fake-/);
    assert.deepEqual((call.body as { generationConfig: unknown }).generationConfig, {
      responseModalities: ['TEXT', 'IMAGE'],
      imageConfig: { aspectRatio: '1:1' },
    });
    const usage = answer.usage as unknown as Record<string, number>;
    assert.equal(usage.cost, costOf(8, COMMENT_TOKENS, IMAGE_OUTPUT_TOKENS));
  });

  test('Vertex AI: Imagen through :predict (the Gemini API wire), the OAuth token, priced per image', async () => {
    vertex.calls.splice(0);
    vertex.imagen.requests.splice(0);
    const { data: answer, response } = await client.images
      .generate({
        model: 'vertex/imagen-4.0-fast-generate-001',
        prompt: 'a red kite',
        n: 2,
        size: '1024x1792',
      })
      .withResponse();
    assertMatchesSchema('ImagesResponse', answer);
    assert.deepEqual(
      answer.data!.map((image) => image.b64_json),
      [fakeImage(0).toString('base64'), fakeImage(1).toString('base64')],
    );
    assert.equal(vertex.calls.length, 1);
    assert.equal(
      vertex.calls[0]!.path,
      '/v1/projects/tokgate-test/locations/europe-west4/publishers/google/models/imagen-4.0-fast-generate-001:predict',
    );
    assert.match(vertex.calls[0]!.authorization ?? '', /^Bearer ya29\.fake-/);
    assert.deepEqual(vertex.calls[0]!.body, {
      instances: [{ prompt: 'a red kite' }],
      parameters: { sampleCount: 2, aspectRatio: '9:16' },
    });
    assert.equal(vertex.imagen.requests.length, 1, 'relayed to Imagen');
    // $0.02 per image.
    assert.equal(response.headers.get('x-tokgate-cost'), '0.04');
    const row = await rowOf(response.headers.get('x-request-id'));
    assert.equal(row?.model, 'vertex/imagen-4.0-fast-generate-001');
    assert.equal(row?.units, 2);
    assert.equal(row?.cost_micros, 40_000);
  });

  test('Vertex AI: Imagen refuses edits with a 400 naming the operation; nothing goes upstream', async () => {
    vertex.calls.splice(0);
    await assert.rejects(
      client.images.edit({
        model: 'vertex/imagen-4.0-generate-001',
        prompt: 'x',
        image: await toFile(tinyPng(3), 'a.png', { type: 'image/png' }),
      }),
      (error: unknown) =>
        error instanceof OpenAI.APIError && error.status === 400 && /images\/edits/.test(error.message),
    );
    assert.equal(vertex.calls.length, 0);
  });
});
