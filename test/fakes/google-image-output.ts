// Gemini's image models in the fake Gemini API (test/fakes/google.ts): `generationConfig.responseModalities`
// with IMAGE on a `gemini-*-image*` model answers a text part and an `inlineData` PNG part (the images fake's
// first image); `imageConfig.aspectRatio` must be one Gemini makes. As Gemini counts them
// (ai.google.dev/gemini-api/docs/pricing, /docs/tokens): an output image is 1290 tokens, an input image
// 258, reported by modality in `candidatesTokensDetails` and `promptTokensDetails`. Asking a model without
// image output for IMAGE is a 400, as Gemini answers.
import { fakeImage } from './images.js';

export const IMAGE_OUTPUT_TOKENS = 1290;
export const IMAGE_INPUT_TOKENS = 258;
export const IMAGE_COMMENT = 'Here is your image.';

const ASPECT_RATIOS = new Set(['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9']);
const IMAGE_CONFIG_FIELDS = new Set(['aspectRatio', 'imageSize']);

export const isImageModel = (model: string) => /^gemini-.*image/.test(model);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether the request asks for images; an Error (a 400's message) when it asks in a way Gemini refuses.
 */
export function wantsImages(model: string, config: Record<string, unknown>): boolean | Error {
  const modalities = config.responseModalities;
  const images =
    Array.isArray(modalities) && modalities.some((m) => typeof m === 'string' && m.toUpperCase() === 'IMAGE');
  const imageConfig = config.imageConfig;
  if (imageConfig !== undefined) {
    if (!isRecord(imageConfig)) return new Error("Invalid value at 'generation_config.image_config'");
    for (const key of Object.keys(imageConfig))
      if (!IMAGE_CONFIG_FIELDS.has(key))
        return new Error(
          `Invalid JSON payload received. Unknown name "${key}" at 'generation_config.image_config': Cannot find field.`,
        );
    const ratio = imageConfig.aspectRatio;
    if (ratio !== undefined && (typeof ratio !== 'string' || !ASPECT_RATIOS.has(ratio)))
      return new Error(
        `* GenerateContentRequest.generation_config.image_config.aspect_ratio: unsupported value ${JSON.stringify(ratio)}`,
      );
  }
  if (images && !isImageModel(model))
    return new Error('Model does not support the requested response modalities: image');
  return images;
}

/** The parts of an image answer: a comment, then the image. */
export function imageParts(): Record<string, unknown>[][] {
  return [
    [{ text: IMAGE_COMMENT }],
    [{ inlineData: { mimeType: 'image/png', data: fakeImage(0).toString('base64') } }],
  ];
}

/** Input images (inlineData parts) in the request's contents. */
export function inputImages(contents: Record<string, unknown>[]): number {
  let images = 0;
  for (const content of contents)
    for (const part of content.parts as Record<string, unknown>[])
      if (isRecord(part.inlineData) && String(part.inlineData.mimeType).startsWith('image/')) images += 1;
  return images;
}
