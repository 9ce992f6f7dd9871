// A multipart/form-data body (RFC 7578) for upstreams that take uploads as forms (OpenAI's image edits and
// variations): text fields, then files with their names and media types, the bytes as they were uploaded.
// The body is its parts in order, sent without being joined into one buffer (no copy of the files: their
// chunks as they were uploaded).
import { randomBytes } from 'node:crypto';

export interface FormFile {
  field: string;
  filename: string;
  contentType: string;
  chunks: readonly Buffer[];
}

/** A quoted header parameter: quotes, backslashes and line breaks cannot break out of it. */
const quoted = (value: string) => `"${value.replace(/["\\\r\n]/g, (c) => encodeURIComponent(c))}"`;

export function multipartBody(
  fields: ReadonlyArray<readonly [string, string]>,
  files: readonly FormFile[],
): { contentType: string; length: number; body: Buffer[] } {
  const boundary = `----tokgate${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`,
      ),
    );
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(file.field)}; filename=${quoted(file.filename)}\r\n` +
          `Content-Type: ${file.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`,
      ),
      ...file.chunks,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  // The parts as they are (the files' own bytes, not a copy of them all): sent one after the other.
  let length = 0;
  for (const part of parts) length += part.length;
  return { contentType: `multipart/form-data; boundary=${boundary}`, length, body: parts };
}
