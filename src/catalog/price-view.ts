// A catalog price in USD, in the YAML's and the price files' field names: what `GET /admin/models` shows
// and what `tokgate prices diff` compares.
import type { Price } from './catalog.js';

const perMillionUsd = (micros: number) => micros / 1_000_000;

export function priceInUsd(price: Price) {
  return {
    input: perMillionUsd(price.input),
    output: perMillionUsd(price.output),
    cached_input: perMillionUsd(price.cachedInput),
    cache_write: price.cacheWrite === undefined ? null : perMillionUsd(price.cacheWrite),
    cache_write_1h: price.cacheWrite1h === undefined ? null : perMillionUsd(price.cacheWrite1h),
    ...(price.reasoning === undefined ? {} : { reasoning: perMillionUsd(price.reasoning) }),
    // Rerank models billed per search: USD per 1,000 searches.
    ...(price.searchUnit === undefined ? {} : { per_thousand_searches: price.searchUnit / 1000 }),
    // Audio models, in the YAML's names: per million characters, per minute, per million audio tokens.
    ...(price.character === undefined ? {} : { per_million_characters: perMillionUsd(price.character) }),
    ...(price.audioSecond === undefined
      ? {}
      : { per_minute: (perMillionUsd(price.audioSecond) * 60) / 1_000_000 }),
    ...(price.audioInput === undefined ? {} : { audio_input: perMillionUsd(price.audioInput) }),
    ...(price.audioOutput === undefined ? {} : { audio_output: perMillionUsd(price.audioOutput) }),
    ...(price.imageInput === undefined ? {} : { image_input: perMillionUsd(price.imageInput) }),
    ...(price.perImage === undefined
      ? {}
      : {
          per_image: Object.fromEntries(
            Object.entries(price.perImage).map(([quality, sizes]) => [
              quality,
              Object.fromEntries(Object.entries(sizes).map(([size, micros]) => [size, micros / 1_000_000])),
            ]),
          ),
        }),
  };
}

/** A price as flat `field → USD` pairs (`per_image.hd.1024x1024`), unset fields left out: for diffs. */
export function flatPrice(price: Price): Record<string, number> {
  const flat: Record<string, number> = {};
  for (const [field, value] of Object.entries(priceInUsd(price))) {
    if (typeof value === 'number') flat[field] = value;
    else if (value && typeof value === 'object')
      for (const [quality, sizes] of Object.entries(value))
        for (const [size, usd] of Object.entries(sizes)) flat[`${field}.${quality}.${size}`] = usd;
  }
  return flat;
}
