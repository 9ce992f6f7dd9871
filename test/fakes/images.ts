// A fake images upstream: a real node:http server on 127.0.0.1 (port 0) that speaks one vendor's images wire
// format, records every request (raw bytes, JSON, or the multipart form with each file's bytes) and can be
// told to fail. Dialects:
// - `openai`: `POST /v1/images/generations` (JSON), `/v1/images/edits` and `/v1/images/variations`
//   (multipart/form-data), `Authorization: Bearer`. As OpenAI does: GPT image models (`gpt-image-*`) answer
//   base64 only, refuse `response_format` (400 unknown_parameter) and report `usage` (input_tokens with
//   text_tokens and image_tokens details, output_tokens, total_tokens) and the `size`, `quality`,
//   `background` and `output_format` they used; DALL·E answers a URL by default (`b64_json` when asked),
//   DALL·E 3 with a `revised_prompt`; variations are DALL·E 2's only; edits need `image` (or `image[]`) and
//   a prompt.
// - `azure`: the same at `/openai/deployments/{deployment}/images/{operation}?api-version=`, `api-key`.
// - `xai`: generations only; refuses `size`, `quality` and `style` ("Argument not supported").
// - `google`: Imagen's `POST /v1beta/models/{model}:predict` with `x-goog-api-key`, `{instances:[{prompt}],
//   parameters:{sampleCount, aspectRatio}}` → `{predictions:[{mimeType, bytesBase64Encoded}]}`.
//
// The fake's token counts: a prompt's text tokens are its space-separated words; each input image is 65
// image tokens; each output image costs 272, 1056 or 4160 tokens at low, medium or high quality (OpenAI's
// 1024x1024 counts). Images are tiny valid PNGs (1×1, a different colour per image).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';

export type ImagesDialect = 'openai' | 'azure' | 'xai' | 'google';

export interface FormFilePart {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface RecordedImagesRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  /** JSON bodies parsed; multipart bodies as their fields (text) and files. */
  body: unknown;
  form?: { fields: Record<string, string>; files: FormFilePart[] };
}

export type ImagesFault = { kind: 'status'; status: number; body?: unknown } | { kind: 'reset' };

export interface FakeImages {
  url: string;
  requests: RecordedImagesRequest[];
  faults: ImagesFault[];
  /** The base URL DALL·E's image URLs are made on (the fake serves nothing there). */
  readonly imageHost: string;
  close(): Promise<void>;
}

// ---- Tiny valid PNGs ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 1×1 RGB PNG of the given colour. */
export function tinyPng(red: number, green = 0, blue = 0): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, red, green, blue]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The fake's n-th image of a request. */
export const fakeImage = (index: number) => tinyPng(10 + index * 40, 100, 200);

// ---- Multipart (RFC 7578), read by hand: the fake must not share the gateway's parser ----

function parseForm(raw: Buffer, contentType: string): RecordedImagesRequest['form'] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const fields: Record<string, string> = {};
  const files: FormFilePart[] = [];
  let at = raw.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === '--') break;
    const next = raw.indexOf(delimiter, start);
    if (next === -1) return undefined;
    const part = raw.subarray(start + 2, next - 2); // after CRLF, before CRLF
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? 'text/plain';
    if (filename === undefined) fields[name] = content.toString('utf8');
    else files.push({ field: name, filename, contentType: type, bytes: Buffer.from(content) });
    at = next;
  }
  return { fields, files };
}

// ---- Answers ----

const OUTPUT_TOKENS: Record<string, number> = { low: 272, medium: 1056, high: 4160 };
const words = (text: unknown) => (typeof text === 'string' ? text.split(' ').filter(Boolean).length : 0);

function openaiError(
  res: ServerResponse,
  status: number,
  message: string,
  param: string | null,
  code: string | null,
): undefined {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param, code } }));
  return undefined;
}

function json(res: ServerResponse, body: unknown): undefined {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return undefined;
}

/** OpenAI's (and Azure's, xAI's) images answer for `operation` with these fields and input images. */
function openaiAnswer(
  res: ServerResponse,
  dialect: ImagesDialect,
  operation: string,
  fields: Record<string, unknown>,
  inputImages: number,
  imageHost: string,
): undefined {
  const model = String(fields.model ?? (operation === 'generations' ? 'dall-e-2' : 'gpt-image-1'));
  const gptImage = /^gpt-image/.test(model);
  const n = fields.n === undefined ? 1 : Number(fields.n);
  if (dialect === 'xai') {
    for (const field of ['size', 'quality', 'style'])
      if (fields[field] !== undefined)
        return openaiError(res, 400, `Argument not supported: ${field}`, field, null);
  }
  if (gptImage && fields.response_format !== undefined)
    return openaiError(
      res,
      400,
      "Unknown parameter: 'response_format'.",
      'response_format',
      'unknown_parameter',
    );
  if (operation !== 'variations' && (typeof fields.prompt !== 'string' || fields.prompt === ''))
    return openaiError(
      res,
      400,
      "Missing required parameter: 'prompt'.",
      'prompt',
      'missing_required_parameter',
    );
  const b64 = gptImage || fields.response_format === 'b64_json';
  const data = Array.from({ length: n }, (_, i) => ({
    ...(b64
      ? { b64_json: fakeImage(i).toString('base64') }
      : { url: `${imageHost}/img-${i}.png?se=2099-01-01&sig=fake` }),
    ...(model === 'dall-e-3' ? { revised_prompt: `A revised ${String(fields.prompt)}` } : {}),
  }));
  const answer: Record<string, unknown> = { created: 1_713_833_628, data };
  if (gptImage) {
    const quality =
      fields.quality === undefined || fields.quality === 'auto' ? 'medium' : String(fields.quality);
    const text = words(fields.prompt);
    const image = inputImages * 65;
    const output = n * (OUTPUT_TOKENS[quality] ?? 1056);
    Object.assign(answer, {
      background: fields.background === 'transparent' ? 'transparent' : 'opaque',
      output_format: fields.output_format ?? 'png',
      size: fields.size === undefined || fields.size === 'auto' ? '1024x1024' : fields.size,
      quality,
      usage: {
        input_tokens: text + image,
        input_tokens_details: { text_tokens: text, image_tokens: image },
        output_tokens: output,
        total_tokens: text + image + output,
      },
    });
  }
  json(res, answer);
  return undefined;
}

export async function startFakeImages(dialect: ImagesDialect): Promise<FakeImages> {
  const requests: RecordedImagesRequest[] = [];
  const faults: ImagesFault[] = [];
  let imageHost = 'http://127.0.0.1:1';

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const raw = Buffer.concat(parts);
    const url = new URL(req.url ?? '/', 'http://fake');
    const contentType = String(req.headers['content-type'] ?? '');
    const form = contentType.startsWith('multipart/form-data') ? parseForm(raw, contentType) : undefined;
    let body: unknown = form?.fields;
    if (!form) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    }
    requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      headers: req.headers,
      raw,
      body,
      ...(form ? { form } : {}),
    });
    const fault = faults.shift();
    if (fault?.kind === 'reset') return void res.destroy();
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify(fault.body ?? { error: { message: 'fault', type: 'server_error' } }),
      );
    }

    if (dialect === 'google') {
      const match = /^\/v1beta\/models\/([^/:]+):predict$/.exec(url.pathname);
      if (!match || req.method !== 'POST') return void res.writeHead(404).end();
      if (req.headers['x-goog-api-key'] !== 'up') {
        res.writeHead(400, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({ error: { code: 400, message: 'API key not valid.', status: 'INVALID_ARGUMENT' } }),
        );
      }
      const request = body as {
        instances?: Array<{ prompt?: string }>;
        parameters?: { sampleCount?: number };
      };
      const count = request.parameters?.sampleCount ?? 4;
      if (typeof request.instances?.[0]?.prompt !== 'string') {
        res.writeHead(400, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({ error: { code: 400, message: 'prompt', status: 'INVALID_ARGUMENT' } }),
        );
      }
      return json(res, {
        predictions: Array.from({ length: count }, (_, i) => ({
          mimeType: 'image/png',
          bytesBase64Encoded: fakeImage(i).toString('base64'),
        })),
      });
    }

    const route =
      dialect === 'azure'
        ? /^\/openai\/deployments\/([^/]+)\/images\/(generations|edits)$/.exec(url.pathname)
        : /^\/v1\/images\/(generations|edits|variations)$/.exec(url.pathname);
    if (!route || req.method !== 'POST' || (dialect === 'xai' && route[1] !== 'generations'))
      return void res.writeHead(404).end();
    const authorized =
      dialect === 'azure' ? req.headers['api-key'] === 'up' : req.headers.authorization === 'Bearer up';
    if (!authorized) return openaiError(res, 401, 'Incorrect API key provided.', null, 'invalid_api_key');
    if (dialect === 'azure' && !url.searchParams.get('api-version'))
      return openaiError(res, 404, 'Resource not found', null, '404');
    const operation = dialect === 'azure' ? route[2]! : route[1]!;
    const fields: Record<string, unknown> =
      dialect === 'azure' && form ? { ...form.fields } : { ...(body as Record<string, unknown>) };
    if (dialect === 'azure') fields.model ??= decodeURIComponent(route[1]!);
    if (operation === 'generations') {
      if (form) return openaiError(res, 400, 'Expected a JSON body.', null, null);
      return openaiAnswer(res, dialect, operation, fields, 0, imageHost);
    }
    if (!form) return openaiError(res, 400, 'Expected multipart/form-data.', null, null);
    const images = form.files.filter((f) => f.field === 'image' || f.field === 'image[]');
    if (images.length === 0)
      return openaiError(
        res,
        400,
        "Missing required parameter: 'image'.",
        'image',
        'missing_required_parameter',
      );
    if (operation === 'variations' && fields.model !== undefined && fields.model !== 'dall-e-2')
      return openaiError(res, 400, 'Invalid model. Only dall-e-2 supports variations.', 'model', null);
    return openaiAnswer(res, dialect, operation, fields, images.length, imageHost);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  imageHost = `${url}/dalle-images`;
  return {
    url,
    requests,
    faults,
    get imageHost() {
      return imageHost;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
