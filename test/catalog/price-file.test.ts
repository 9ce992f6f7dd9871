// Price files (tokgate prices import|diff): LiteLLM's model_prices_and_context_window.json read into
// tokgate's model ids and units, tokgate's own format, the refusal of a malformed file (naming the entry
// and the field), and the diff against the catalog. The LiteLLM fixture is an excerpt of the real file
// (BerriAI/litellm, as mirrored on 2026-07-24), fields unread by tokgate trimmed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ModelCatalog } from '../../src/catalog/catalog.js';
import { diffPrices, diffText } from '../../src/catalog/price-diff.js';
import {
  importedPrices,
  PriceFileError,
  parsePriceFile,
  toTokgateFile,
} from '../../src/catalog/price-file.js';

const litellm = (): Record<string, Record<string, unknown>> =>
  JSON.parse(readFileSync(new URL('../fixtures/litellm-prices.json', import.meta.url), 'utf8'));

describe('a LiteLLM price file', () => {
  const sheet = parsePriceFile(litellm());

  test('is read into tokgate ids: provider names mapped, key prefixes dropped, per-token prices per million', () => {
    assert.equal(sheet.format, 'litellm');
    assert.deepEqual([...sheet.entries.keys()].sort(), [
      'anthropic/claude-sonnet-4-5',
      'azure/gpt-4o',
      'bedrock/anthropic.claude-haiku-4-5-20251001-v1:0',
      'cohere/rerank-v3.5',
      'dashscope/qwen-turbo',
      'deepseek/deepseek-chat',
      'google/gemini-2.5-flash',
      'groq/llama-3.3-70b-versatile',
      'openai/dall-e-3',
      'openai/gpt-4o',
      'openai/gpt-4o-mini-2024-07-18',
      'openai/gpt-image-1',
      'openai/tts-1',
      'openai/whisper-1',
      'together/meta-llama/Llama-3.3-70B-Instruct-Turbo',
    ]);
    const claude = sheet.entries.get('anthropic/claude-sonnet-4-5')!;
    assert.equal(claude.input, 3);
    assert.equal(claude.output, 15);
    assert.equal(claude.cached_input, 0.3);
    assert.equal(claude.cache_write, 3.75);
    assert.equal(claude.cache_write_1h, 6);
    assert.equal(claude.context_window, 200000);
    assert.equal(claude.max_output_tokens, 64000);
    assert.equal(claude.kind, 'chat');
    // 2.8e-7 per token is 0.28 per million, without the float noise of the multiplication.
    assert.equal(sheet.entries.get('deepseek/deepseek-chat')!.input, 0.28);
    // The entry's own `source` is kept; without one, the file's kind is named.
    assert.equal(
      sheet.entries.get('deepseek/deepseek-chat')!.source,
      'https://api-docs.deepseek.com/quick_start/pricing',
    );
    assert.equal(claude.source, 'LiteLLM model_prices_and_context_window.json');
    assert.match(claude.date, /^\d{4}-\d{2}-\d{2}$/);
  });

  test('units other than tokens: per character, per second, per query, per image; a reasoning price of its own', () => {
    assert.equal(sheet.entries.get('openai/tts-1')!.per_million_characters, 15);
    assert.equal(sheet.entries.get('openai/whisper-1')!.per_minute, 0.006);
    assert.equal(sheet.entries.get('cohere/rerank-v3.5')!.per_thousand_searches, 2);
    assert.deepEqual(sheet.entries.get('openai/dall-e-3')!.per_image, { '*': { '*': 0.04 } });
    const image = sheet.entries.get('openai/gpt-image-1')!;
    assert.deepEqual([image.input, image.image_input, image.output], [5, 10, 40]);
    // Qwen Turbo bills thinking tokens at 2.5× its output price; equal prices are not repeated.
    assert.equal(sheet.entries.get('dashscope/qwen-turbo')!.reasoning, 0.5);
    assert.equal(sheet.entries.get('openai/gpt-4o')!.reasoning, undefined);
  });

  test('entries tokgate cannot use are counted, by reason, never priced at $0', () => {
    assert.deepEqual(sheet.skipped, {
      'provider not served by tokgate': 1, // aiml
      'size or region variant': 1, // 1024-x-1024/dall-e-2
      'mode not served by tokgate': 1, // moderation
      duplicate: 1, // deepseek-chat, also keyed deepseek/deepseek-chat
      'not a model entry': 1, // last_updated
    });
  });

  test('a malformed entry is refused with its name and field', () => {
    const file = litellm();
    file['gpt-4o']!.input_cost_per_token = 'cheap';
    assert.throws(
      () => parsePriceFile(file),
      (error: unknown) =>
        error instanceof PriceFileError &&
        /entry 'gpt-4o': field 'input_cost_per_token': .*number/.test(error.message),
    );
    const negative = litellm();
    negative['claude-sonnet-4-5']!.cache_read_input_token_cost = -1;
    assert.throws(
      () => parsePriceFile(negative),
      /entry 'claude-sonnet-4-5': field 'cache_read_input_token_cost'/,
    );
  });

  test('neither format: refused, saying what a price file looks like', () => {
    assert.throws(() => parsePriceFile([1, 2]), /a price file is a JSON object/);
    assert.throws(
      () => parsePriceFile({ 'gpt-4o': { input: 1 } }),
      /not a price file: expected tokgate's format/,
    );
  });
});

describe("tokgate's own price format", () => {
  test('the YAML price fields per model id, with the file’s source and date as defaults', () => {
    const sheet = parsePriceFile({
      tokgate_prices: 1,
      source: 'https://openai.com/api/pricing',
      date: '2026-12-01',
      prices: {
        'openai/gpt-4o': { input: 2, output: 8, cached_input: 0.5 },
        'openai/my-fine-tune': {
          input: 3,
          output: 12,
          source: 'contract 42',
          date: '2026-11-30',
          context_window: 128000,
        },
      },
    });
    assert.equal(sheet.format, 'tokgate');
    assert.deepEqual(sheet.entries.get('openai/gpt-4o'), {
      input: 2,
      output: 8,
      cached_input: 0.5,
      source: 'https://openai.com/api/pricing',
      date: '2026-12-01',
    });
    assert.equal(sheet.entries.get('openai/my-fine-tune')!.source, 'contract 42');
    // Stored as tokgate's format, read back the same.
    assert.deepEqual(parsePriceFile(JSON.parse(JSON.stringify(toTokgateFile(sheet)))).entries, sheet.entries);
  });

  test('a typo, a missing source, a bad id or date: refused, naming the entry and field', () => {
    const file = (entry: unknown, top: Record<string, unknown> = { source: 's' }) => ({
      tokgate_prices: 1,
      ...top,
      prices: { 'openai/gpt-4o': entry },
    });
    assert.throws(
      () => parsePriceFile(file({ input: 1, output: 2, cached_imput: 0.5 })),
      /entry 'openai\/gpt-4o': .*cached_imput/,
    );
    assert.throws(
      () => parsePriceFile(file({ input: 1, output: 2 }, {})),
      /entry 'openai\/gpt-4o': field 'source'/,
    );
    assert.throws(() => parsePriceFile(file({ input: 1 })), /entry 'openai\/gpt-4o': field 'output'/);
    assert.throws(
      () => parsePriceFile(file({ input: 1, output: 2, date: '1 Dec' })),
      /entry 'openai\/gpt-4o': field 'date'/,
    );
    assert.throws(
      () => parsePriceFile({ tokgate_prices: 1, source: 's', prices: { 'gpt-4o': { input: 1, output: 2 } } }),
      /entry 'gpt-4o': not a model id/,
    );
    assert.throws(() => parsePriceFile({ tokgate_prices: 2, prices: {} }), /field 'tokgate_prices'/);
  });
});

describe('a price version over the catalog', () => {
  const file = {
    tokgate_prices: 1,
    source: 'test',
    date: '2026-12-01',
    prices: {
      'openai/gpt-4o': { input: 2, output: 10, cached_input: 1.25 },
      'openai/my-fine-tune': { input: 3, output: 12, context_window: 64000 },
    },
  };

  test('overrides built-in prices and adds unknown models; the config still wins', () => {
    const catalog = new ModelCatalog({ 'openai/gpt-4o-mini': { price: { input: 9, output: 9 } } });
    catalog.applyPrices(
      importedPrices(
        parsePriceFile({
          ...file,
          prices: { ...file.prices, 'openai/gpt-4o-mini': { input: 1, output: 1 } },
        }),
        7,
        'import-7@2026-12-01',
      ),
    );
    const gpt4o = catalog.get('openai/gpt-4o')!;
    assert.equal(gpt4o.price!.input, 2_000_000);
    assert.equal(gpt4o.priceVersion, 'import-7@2026-12-01');
    assert.equal(gpt4o.priceSource, 'test');
    assert.equal(gpt4o.priceDate, '2026-12-01');
    assert.equal(gpt4o.contextWindow, 128000, 'a known model keeps its catalog facts');
    const tuned = catalog.get('openai/my-fine-tune')!;
    assert.equal(tuned.contextWindow, 64000);
    assert.equal(tuned.price!.output, 12_000_000);
    assert.equal(catalog.get('openai/gpt-4o-mini')!.price!.input, 9_000_000);
    assert.equal(catalog.get('openai/gpt-4o-mini')!.priceVersion, 'config@start');
    assert.equal(catalog.importedId, 7);
    // Without the version, the built-in price is back and the model the file added is gone.
    catalog.applyPrices(undefined);
    assert.equal(catalog.get('openai/gpt-4o')!.priceVersion, 'builtin@2025-11-01');
    assert.equal(catalog.get('openai/my-fine-tune'), undefined);
  });

  test('the diff: added, changed (old → new) and removed, model by model and field by field', () => {
    const before = new ModelCatalog();
    before.applyPrices(importedPrices(parsePriceFile(file), 1, 'import-1@2026-12-01'));
    const next = parsePriceFile({
      ...file,
      prices: {
        'openai/gpt-4o': { input: 2.5, output: 10, cached_input: 1.25 },
        'openai/o9': { input: 1, output: 4 },
      },
    });
    const diff = diffPrices(before, before.withPrices(importedPrices(next, 2, 'import-2@2026-12-02')));
    assert.deepEqual(
      diff.changes.map((c) => [c.change, c.model, c.fields]),
      [
        ['changed', 'openai/gpt-4o', [{ field: 'input', old: 2, new: 2.5 }]],
        [
          'removed',
          'openai/my-fine-tune',
          [
            { field: 'input', old: 3, new: null },
            { field: 'output', old: 12, new: null },
            { field: 'cached_input', old: 3, new: null },
          ],
        ],
        [
          'added',
          'openai/o9',
          [
            { field: 'input', old: null, new: 1 },
            { field: 'output', old: null, new: 4 },
            { field: 'cached_input', old: null, new: 1 },
          ],
        ],
      ],
    );
    assert.equal(diff.unchanged, before.all().filter((e) => e.price).length - 2);
    const text = diffText(diff, { 'provider not served by tokgate': 3 });
    assert.match(text, /^~ openai\/gpt-4o {2}input 2 → 2\.5$/m);
    assert.match(text, /^- openai\/my-fine-tune {2}input 3, output 12, cached_input 3$/m);
    assert.match(text, /^\+ openai\/o9 {2}input 1, output 4, cached_input 1$/m);
    assert.match(text, /^1 added, 1 changed, 1 removed, \d+ unchanged$/m);
    assert.match(text, /^entries not imported: 3 provider not served by tokgate$/m);
  });
});
