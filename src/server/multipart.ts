// Reads a multipart/form-data request (uploads: image edits and variations) into its text fields and its
// files, each file's bytes with its field name, filename and content type, under the configured limits
// (bytes per file, files per request). Files are held in memory only (bounded by those limits): nothing is
// written to disk. @fastify/multipart is registered only in the scope of the routes that take uploads.
import { createHash } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, gatewayError, invalidRequest } from '../core/errors.js';
import type { UploadedFile } from '../core/images.js';

export interface UploadLimits {
  /** Largest file, bytes. */
  maxFileBytes: number;
  /** Most files in one request. */
  maxFiles: number;
}

export interface MultipartBody {
  /** Text fields; a repeated field keeps every value in order. */
  fields: Record<string, string | string[]>;
  files: UploadedFile[];
}

/** Text fields are short (a prompt is the longest: 32,000 characters); more is not a form we serve. */
const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_FIELDS = 100;

/** Lets the routes registered in `scope` (and only those) take multipart bodies. */
export async function acceptMultipart(scope: FastifyInstance, limits: UploadLimits): Promise<void> {
  await scope.register(multipart, {
    limits: {
      fileSize: limits.maxFileBytes,
      files: limits.maxFiles,
      fields: MAX_FIELDS,
      fieldSize: MAX_FIELD_BYTES,
      parts: limits.maxFiles + MAX_FIELDS,
    },
    throwFileSizeLimit: true,
  });
}

const mib = (bytes: number) => `${Math.round((bytes / 1048576) * 100) / 100} MiB`;

/** @fastify/multipart's and busboy's failures as the gateway's errors: 413 for a limit, 400 otherwise. */
function uploadError(error: unknown, limits: UploadLimits): GatewayError {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return gatewayError('request_too_large', {
        message: `An uploaded file is larger than the limit of ${mib(limits.maxFileBytes)}.`,
      });
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return gatewayError('request_too_large', {
        message: `Too many files: at most ${limits.maxFiles} per request.`,
      });
    case 'FST_FIELDS_LIMIT':
      return gatewayError('request_too_large', { message: `Too many form fields: at most ${MAX_FIELDS}.` });
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return invalidRequest(
        'This endpoint takes multipart/form-data (the request has another content type).',
        null,
        'invalid_value',
      );
    default:
      // busboy's own ("Unexpected end of form", "Malformed part header", a missing boundary, ...).
      return invalidRequest(
        'The multipart/form-data body is malformed and could not be read.',
        null,
        'invalid_value',
      );
  }
}

/** The request's fields and files; a refusal is a GatewayError (413 for a limit, 400 for a malformed body). */
export async function readMultipart(request: FastifyRequest, limits: UploadLimits): Promise<MultipartBody> {
  if (!request.isMultipart())
    throw invalidRequest(
      'This endpoint takes multipart/form-data (the request has another content type).',
      null,
      'invalid_value',
    );
  const fields: Record<string, string | string[]> = {};
  const files: UploadedFile[] = [];
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        files.push({
          field: part.fieldname,
          filename: part.filename,
          contentType: part.mimetype,
          bytes,
        });
        continue;
      }
      if (part.valueTruncated)
        throw invalidRequest(
          `The form field '${part.fieldname.slice(0, 64)}' is too long.`,
          null,
          'invalid_value',
        );
      const value = String(part.value);
      const before = fields[part.fieldname];
      fields[part.fieldname] =
        before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw uploadError(error, limits);
  }
  const body: MultipartBody = { fields, files };
  // As JSON (the idempotency fingerprint) a file is its bytes' digest, not megabytes of numbers.
  Object.defineProperty(body, 'toJSON', {
    value: () => ({
      fields,
      files: files.map(({ bytes, ...file }) => ({
        ...file,
        sha256: createHash('sha256').update(bytes).digest('base64url'),
      })),
    }),
  });
  return body;
}
