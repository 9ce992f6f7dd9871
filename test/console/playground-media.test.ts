// The console's playground making an image and speaking a sentence, in headless Chromium (Debian's, driven
// by playwright-core) against a real gateway whose upstreams are fakes: xAI's images API (test/fakes/
// images.ts) and OpenAI's speech (test/fakes/audio.ts). The playground calls the gateway's own
// /v1/images/generations and /v1/audio/speech with the session's key; its model picker lists only the
// models of the kind each API takes (the catalog's, through GET /v1/models?kind=). Asserted in the page:
// the <img> shows the fake's PNG (its bytes), the <audio> element gets the fake's MP3 (its bytes), each
// answer's cost is the ledger's. Screenshots go to test-artifacts/console/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { usd } from '../../console/src/format.js';
import { type FakeAudio, fakeSpeech, startFakeAudio } from '../fakes/audio.js';
import { type FakeImages, fakeImage, startFakeImages } from '../fakes/images.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts/console';

const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is missing (apt-get install chromium); the console browser tests are skipped`
    : false;

describe('playground images and speech in Chromium', { skip, timeout: 120_000 }, () => {
  let images: FakeImages;
  let audio: FakeAudio;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const text = async (locator: Locator) => (await locator.textContent()) ?? '';
  /** The catalog's enabled models of one kind, as the admin API lists them. */
  const modelsOfKind = async (kind: string) => {
    const catalog = (await (await gw.call('/admin/models', { key: ADMIN_KEY })).json()) as {
      data: { id: string; kind: string; enabled: boolean }[];
    };
    return catalog.data.filter((m) => m.kind === kind && m.enabled).map((m) => m.id);
  };
  /** The picker's option of a model (Preact sets option values as properties, not attributes). */
  const modelOption = (id: string) =>
    page.getByLabel('Model').locator('option').getByText(id, { exact: true });
  const pickerOptions = () =>
    page
      .getByLabel('Model')
      .locator('option')
      .evaluateAll((options) => options.map((option) => (option as unknown as { value: string }).value));
  /** The ledger's cost of the newest request, USD. */
  const loggedCost = async () => {
    await gw.gateway.ledger.flush();
    const [row] = await gw.gateway.store.listRequests({ limit: 1 });
    const detail = (await (await gw.call(`/admin/requests/${row?.id}`, { key: ADMIN_KEY })).json()) as {
      cost_usd: number;
      door: string;
    };
    return detail;
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [images, audio] = await Promise.all([startFakeImages('xai'), startFakeAudio()]);
    // grok-2-image has no built-in price (xAI's page could not confirm one): the operator gives it one.
    const yaml = join(ARTIFACTS, `tokgate-playground-media-${process.pid}.yaml`);
    writeFileSync(
      yaml,
      [
        'models:',
        '  xai/grok-2-image:',
        '    kind: image',
        '    price: { input: 0, output: 0, per_image: { standard: { "*": 0.07 } } }',
      ].join('\n'),
    );
    gw = await startTestGateway({
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: `${audio.url}/v1`,
      XAI_API_KEY: 'up',
      XAI_BASE_URL: `${images.url}/v1`,
      TOKGATE_CONFIG: yaml,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    // Nothing but the gateway's origin (and the page's own data: and blob: URLs).
    await context.route(
      (url) => url.protocol.startsWith('http') && url.origin !== new URL(gw.url).origin,
      (route) => route.abort(),
    );
    // Keeps each blob the page makes an object URL of, so the test can read what an element was given
    // (fetching a blob: URL is a connection the console's CSP refuses, rightly).
    await context.addInitScript(() => {
      const blobs = new Map<string, Blob>();
      (globalThis as unknown as { __blobs: Map<string, Blob> }).__blobs = blobs;
      const create = URL.createObjectURL.bind(URL);
      URL.createObjectURL = (object: Blob) => {
        const url = create(object);
        if (object instanceof Blob) blobs.set(url, object);
        return url;
      };
    });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(message.text());
    });
    page.setDefaultTimeout(10_000);
    await page.goto(`${gw.url}/console`);
    await page.getByLabel('Key', { exact: true }).fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Playground' }).click();
    await page.getByRole('heading', { level: 1, name: 'Playground' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    await images?.close();
    await audio?.close();
  });

  test('Images: the picker lists only image models; the image made shows, its bytes the fake’s PNG', async () => {
    await page.getByLabel('API', { exact: true }).selectOption({ label: 'Images' });
    await page.getByText('POST /v1/images/generations').waitFor();
    const imageModels = await modelsOfKind('image');
    assert.ok(imageModels.includes('xai/grok-2-image') && imageModels.includes('openai/gpt-image-1'));
    await modelOption('xai/grok-2-image').waitFor({ state: 'attached' });
    assert.deepEqual((await pickerOptions()).sort(), imageModels.sort());
    await page.getByLabel('Model').selectOption('xai/grok-2-image');
    await page.getByLabel('Message', { exact: true }).fill('a red kite over the sea');
    const sent = page.waitForRequest(
      (request) => new URL(request.url()).pathname === '/v1/images/generations',
    );
    await page.getByRole('button', { name: 'Send' }).click();

    const answer = page.locator('.message-assistant').last();
    const image = answer.locator('img.generated-image');
    await image.waitFor();
    await answer.locator('.answer-meta').waitFor();
    // The gateway's own door, with the session's key.
    const request = await sent;
    assert.equal((await request.allHeaders()).authorization, `Bearer ${ADMIN_KEY}`);
    assert.deepEqual(request.postDataJSON(), {
      model: 'xai/grok-2-image',
      prompt: 'a red kite over the sea',
      n: 1,
      response_format: 'b64_json',
    });
    const upstream = images.requests.at(-1);
    assert.equal(upstream?.path, '/v1/images/generations');
    assert.equal((upstream?.body as { prompt?: string } | undefined)?.prompt, 'a red kite over the sea');
    // What the page shows is the fake's PNG, decoded by the browser (1×1).
    const src = (await image.getAttribute('src')) ?? '';
    assert.ok(src.startsWith('data:image/png;base64,'), src.slice(0, 40));
    assert.deepEqual(Buffer.from(src.slice(src.indexOf(',') + 1), 'base64'), fakeImage(0));
    await page.waitForFunction(
      (element) =>
        (element as unknown as { complete: boolean; naturalWidth: number }).complete &&
        (element as unknown as { naturalWidth: number }).naturalWidth === 1,
      await image.elementHandle(),
    );
    const logged = await loggedCost();
    assert.equal(logged.door, 'images');
    assert.equal(logged.cost_usd, 0.07);
    assert.equal(await text(answer.getByTestId('answer-cost')), usd(logged.cost_usd));
    await page.screenshot({ path: `${ARTIFACTS}/19-playground-image.png`, fullPage: true });
  });

  test('Speech: the picker lists only speech models; the audio element gets the fake’s bytes', async () => {
    await page.getByLabel('API', { exact: true }).selectOption({ label: 'Speech' });
    await page.getByText('POST /v1/audio/speech').waitFor();
    const speechModels = await modelsOfKind('speech');
    assert.ok(speechModels.includes('openai/tts-1'));
    await modelOption('openai/tts-1').waitFor({ state: 'attached' });
    assert.deepEqual((await pickerOptions()).sort(), speechModels.sort());
    await page.getByLabel('Model').selectOption('openai/tts-1');
    await page.getByLabel('Voice').fill('nova');
    const sentence = 'Hello from the playground, spoken.';
    await page.getByLabel('Message', { exact: true }).fill(sentence);
    await page.getByRole('button', { name: 'Send' }).click();

    const answer = page.locator('.message-assistant').last();
    const player = answer.locator('audio.generated-audio');
    await player.waitFor();
    await answer.locator('.answer-meta').waitFor();
    const upstream = audio.requests.at(-1);
    assert.equal(upstream?.path, '/v1/audio/speech');
    assert.deepEqual(upstream?.json, {
      model: 'tts-1',
      input: sentence,
      voice: 'nova',
      response_format: 'mp3',
    });
    // The bytes behind the element's source are the fake's MP3, as it sent them.
    const played = await player.evaluate(async (element) => {
      const media = element as unknown as { src: string; controls: boolean };
      const blob = (globalThis as unknown as { __blobs: Map<string, Blob> }).__blobs.get(media.src);
      const bytes = new Uint8Array(blob ? await blob.arrayBuffer() : new ArrayBuffer(0));
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      return { src: media.src, base64: btoa(binary), controls: media.controls, type: blob?.type };
    });
    assert.ok(played.src.startsWith('blob:'), played.src);
    assert.ok(played.controls);
    assert.deepEqual(Buffer.from(played.base64, 'base64'), fakeSpeech(sentence, 'mp3'));
    assert.equal(played.type, 'audio/mpeg');
    // The element read it (the CSP lets media come from blob: URLs): its metadata is loaded.
    await page.waitForFunction(
      (element) => (element as unknown as { readyState: number }).readyState >= 1,
      await player.elementHandle(),
    );
    const logged = await loggedCost();
    assert.equal(logged.door, 'audio');
    assert.ok(logged.cost_usd > 0);
    assert.equal(await text(answer.getByTestId('answer-cost')), usd(logged.cost_usd));
    await page.screenshot({ path: `${ARTIFACTS}/20-playground-speech.png`, fullPage: true });
  });

  test('back on Chat completions the picker lists chat models only', async () => {
    await page.getByLabel('API', { exact: true }).selectOption({ label: 'Chat completions' });
    await modelOption('openai/gpt-4o').waitFor({ state: 'attached' });
    const options = await pickerOptions();
    assert.ok(!options.includes('openai/tts-1') && !options.includes('xai/grok-2-image'));
    assert.deepEqual(options.sort(), (await modelsOfKind('chat')).sort());
  });

  test('no script errors or content-security-policy violations', () => {
    assert.deepEqual(pageErrors, []);
  });
});
