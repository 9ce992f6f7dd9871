// Google's images for the Google providers: Imagen's `:predict` (below) and Gemini's image models
// (gemini-images.ts), one Imager that picks by model. Imagen through the Gemini API
// (ai.google.dev/gemini-api/docs/imagen): `POST {base}/v1beta/models/{model}:predict`, and on Vertex AI
// `POST {base}/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:predict`, the same wire:
// `{instances: [{prompt}], parameters: {sampleCount, aspectRatio}}`, answered with
// `{predictions: [{bytesBase64Encoded, mimeType}]}`. OpenAI's `size` becomes the aspect ratio Imagen takes
// (1:1, 3:4, 4:3, 9:16, 16:9); the fields Imagen has no counterpart for are dropped with a warning.
// Imagen only generates: edits are a 400 (Gemini's image models edit), variations are not served.
import type { ProviderSettings } from '../../config/config.js';
import type { OperationCall } from '../../core/embeddings.js';
import { invalidRequest } from '../../core/errors.js';
import type { GeneratedImage, ImageRequest, ImageResult, Imager } from '../../core/images.js';
import { isObject } from '../../core/is-object.js';
import { type HttpClient, readJsonBody } from '../http.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { IMAGEN_ASPECT_RATIOS, requestedAspectRatio } from './aspect-ratio.js';
import { geminiImages, isGeminiImageModel, UNMAPPED_IMAGE_FIELDS } from './gemini-images.js';
import { googleHttpError } from './google-error.js';
import { googleJsonHeaders } from './google-retrieval.js';

/** Images one `:predict` call may ask for (`sampleCount` 1–4). */
export const IMAGEN_MAX_SAMPLES = 4;

/** Where a model's calls go: `:predict` (Imagen) and `:generateContent` (Gemini). */
export interface GoogleImageUrls {
  predict: (model: string) => URL;
  generateContent: (model: string) => URL;
}

/** Imagen (`imagen-*`) and Gemini's image models (`gemini-*-image*`) on one provider. */
export function googleImages(settings: ProviderSettings, http: HttpClient, urls: GoogleImageUrls): Imager {
  const { id } = settings;
  const headers = googleJsonHeaders(settings);
  const gemini = geminiImages(id, http, headers, urls.generateContent);

  async function imagen(call: OperationCall<ImageRequest>): Promise<ImageResult> {
    const { request } = call;
    if (request.operation !== 'generations')
      throw invalidRequest(
        `Provider '${id}' (Imagen) does not serve /v1/images/${request.operation}.`,
        'model',
        'invalid_value',
      );
    const n = request.n ?? 1;
    if (n > IMAGEN_MAX_SAMPLES)
      throw invalidRequest(
        `Imagen makes at most ${IMAGEN_MAX_SAMPLES} images a request.`,
        'n',
        'invalid_value',
      );
    const parameters: Record<string, unknown> = { sampleCount: n };
    const ratio = requestedAspectRatio(request, IMAGEN_ASPECT_RATIOS, 'Imagen');
    if (ratio) parameters.aspectRatio = ratio;
    for (const field of UNMAPPED_IMAGE_FIELDS)
      if (request[field] !== undefined)
        call.warnings.push(`'${field}' is not supported by provider '${id}' and was dropped`);
    const url = urls.predict(request.model);
    const body = JSON.stringify({ instances: [{ prompt: request.prompt ?? '' }], parameters });
    const res = await http.request(id, url, headers, body, call.signal);
    if (res.status < 200 || res.status >= 300) throw await googleHttpError(id, res);
    const answer = await readJsonBody(id, res, call.signal);
    const predictions = isObject(answer) && Array.isArray(answer.predictions) ? answer.predictions : [];
    const images: GeneratedImage[] = [];
    for (const prediction of predictions) {
      // A prediction filtered by Google's safety rules carries `raiFilteredReason` instead of bytes.
      if (!isObject(prediction) || typeof prediction.bytesBase64Encoded !== 'string') continue;
      images.push({
        b64_json: prediction.bytesBase64Encoded,
        ...(typeof prediction.mimeType === 'string' ? { mimeType: prediction.mimeType } : {}),
      });
    }
    if (images.length === 0) throw invalidUpstreamResponse(id, 'the answer has no images');
    return { images };
  }

  return {
    image: (call) => (isGeminiImageModel(call.request.model) ? gemini(call) : imagen(call)),
    // Edits are Gemini's image models' alone: Imagen answers them with a 400 naming the operation.
    imageOperations: new Set(['generations', 'edits']),
  };
}
