// The bodies of POST /v1/images/generations (JSON, OpenAI's CreateImageRequest) and /v1/images/edits and
// /variations (multipart, CreateImageEditRequest and CreateImageVariationRequest), checked by hand into one
// ImageRequest. Form fields arrive as text: numbers are read from it. Uploaded images are recognised by
// their bytes (PNG, JPEG, WebP), whatever type the client declared. A refusal is a 400 naming the field.
// Fields the gateway does not read (`moderation`, `input_fidelity`, ...) are left for the provider.
import { invalidRequest } from '../core/errors.js';
import {
  headOf,
  type ImageOperation,
  type ImageRequest,
  sniffImage,
  type UploadedFile,
} from '../core/images.js';
import { isObject } from '../core/is-object.js';
import { fieldsByName, type MultipartBody } from './multipart.js';

/** OpenAI's limits: 1–10 images a request, up to 16 images to edit. */
export const MAX_IMAGES_PER_REQUEST = 10;
export const MAX_IMAGES_TO_EDIT = 16;

const missing = (param: string) =>
  invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');

const wrongType = (param: string, expected: string) =>
  invalidRequest(`Invalid type for '${param}': expected ${expected}.`, param, 'invalid_type');

const STRING_FIELDS = ['prompt', 'size', 'quality', 'style', 'background', 'output_format', 'user'] as const;

/** An integer from JSON or from a form field's text. */
function integerOf(param: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && /^-?\d{1,6}$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw wrongType(param, 'an integer');
  if (number < min || number > max)
    throw invalidRequest(
      `Invalid value for '${param}': expected an integer from ${min} to ${max}, got ${number}.`,
      param,
      number < min ? 'integer_below_min_value' : 'integer_above_max_value',
    );
  return number;
}

/** The fields every operation shares, read from a JSON body or a form's fields. */
function readFields(operation: ImageOperation, fields: Record<string, unknown>): ImageRequest {
  const request: ImageRequest = { ...fields, operation, model: '', images: [] };
  const { model } = fields;
  if (model === undefined || model === null || model === '') throw missing('model');
  if (typeof model !== 'string') throw wrongType('model', 'a string');
  request.model = model;
  for (const field of STRING_FIELDS) {
    const value = fields[field];
    if (value === undefined || value === null) {
      delete request[field];
      continue;
    }
    if (typeof value !== 'string') throw wrongType(field, 'a string');
  }
  if (operation !== 'variations' && (typeof request.prompt !== 'string' || request.prompt === ''))
    throw missing('prompt');
  if (fields.n !== undefined && fields.n !== null)
    request.n = integerOf('n', fields.n, 1, MAX_IMAGES_PER_REQUEST);
  else delete request.n;
  if (fields.output_compression !== undefined && fields.output_compression !== null)
    request.output_compression = integerOf('output_compression', fields.output_compression, 0, 100);
  else delete request.output_compression;
  const format = fields.response_format;
  if (format === undefined || format === null) delete request.response_format;
  else if (format !== 'url' && format !== 'b64_json')
    throw invalidRequest(
      "Invalid value for 'response_format': expected 'url' or 'b64_json'.",
      'response_format',
      'invalid_value',
    );
  const stream = fields.stream;
  if (stream === true || stream === 'true')
    throw invalidRequest(
      'Streamed image generation is not supported by tokgate; leave `stream` unset.',
      'stream',
      'invalid_value',
    );
  delete request.stream;
  return request;
}

export function validateImageGeneration(body: unknown): ImageRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.', null, 'invalid_type');
  for (const field of ['image', 'mask'])
    if (body[field] !== undefined)
      throw invalidRequest(
        `'${field}' is not a parameter of /v1/images/generations: send images to /v1/images/edits.`,
        field,
        'invalid_value',
      );
  return readFields('generations', body);
}

/** An uploaded image, its type read from its bytes. */
function imageFile(param: string, file: UploadedFile): UploadedFile {
  const type = sniffImage(headOf(file, 12));
  if (!type)
    throw invalidRequest(
      `Invalid file for '${param}': it must be a PNG, JPEG or WebP image.`,
      param,
      'unsupported_image_type',
    );
  return { ...file, contentType: type, filename: file.filename || `image.${type.slice(6)}` };
}

/** An upload as the images doors read it: fields by name, each file as the chunks it arrived in. */
export interface ImageUpload {
  fields: Record<string, string | string[]>;
  files: UploadedFile[];
}

export function imageUpload(body: MultipartBody): ImageUpload {
  const upload: ImageUpload = { fields: fieldsByName(body), files: body.files };
  // The fingerprint of an Idempotency-Key: the multipart body's own (file digests, not bytes).
  Object.defineProperty(upload, 'toJSON', { value: () => body });
  return upload;
}

/** Edits (`image` or `image[]`, one or several, and an optional `mask`) and variations (one `image`). */
export function validateImageUpload(operation: 'edits' | 'variations', body: ImageUpload): ImageRequest {
  for (const name of ['image', 'image[]', 'mask'])
    if (body.fields[name] !== undefined) throw wrongType(name === 'mask' ? 'mask' : 'image', 'a file');
  const request = readFields(operation, body.fields);
  const images: UploadedFile[] = [];
  let mask: UploadedFile | undefined;
  for (const file of body.files) {
    if (file.field === 'image' || file.field === 'image[]') images.push(imageFile('image', file));
    else if (file.field === 'mask' && operation === 'edits') {
      if (mask) throw invalidRequest("Only one 'mask' may be sent.", 'mask', 'invalid_value');
      mask = imageFile('mask', file);
    } else
      throw invalidRequest(
        `Unexpected file field '${file.field.slice(0, 64)}': /v1/images/${operation} takes 'image'${operation === 'edits' ? " and 'mask'" : ''}.`,
        file.field.slice(0, 64),
        'invalid_value',
      );
  }
  if (images.length === 0) throw missing('image');
  const most = operation === 'edits' ? MAX_IMAGES_TO_EDIT : 1;
  if (images.length > most)
    throw invalidRequest(
      `Invalid 'image': at most ${most} image${most === 1 ? '' : 's'} for /v1/images/${operation}.`,
      'image',
      'array_above_max_length',
    );
  request.images = images;
  if (mask) request.mask = mask;
  return request;
}
