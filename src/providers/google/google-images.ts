// Imagen through the Gemini API (ai.google.dev/gemini-api/docs/imagen): `POST {base}/v1beta/models/{model}:predict`
// with `{instances: [{prompt}], parameters: {sampleCount, aspectRatio}}`, answered with
// `{predictions: [{bytesBase64Encoded, mimeType}]}`. OpenAI's `size` becomes the aspect ratio Imagen takes
// (1:1, 3:4, 4:3, 9:16, 16:9); the fields Imagen has no counterpart for are dropped with a warning.
// Imagen only generates: edits and variations are not served.
import type { ProviderSettings } from '../../config/config.js';
import type { OperationCall } from '../../core/embeddings.js';
import { invalidRequest } from '../../core/errors.js';
import type { GeneratedImage, ImageRequest, ImageResult, Imager } from '../../core/images.js';
import { isObject } from '../../core/is-object.js';
import { type HttpClient, readJsonBody } from '../http.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { googleHttpError } from './google-error.js';
import { googleJsonHeaders } from './google-retrieval.js';

/** Images one `:predict` call may ask for (`sampleCount` 1–4). */
export const IMAGEN_MAX_SAMPLES = 4;

const ASPECT_RATIOS: ReadonlyArray<readonly [string, number]> = [
  ['1:1', 1],
  ['3:4', 3 / 4],
  ['4:3', 4 / 3],
  ['9:16', 9 / 16],
  ['16:9', 16 / 9],
];

/** The aspect ratio of `WIDTHxHEIGHT` Imagen can make (within 2%: DALL·E 3's 1792x1024 is 16:9). */
export function aspectRatioOf(size: string): string | undefined {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) return undefined;
  const ratio = Number(match[1]) / Number(match[2]);
  for (const [name, value] of ASPECT_RATIOS) if (Math.abs(ratio / value - 1) <= 0.02) return name;
  return undefined;
}

/** Fields of OpenAI's request Imagen has no counterpart for. */
const UNMAPPED = [
  'quality',
  'style',
  'background',
  'output_format',
  'output_compression',
  'user',
  'moderation',
];

export function googleImages(
  settings: ProviderSettings,
  http: HttpClient,
  apiVersion: string,
  modelPath: (model: string) => string,
): Imager {
  const { id } = settings;
  const headers = googleJsonHeaders(settings);

  async function image(call: OperationCall<ImageRequest>): Promise<ImageResult> {
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
    if (request.size !== undefined && request.size !== 'auto') {
      const ratio = aspectRatioOf(request.size);
      if (!ratio)
        throw invalidRequest(
          `Imagen makes images of aspect ratio 1:1, 3:4, 4:3, 9:16 or 16:9; '${request.size.slice(0, 32)}' is none of them.`,
          'size',
          'invalid_value',
        );
      parameters.aspectRatio = ratio;
    }
    for (const field of UNMAPPED)
      if (request[field] !== undefined)
        call.warnings.push(`'${field}' is not supported by provider '${id}' and was dropped`);
    const url = new URL(`${settings.baseUrl}/${apiVersion}/${modelPath(request.model)}:predict`);
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

  return { image, imageOperations: new Set(['generations']) };
}
