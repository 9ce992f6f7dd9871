// The built-in price catalog stays true: every model priced (nothing silently $0), every enabled provider's
// models listed, and models it does not know handled by the documented rule (unpriced, or free on a local
// server).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FREE_PRICE_VERSION, ModelCatalog } from '../../src/catalog/catalog.js';
import { BUILTIN_CATALOG, type CatalogEntryData } from '../../src/catalog/catalog-data.js';
import { loadConfig } from '../../src/config/config.js';
import { OPENAI_COMPATIBLE_VENDORS, type VendorSpec } from '../../src/config/vendors.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import { readJson, startTestGateway } from '../support/gateway.js';

const builtin = BUILTIN_CATALOG as readonly CatalogEntryData[];
const vendors: Record<string, VendorSpec> = OPENAI_COMPATIBLE_VENDORS;
const freeVendors = Object.keys(vendors).filter((id) => vendors[id]?.free);

/** Providers with no built-in models, and why: each is served unpriced (refused for metered keys). */
const UNPRICED_BY_DESIGN: Record<string, string> = {
  openrouter: 'prices vary by upstream route; price the models you use in YAML',
  nvidia: 'hosted NIM runs on credits, with no per-token list price',
  github: 'GitHub Models: a free tier, then per-model multipliers',
  huggingface: 'the router bills the chosen provider’s own price',
  novita: 'no dated price for its own model ids could be checked',
  jina: 'prepaid token packs, with no price per token stated on its pages',
};

describe('the built-in catalog', () => {
  test('every price names its source (the vendor page it was read from) and the day it was checked', () => {
    for (const entry of new ModelCatalog().all()) {
      if (!entry.price) continue;
      assert.match(entry.priceSource ?? '', /^https:\/\/[^ ]+$/, `${entry.id}: a source URL`);
      assert.match(entry.priceDate ?? '', /^\d{4}-\d{2}-\d{2}$/, `${entry.id}: a date`);
      assert.equal(entry.priceVersion, `builtin@${entry.priceDate}`);
    }
  });

  test('every model has an input and an output price above zero; cache prices are never above input', () => {
    for (const entry of builtin) {
      const id = `${entry.provider}/${entry.model}`;
      assert.ok(!freeVendors.includes(entry.provider), `${id}: local servers have no built-in models`);
      assert.ok(entry.price, `${id} has a price`);
      // Embedding and rerank models bill their input only; rerank billed per search, its searches only.
      const kind = (entry as { kind?: string }).kind ?? 'chat';
      const price = entry.price as {
        perThousandSearches?: number;
        perMillionCharacters?: number;
        perMinute?: number;
        audioInput?: number;
        audioOutput?: number;
        perImage?: Record<string, Record<string, number>>;
      };
      const perSearch = price.perThousandSearches;
      const perImage = price.perImage;
      // Audio models bill characters, minutes or audio tokens: one of them, above zero.
      const audioUnit =
        price.perMillionCharacters ?? price.perMinute ?? price.audioOutput ?? price.audioInput;
      if (kind === 'speech' || kind === 'transcription') {
        assert.ok(audioUnit !== undefined && audioUnit > 0, `${id}: its audio unit is priced above zero`);
        continue;
      }
      if (kind === 'image') {
        // Image models: every image priced above zero; tokens only for the GPT image models (their
        // answers report them), and then both ways.
        assert.ok(perImage && Object.keys(perImage).length > 0, `${id}: priced per image`);
        for (const sizes of Object.values(perImage!))
          for (const usd of Object.values(sizes)) assert.ok(usd > 0, `${id}: no image is priced at zero`);
        const byTokens = entry.price.input > 0 || entry.price.output > 0;
        if (byTokens)
          assert.ok(entry.price.input > 0 && entry.price.output > 0, `${id}: tokens priced both ways`);
      } else if (perSearch !== undefined) assert.ok(perSearch > 0, `${id}: searches are not priced at zero`);
      else assert.ok(entry.price.input > 0, `${id} is not priced at zero`);
      if (kind === 'chat') assert.ok(entry.price.output > 0, `${id}: output is not priced at zero`);
      else if (kind !== 'image')
        assert.equal(entry.price.output, 0, `${id}: a ${kind} model bills no output`);
      if (entry.price.cachedInput !== undefined) {
        assert.ok(entry.price.cachedInput <= entry.price.input, `${id}: cache reads cost at most input`);
      }
      if (entry.priceDate !== undefined) {
        assert.match(entry.priceDate, /^\d{4}-\d{2}-\d{2}$/, `${id}: priceDate is a date`);
        assert.ok(!Number.isNaN(Date.parse(entry.priceDate)), `${id}: priceDate is a real date`);
      }
    }
  });

  test('no model is listed twice', () => {
    const ids = builtin.map((e) => `${e.provider}/${e.model}`);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('every paid provider tokgate enables has built-in models, unless it is unpriced by design', () => {
    const paid = [
      ...Object.keys(vendors).filter((id) => !vendors[id]?.free),
      'anthropic',
      'google',
      'azure',
      'bedrock',
      'cohere',
      'vertex',
    ];
    const withModels = new Set(builtin.map((e) => e.provider));
    for (const id of paid) {
      if (id in UNPRICED_BY_DESIGN) {
        assert.ok(!withModels.has(id), `${id} is listed as unpriced by design but has models`);
        continue;
      }
      assert.ok(withModels.has(id), `${id} has built-in models`);
    }
  });

  test('a price date names the version on ledger rows', () => {
    const catalog = new ModelCatalog();
    assert.equal(catalog.get('moonshot/kimi-k2.5')?.priceVersion, 'builtin@2026-03-11');
    assert.match(catalog.get('openai/gpt-4o')?.priceVersion ?? '', /^builtin@\d{4}-\d{2}-\d{2}$/);
  });
});

describe('models the catalog does not know', () => {
  test('are unpriced on a paid provider, and free (priced at zero) on a local server', () => {
    const catalog = new ModelCatalog({}, {}, new Set(['vllm']));
    assert.equal(catalog.get('openai/gpt-99'), undefined);
    const local = catalog.get('vllm/any/model-name');
    assert.equal(local?.model, 'any/model-name');
    assert.deepEqual(local?.price, { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, cacheWrite1h: 0 });
    assert.equal(local?.priceVersion, FREE_PRICE_VERSION);
    assert.equal(catalog.all().length, builtin.length, 'client-supplied ids never grow the catalog');
  });

  test('local servers enabled from the environment are free; a configured price still wins', () => {
    const config = loadConfig({
      TOKGATE_CONFIG: '',
      VLLM_BASE_URL: 'http://127.0.0.1:1/v1',
      OPENAI_API_KEY: 'k',
    });
    assert.equal(config.providers.find((p) => p.id === 'vllm')?.free, true);
    assert.equal(config.providers.find((p) => p.id === 'openai')?.free, undefined);
    const catalog = new ModelCatalog(
      { 'vllm/priced': { price: { input: 1, output: 2 } } },
      { vllm: ['listed'] },
      new Set(['vllm']),
    );
    assert.equal(catalog.get('vllm/listed')?.price?.output, 0);
    assert.equal(catalog.get('vllm/priced')?.price?.output, 2_000_000);
  });

  test('through the gateway: a metered key is refused an unknown paid model, and served a local one at $0', async () => {
    const fake = await startFakeOpenAI({ vendor: { keyless: true } });
    const gw = await startTestGateway({
      OPENAI_API_KEY: 'k',
      OPENAI_BASE_URL: fake.url,
      LLAMACPP_BASE_URL: fake.url,
    });
    try {
      const { key } = await gw.createKey({ budget_usd: 5 });
      const ask = (model: string) =>
        gw.call('/v1/chat/completions', {
          method: 'POST',
          key,
          json: { model, messages: [{ role: 'user', content: 'Hi' }] },
        });
      const refused = await ask('openai/not-in-the-catalog');
      assert.equal(refused.status, 403);
      assert.equal((await readJson(refused)).error.code, 'model_unpriced');
      const local = await ask('llamacpp/whatever-is-loaded');
      assert.equal(local.status, 200);
      const body = await readJson(local);
      assert.equal(body.usage.cost, 0);
      assert.equal(local.headers.get('x-tokgate-warnings'), null, 'no unpriced warning');
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});
