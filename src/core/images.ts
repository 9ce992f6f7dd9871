// Canonical shapes of the images operation (OpenAI's Images API: generations, edits, variations): what the
// gateway asks a provider and what it gets back. The request is OpenAI's, already validated, with the
// uploaded files as bytes; the result is the least every vendor gives (each image as base64 or a URL, and
// the token usage GPT image models report), so each provider folder only translates. A provider offers
// images by having `image` and saying which of the three operations it serves.
import type { OperationCall } from './embeddings.js';
import type { Provider } from './types.js';

export const IMAGE_OPERATIONS = ['generations', 'edits', 'variations'] as const;
export type ImageOperation = (typeof IMAGE_OPERATIONS)[number];

/**
 * An uploaded file, held as the chunks it arrived in (the upload limits bound it): sent upstream from
 * them, never joined into one copy where the wire takes a stream (multipart); joined only where the
 * vendor wants the bytes inside JSON (base64).
 */
export interface UploadedFile {
  /** The multipart field it came in (`image`, `image[]`, `mask`, ...). */
  field: string;
  filename: string;
  contentType: string;
  chunks: Buffer[];
  size: number;
}

/**
 * The first `count` bytes of an upload (fewer when it is shorter), copying no more than those. The first
 * chunk can be a few bytes (where a socket read ended just after the part's headers); joining every chunk
 * then would copy the whole upload to read its head.
 */
export function headOf(file: Pick<UploadedFile, 'chunks'>, count: number): Buffer {
  const first = file.chunks[0];
  if (first && first.length >= count) return first.subarray(0, count);
  const head: Buffer[] = [];
  let length = 0;
  for (const chunk of file.chunks) {
    if (length >= count) break;
    const part = chunk.subarray(0, count - length);
    head.push(part);
    length += part.length;
  }
  return Buffer.concat(head, length);
}

/** An upload's bytes in base64 (for vendors that take images inside JSON). */
export const base64Of = (file: UploadedFile): string =>
  Buffer.concat(file.chunks, file.size).toString('base64');

/** A validated images request; fields the gateway does not read travel in the signature. */
export interface ImageRequest {
  operation: ImageOperation;
  model: string;
  prompt?: string;
  n?: number;
  size?: string;
  quality?: string;
  style?: string;
  background?: string;
  output_format?: string;
  output_compression?: number;
  response_format?: 'url' | 'b64_json';
  user?: string;
  /** Edits: one or several; variations: exactly one. */
  images: UploadedFile[];
  mask?: UploadedFile;
  [field: string]: unknown;
}

/** One image as the upstream gave it: its bytes in base64, or a URL of the vendor's. */
export interface GeneratedImage {
  b64_json?: string;
  url?: string;
  revised_prompt?: string;
  /** The image's media type when the upstream said (Imagen's `mimeType`). */
  mimeType?: string;
}

/** OpenAI's `usage` of the GPT image models. */
export interface ImageUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details?: { text_tokens?: number; image_tokens?: number; [field: string]: unknown };
  /** Which output tokens were image and which text (Gemini's image models report both). */
  output_tokens_details?: { text_tokens?: number; image_tokens?: number; [field: string]: unknown };
  [field: string]: unknown;
}

export interface ImageResult {
  images: GeneratedImage[];
  /** Unix seconds, when the upstream said. */
  created?: number;
  usage?: ImageUsage;
  /** What the GPT image models report they used (`auto` resolved). */
  size?: string;
  quality?: string;
  background?: string;
  output_format?: string;
}

export interface Imager {
  image(call: OperationCall<ImageRequest>): Promise<ImageResult>;
  /** Which of the three operations the provider serves. */
  readonly imageOperations: ReadonlySet<ImageOperation>;
}

export const canImage = (provider: Provider): provider is Provider & Imager =>
  typeof (provider as Partial<Imager>).image === 'function';

/** The media type of an output format (`png`, `jpeg`, `webp`). */
export const IMAGE_MEDIA_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/** The media type of an image's bytes, from its signature; undefined when it is none of PNG, JPEG, WebP. */
export function sniffImage(bytes: Uint8Array): string | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 12 &&
    Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF' &&
    Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  return undefined;
}
