// Gemini's image models ("nano banana": `gemini-2.5-flash-image`, and the `gemini-*-image*` previews) through
// generateContent (ai.google.dev/gemini-api/docs/image-generation), on the Gemini API's paths or Vertex
// AI's: the prompt in one user turn, after the images to edit as `inlineData` parts (edits),
// `generationConfig: {responseModalities: ["TEXT", "IMAGE"], imageConfig: {aspectRatio}}` with the aspect
// ratio from OpenAI's `size`; the answer's `inlineData` parts are the images (its text parts, the model's
// comments, are not). A call makes one image: `n` is n calls, their usage summed. The usage is OpenAI's
// image usage shape (input tokens: text and image; output tokens: text and image, from
// `promptTokensDetails` and `candidatesTokensDetails`), which the meter prices at the model's token
// prices (image output at its own).
import type { OperationCall } from '../../core/embeddings.js';
import { gatewayError, invalidRequest } from '../../core/errors.js';
import {
  base64Of,
  type GeneratedImage,
  type ImageRequest,
  type ImageResult,
  type ImageUsage,
} from '../../core/images.js';
import { isObject } from '../../core/is-object.js';
import { type HttpClient, readJsonBody } from '../http.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { requestedAspectRatio } from './aspect-ratio.js';
import { googleHttpError } from './google-error.js';

/** Fields of OpenAI's request Google's image models (Imagen's and Gemini's) have no counterpart for. */
export const UNMAPPED_IMAGE_FIELDS = [
  'quality',
  'style',
  'background',
  'output_format',
  'output_compression',
  'user',
  'moderation',
];

/** `gemini-2.5-flash-image`, `gemini-2.0-flash-preview-image-generation`, `gemini-3-pro-image-preview`. */
export const isGeminiImageModel = (model: string) => /^gemini-.*image/.test(model);

/** The aspect ratios Gemini's image models make. */
export const GEMINI_ASPECT_RATIOS: readonly string[] = [
  '1:1',
  '2:3',
  '3:2',
  '3:4',
  '4:3',
  '4:5',
  '5:4',
  '9:16',
  '16:9',
  '21:9',
];

/** Why an answer without an image was refused by Google's filters (finish reasons and block reasons). */
const REFUSALS =
  /^(SAFETY|IMAGE_SAFETY|PROHIBITED_CONTENT|IMAGE_PROHIBITED_CONTENT|BLOCKLIST|SPII|RECITATION|IMAGE_RECITATION|OTHER|NO_IMAGE)$/;

const count = (value: unknown) => (typeof value === 'number' && value >= 0 ? value : 0);

/** The tokens of one modality in a `*TokensDetails` list (`[{modality, tokenCount}]`). */
function modalityTokens(details: unknown, modality: string): number {
  if (!Array.isArray(details)) return 0;
  let total = 0;
  for (const entry of details)
    if (isObject(entry) && entry.modality === modality) total += count(entry.tokenCount);
  return total;
}

function usageOf(metadata: unknown): ImageUsage | undefined {
  if (!isObject(metadata)) return undefined;
  const input = count(metadata.promptTokenCount);
  // Thinking is billed as output, as the text is.
  const output = count(metadata.candidatesTokenCount) + count(metadata.thoughtsTokenCount);
  const imageIn = Math.min(modalityTokens(metadata.promptTokensDetails, 'IMAGE'), input);
  const imageOut = Math.min(modalityTokens(metadata.candidatesTokensDetails, 'IMAGE'), output);
  return {
    input_tokens: input,
    input_tokens_details: { text_tokens: input - imageIn, image_tokens: imageIn },
    output_tokens: output,
    output_tokens_details: { text_tokens: output - imageOut, image_tokens: imageOut },
    total_tokens: input + output,
  };
}

function sumUsage(a: ImageUsage | undefined, b: ImageUsage | undefined): ImageUsage | undefined {
  if (!a || !b) return a ?? b;
  const add = (x?: number, y?: number) => (x ?? 0) + (y ?? 0);
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    input_tokens_details: {
      text_tokens: add(a.input_tokens_details?.text_tokens, b.input_tokens_details?.text_tokens),
      image_tokens: add(a.input_tokens_details?.image_tokens, b.input_tokens_details?.image_tokens),
    },
    output_tokens: a.output_tokens + b.output_tokens,
    output_tokens_details: {
      text_tokens: add(a.output_tokens_details?.text_tokens, b.output_tokens_details?.text_tokens),
      image_tokens: add(a.output_tokens_details?.image_tokens, b.output_tokens_details?.image_tokens),
    },
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/** The images of one GenerateContentResponse, or why there are none. */
function readAnswer(
  id: string,
  answer: unknown,
): { images: GeneratedImage[]; usage: ImageUsage | undefined } {
  const fields = isObject(answer) ? answer : {};
  const images: GeneratedImage[] = [];
  let finish: string | undefined;
  for (const candidate of Array.isArray(fields.candidates) ? fields.candidates : []) {
    if (!isObject(candidate)) continue;
    if (typeof candidate.finishReason === 'string') finish ??= candidate.finishReason;
    const parts = isObject(candidate.content) ? candidate.content.parts : undefined;
    for (const part of Array.isArray(parts) ? parts : []) {
      const inline = isObject(part) ? part.inlineData : undefined;
      if (!isObject(inline) || typeof inline.data !== 'string' || inline.data === '') continue;
      images.push({
        b64_json: inline.data,
        ...(typeof inline.mimeType === 'string' ? { mimeType: inline.mimeType } : {}),
      });
    }
  }
  if (images.length === 0) {
    const feedback = isObject(fields.promptFeedback) ? fields.promptFeedback.blockReason : undefined;
    const why = typeof feedback === 'string' ? feedback : finish;
    // OpenAI's code for an image its safety system refused.
    if (why !== undefined && REFUSALS.test(why))
      throw gatewayError('upstream_rejected', {
        provider: id,
        param: 'prompt',
        message: `Upstream provider '${id}' made no image: its safety system refused the request (${why}).`,
        providerCode: 'content_policy_violation',
      });
    throw invalidUpstreamResponse(id, `the answer has no image${why ? ` (finish reason ${why})` : ''}`);
  }
  return { images, usage: usageOf(fields.usageMetadata) };
}

export function geminiImages(
  id: string,
  http: HttpClient,
  headers: Record<string, string>,
  urlOf: (model: string) => URL,
): (call: OperationCall<ImageRequest>) => Promise<ImageResult> {
  return async function image(call) {
    const { request } = call;
    if (request.mask)
      throw invalidRequest(
        `Gemini's image models take no mask: describe the change in the prompt (provider '${id}').`,
        'mask',
        'invalid_value',
      );
    const ratio = requestedAspectRatio(request, GEMINI_ASPECT_RATIOS, `Gemini (${request.model})`);
    for (const field of UNMAPPED_IMAGE_FIELDS)
      if (request[field] !== undefined)
        call.warnings.push(`'${field}' is not supported by provider '${id}' and was dropped`);
    const parts: Array<Record<string, unknown>> = request.images.map((file) => ({
      inlineData: { mimeType: file.contentType, data: base64Of(file) },
    }));
    parts.push({ text: request.prompt ?? '' });
    const body = JSON.stringify({
      contents: [{ role: 'user', parts }],
      generationConfig: {
        responseModalities: ['TEXT', 'IMAGE'],
        ...(ratio ? { imageConfig: { aspectRatio: ratio } } : {}),
      },
    });
    const url = urlOf(request.model);
    const once = async () => {
      const res = await http.request(id, url, headers, body, call.signal);
      if (res.status < 200 || res.status >= 300) throw await googleHttpError(id, res);
      return readAnswer(id, await readJsonBody(id, res, call.signal));
    };
    const answers = await Promise.all(Array.from({ length: request.n ?? 1 }, once));
    const result: ImageResult = { images: answers.flatMap((answer) => answer.images) };
    const usage = answers.reduce<ImageUsage | undefined>((sum, a) => sumUsage(sum, a.usage), undefined);
    if (usage) result.usage = usage;
    return result;
  };
}
