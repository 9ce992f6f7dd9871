// multipart/form-data bodies (the upload doors: audio transcriptions and translations, image edits and
// variations), read with
// @fastify/multipart, registered only in the scope of the routes that take them (every other route reads
// JSON whatever the content type). Files are held in memory as the chunks they arrived in, bounded by the
// configured limits (per file, files per request), never written to disk and never joined into one copy.
// Every failure is the API's own error: 413 for an upload over a limit, 400 for a body that is not
// well-formed multipart.
import { createHash } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, gatewayError, invalidRequest } from '../core/errors.js';
import type { UploadedFile } from '../core/images.js';

export type { UploadedFile };

export interface MultipartLimits {
  /** Bytes one file may hold (`TOKGATE_MAX_UPLOAD_BYTES`). */
  maxFileBytes: number;
  /** Files one request may hold (`TOKGATE_MAX_UPLOAD_FILES`). */
  maxFiles: number;
}

/** Form fields other than files: at most this many, each at most this long. */
const MAX_FIELDS = 100;
const MAX_FIELD_BYTES = 1024 * 1024;

export interface MultipartBody {
  /** Text fields in the order they came (a name may repeat: `timestamp_granularities[]`). */
  fields: Array<[string, string]>;
  files: UploadedFile[];
}

/** Registers the parser in `scope` (and only there) with the configured limits. */
export async function registerMultipart(scope: FastifyInstance, limits: MultipartLimits): Promise<void> {
  await scope.register(fastifyMultipart, {
    limits: {
      fileSize: limits.maxFileBytes,
      files: limits.maxFiles,
      fields: MAX_FIELDS,
      fieldSize: MAX_FIELD_BYTES,
      parts: MAX_FIELDS + limits.maxFiles,
    },
  });
}

function tooLarge(message: string): GatewayError {
  return gatewayError('request_too_large', { message });
}

/** A parser failure as the API's error. */
function multipartError(error: unknown, limits: MultipartLimits): GatewayError {
  const code = (error as { code?: unknown })?.code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(`An uploaded file is larger than the limit of ${limits.maxFileBytes} bytes.`);
    case 'FST_FILES_LIMIT':
      return tooLarge(`The request holds more than ${limits.maxFiles} files.`);
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return tooLarge(`The request holds more than ${MAX_FIELDS} form fields.`);
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return invalidRequest(
        'This endpoint takes a multipart/form-data body (Content-Type: multipart/form-data; boundary=...).',
      );
    default:
      return invalidRequest('The multipart/form-data body could not be read: it is malformed or incomplete.');
  }
}

/**
 * Reads the whole body: every field, every file's bytes. A text field over its limit is refused (busboy
 * would cut it silently).
 */
export async function readMultipart(
  request: FastifyRequest,
  limits: MultipartLimits,
): Promise<MultipartBody> {
  const body: MultipartBody = { fields: [], files: [] };
  try {
    if (!request.isMultipart()) throw multipartError({ code: 'FST_INVALID_MULTIPART_CONTENT_TYPE' }, limits);
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.valueTruncated)
          throw tooLarge(`The form field '${part.fieldname}' is longer than ${MAX_FIELD_BYTES} bytes.`);
        body.fields.push([part.fieldname, typeof part.value === 'string' ? part.value : String(part.value)]);
        continue;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
      }
      body.files.push({
        field: part.fieldname,
        filename: part.filename,
        contentType: part.mimetype,
        chunks,
        size,
      });
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw multipartError(error, limits);
  }
  // As JSON (an Idempotency-Key's fingerprint) a file is its bytes' digest, not megabytes of numbers.
  Object.defineProperty(body, 'toJSON', {
    value: () => ({ fields: body.fields, files: body.files.map(describeFile) }),
  });
  return body;
}

/** A file as the fingerprint of a request sees it: its name, type, size and the SHA-256 of its bytes. */
export function describeFile(file: {
  field: string;
  filename: string;
  contentType: string;
  chunks: Buffer[];
}) {
  const hash = createHash('sha256');
  for (const chunk of file.chunks) hash.update(chunk);
  return {
    field: file.field,
    filename: file.filename,
    contentType: file.contentType,
    sha256: hash.digest('base64url'),
  };
}

/** The text fields by name; a repeated name keeps every value in order. */
export function fieldsByName(body: MultipartBody): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of body.fields) {
    const before = out[name];
    out[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return out;
}
