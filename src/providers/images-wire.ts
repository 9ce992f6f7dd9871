// Lenient reading of OpenAI's ImagesResponse (`{created, data: [{b64_json | url, revised_prompt}], usage,
// size, quality, background, output_format}`), which OpenAI, Azure, xAI and OpenAI-compatible servers
// answer. An answer without a usable image is an invalid upstream response (another deployment may do
// better).
import type { GeneratedImage, ImageResult, ImageUsage } from '../core/images.js';
import { isObject } from '../core/is-object.js';
import { countOf } from './retrieval-wire.js';
import { invalidUpstreamResponse } from './upstream-error.js';

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** OpenAI's image usage, when it has the three counts; the details as given. */
function usageOf(value: unknown): ImageUsage | undefined {
  if (!isObject(value)) return undefined;
  const input = countOf(value.input_tokens);
  const output = countOf(value.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const usage: ImageUsage = {
    ...value,
    input_tokens: input,
    output_tokens: output,
    total_tokens: countOf(value.total_tokens) ?? input + output,
  };
  if (isObject(value.input_tokens_details)) usage.input_tokens_details = { ...value.input_tokens_details };
  return usage;
}

export function readOpenAIImages(provider: string, answer: unknown): ImageResult {
  const fields = isObject(answer) ? answer : {};
  if (!Array.isArray(fields.data) || fields.data.length === 0)
    throw invalidUpstreamResponse(provider, 'the answer has no images');
  const images: GeneratedImage[] = [];
  for (const item of fields.data) {
    const entry = isObject(item) ? item : {};
    const b64 = text(entry.b64_json);
    const url = text(entry.url);
    if (!b64 && !url) throw invalidUpstreamResponse(provider, 'an image has neither b64_json nor url');
    const revised = text(entry.revised_prompt);
    const mime = text(entry.mime_type);
    images.push({
      ...(b64 ? { b64_json: b64 } : { url: url! }),
      ...(revised ? { revised_prompt: revised } : {}),
      ...(mime ? { mimeType: mime } : {}),
    });
  }
  const result: ImageResult = { images };
  const created = countOf(fields.created);
  if (created !== undefined) result.created = created;
  const usage = usageOf(fields.usage);
  if (usage) result.usage = usage;
  for (const name of ['size', 'quality', 'background', 'output_format'] as const) {
    const value = text(fields[name]);
    if (value) result[name] = value;
  }
  return result;
}
