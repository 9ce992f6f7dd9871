// The meter of the images operation: what a request for images may cost at most (admission reserves it)
// and what it cost. Image models are priced per image by quality and size (`price.perImage`, the first
// quality listed being the model's default); the GPT image models report their tokens (text input, image
// input, image output), and then those are billed at their token prices, as OpenAI bills them.
import type { Price } from '../catalog/catalog.js';
import type { Target } from '../catalog/target.js';
import type { ImageRequest, ImageResult } from '../core/images.js';
import type { Usage } from '../core/types.js';
import type { InputDemand } from './admission.js';
import type { Metered } from './meter.js';

type PerImage = NonNullable<Price['perImage']>;

/** The prices of a size in a quality's row: the size's own, any size's (`*`), or every listed size's. */
function sizePrices(row: Readonly<Record<string, number>>, size: string | undefined): number[] {
  if (size !== undefined && row[size] !== undefined) return [row[size]];
  if (row['*'] !== undefined) return [row['*']];
  return Object.values(row);
}

/** The qualities a request may be served at: the one asked for, or any (`auto`, unset, unknown). */
function qualityRows(table: PerImage, quality: string | undefined): Array<Readonly<Record<string, number>>> {
  if (quality !== undefined && table[quality]) return [table[quality]];
  return Object.values(table);
}

/** Micro-USD of the costliest image the request may produce. */
export function worstImagePrice(price: Price | undefined, request: ImageRequest): number {
  const table = price?.perImage;
  if (!table) return 0;
  let worst = 0;
  for (const row of qualityRows(table, request.quality))
    for (const value of sizePrices(row, request.size)) worst = Math.max(worst, value);
  return worst;
}

/**
 * Micro-USD of one image as served: the quality and size the answer reports, else those asked for, else
 * the model's default quality (the first listed) and the costliest of the sizes that could be meant.
 */
export function imagePrice(table: PerImage, request: ImageRequest, result: ImageResult): number {
  const asked = request.quality !== undefined && request.quality !== 'auto' ? request.quality : undefined;
  const quality = [result.quality, asked].find((q) => q !== undefined && table[q] !== undefined);
  const row = table[quality ?? Object.keys(table)[0]!]!;
  const size = result.size ?? (request.size === 'auto' ? undefined : request.size);
  return Math.max(...sizePrices(row, size));
}

/** The prompt's UTF-8 bytes: never fewer than its tokens. */
const promptBound = (request: ImageRequest) =>
  request.prompt === undefined ? 0 : Buffer.byteLength(request.prompt);

export function imageDemand(target: Target, request: ImageRequest): InputDemand {
  const price = target.entry?.price;
  const n = request.n ?? 1;
  return {
    bound: promptBound(request),
    exact: async () => undefined,
    cost: (tokens) =>
      n * worstImagePrice(price, request) + Math.ceil((tokens * (price?.input ?? 0)) / 1_000_000),
  };
}

const tokenUsage = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

export function measureImages(target: Target, request: ImageRequest, result: ImageResult): Metered {
  const price = target.entry?.price;
  const count = result.images.length;
  // The ledger row's units: the images made, whatever they were priced by.
  const units = { count, unit: 'images' as const };
  const reported = result.usage;
  if (reported) {
    const usage = tokenUsage(reported.input_tokens, reported.output_tokens);
    usage.images = count;
    if (!price) return { usage, source: 'provider', costMicros: undefined, units };
    // The tokens, each kind at its price: image input at the text price when the model has none of its
    // own (GPT image models have one), image output at the output price unless it has its own (Gemini's
    // image models: text out at `output`, image out at `imageOutput`).
    const details = reported.input_tokens_details;
    const imageTokens = Math.min(details?.image_tokens ?? 0, reported.input_tokens);
    const textTokens = reported.input_tokens - imageTokens;
    const imageOut = Math.min(reported.output_tokens_details?.image_tokens ?? 0, reported.output_tokens);
    const scaled =
      textTokens * price.input +
      imageTokens * (price.imageInput ?? price.input) +
      (reported.output_tokens - imageOut) * price.output +
      imageOut * (price.imageOutput ?? price.output);
    return { usage, source: 'provider', costMicros: Math.round(scaled / 1_000_000), units };
  }
  const usage = tokenUsage(0, 0);
  usage.images = count;
  const table = price?.perImage;
  // A model without per-image prices is unpriced here (never a silent $0), unless its price is nothing
  // at all (a local server's, or an operator's explicit zero).
  const free = price !== undefined && price.input === 0 && price.output === 0;
  const costMicros = table ? count * imagePrice(table, request, result) : free ? 0 : undefined;
  return { usage, source: 'provider', costMicros, units };
}
