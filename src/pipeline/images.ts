// The images operation's own stages (generations, edits, variations): executed over the route by the
// router, metered per image (or by the GPT image models' tokens), and answered in OpenAI's ImagesResponse.
// When the client asked for `response_format: url` and the upstream gave bytes, the gateway keeps them in
// its image store and answers with a signed, expiring URL of its own; a URL the upstream gave is passed on.
// The cost is `usage.cost` where the answer has a usage (GPT image models), and always `x-tokgate-cost`.
import { imageDemand, measureImages } from '../accounting/image-meter.js';
import type { Metered } from '../accounting/meter.js';
import {
  canImage,
  type GeneratedImage,
  type ImageOperation,
  type ImageRequest,
  type ImageResult,
  sniffImage,
} from '../core/images.js';
import type { Provider } from '../core/types.js';
import { runImages } from '../router/operations.js';
import { costOf } from './canonical-answer.js';
import type { ImageStore } from './image-store.js';
import type { RetrievalDoor } from './retrieval.js';

/** One images request as the door hands it on: the canonical request, and where its URLs point. */
export interface ImagesCall {
  model: string;
  image: ImageRequest;
  /** The gateway's public origin (`https://gw.example.com`) for the URLs it makes. */
  origin: string;
}

/** Keeps every base64 image of the answer and gives it a URL instead. */
async function withUrls(store: ImageStore, origin: string, result: ImageResult): Promise<ImageResult> {
  const images: GeneratedImage[] = [];
  for (const image of result.images) {
    if (image.b64_json === undefined) {
      images.push(image);
      continue;
    }
    const bytes = Buffer.from(image.b64_json, 'base64');
    const type = sniffImage(bytes) ?? image.mimeType ?? 'image/png';
    const path = await store.keep(bytes, type.slice(type.indexOf('/') + 1));
    const { b64_json: _, ...rest } = image;
    images.push({ ...rest, url: `${origin}${path}` });
  }
  return { ...result, images };
}

/** OpenAI's ImagesResponse. */
export function imagesAnswer(result: ImageResult, metered: Metered, now: () => number): string {
  const data = result.images.map((image) => ({
    ...(image.b64_json === undefined ? { url: image.url } : { b64_json: image.b64_json }),
    ...(image.revised_prompt === undefined ? {} : { revised_prompt: image.revised_prompt }),
  }));
  const answer: Record<string, unknown> = {
    created: result.created ?? Math.floor(now() / 1000),
    data,
  };
  for (const name of ['background', 'output_format', 'size', 'quality'] as const)
    if (result[name] !== undefined) answer[name] = result[name];
  if (result.usage) answer.usage = { ...result.usage, ...costOf(metered) };
  return JSON.stringify(answer);
}

const WHAT: Record<ImageOperation, string> = {
  generations: '/v1/images/generations',
  edits: '/v1/images/edits',
  variations: '/v1/images/variations',
};

export function imageStages(
  operation: ImageOperation,
  store: ImageStore,
  now: () => number = Date.now,
): Omit<RetrievalDoor<ImagesCall, ImageResult>, 'name' | 'parse' | 'errorBody'> {
  return {
    operation: 'image',
    what: WHAT[operation],
    serves: (provider: Provider) => canImage(provider) && provider.imageOperations.has(operation),
    demand: (_meter, target, call) => imageDemand(target, call.image),
    async execute(router, plan, call, options) {
      const served = await runImages(router, plan, call.image, options);
      if (call.image.response_format !== 'url') return served;
      return { ...served, value: await withUrls(store, call.origin, served.value) };
    },
    measure: async (_meter, target, call, result) => measureImages(target, call.image, result),
    answer: (_id, _call, result, metered) => imagesAnswer(result, metered, now),
  };
}
