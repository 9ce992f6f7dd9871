// OpenAI's Images API for the OpenAI family: `POST {base}/images/generations` (JSON) and
// `/images/edits`, `/images/variations` (multipart/form-data, the uploaded files passed on byte for byte,
// under the field names the client used: `image`, `image[]`, `mask`). Which operations a vendor serves and
// which fields it rejects is data (`images` in src/config/vendors.ts).
import type { ProviderSettings } from '../../config/config.js';
import type { OperationCall } from '../../core/embeddings.js';
import { invalidRequest } from '../../core/errors.js';
import type { ImageOperation, ImageRequest, ImageResult, Imager } from '../../core/images.js';
import { type HttpClient, readJsonBody, type UpstreamBody } from '../http.js';
import { readOpenAIImages } from '../images-wire.js';
import { multipartBody } from '../multipart-body.js';
import { openaiHttpError } from './openai-error.js';

export interface ImagesWire {
  /** The URL of an operation for an upstream model (Azure: per deployment). */
  url?: (operation: ImageOperation, model: string) => URL;
  /** Auth and configured headers (no content type: it depends on the operation). */
  headers: Record<string, string>;
  /** Overrides the vendor's operations (Azure serves no variations). */
  operations?: readonly ImageOperation[];
}

const GPT_IMAGE = /^(gpt-image|chatgpt-image)/;

/** The request's own fields that go upstream (not the gateway's: the operation, the files). */
function wireFields(
  id: string,
  request: ImageRequest,
  drop: readonly string[],
  warnings: string[],
): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || field === 'operation' || field === 'images' || field === 'mask') continue;
    // The GPT image models always answer base64 and refuse the field: a URL is the gateway's to make.
    if (field === 'response_format' && GPT_IMAGE.test(request.model)) continue;
    if (drop.includes(field)) {
      warnings.push(`'${field}' is not supported by provider '${id}' and was dropped`);
      continue;
    }
    out.push([field, value]);
  }
  return out;
}

/** A form field's text: numbers and booleans as the SDKs write them, anything else as JSON. */
const formValue = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

export function openaiImages(
  settings: ProviderSettings,
  http: HttpClient,
  wire: ImagesWire,
): Imager | undefined {
  const quirks = settings.quirks.images;
  const operations = new Set(wire.operations ?? quirks?.operations ?? []);
  if (operations.size === 0) return undefined;
  const { id } = settings;
  const drop = quirks?.drop ?? [];
  const urlFor =
    wire.url ?? ((operation: ImageOperation) => new URL(`${settings.baseUrl}/images/${operation}`));

  async function image(call: OperationCall<ImageRequest>): Promise<ImageResult> {
    const { request } = call;
    if (!operations.has(request.operation))
      throw invalidRequest(
        `Provider '${id}' does not serve /v1/images/${request.operation}.`,
        'model',
        'invalid_value',
      );
    const fields = wireFields(id, request, drop, call.warnings);
    let headers: Record<string, string>;
    let body: UpstreamBody;
    if (request.operation === 'generations') {
      headers = { ...wire.headers, 'content-type': 'application/json', accept: 'application/json' };
      body = JSON.stringify(Object.fromEntries(fields));
    } else {
      const files = request.mask ? [...request.images, request.mask] : request.images;
      const form = multipartBody(
        fields.map(([name, value]) => [name, formValue(value)] as const),
        files,
      );
      headers = {
        ...wire.headers,
        'content-type': form.contentType,
        'content-length': String(form.length),
        accept: 'application/json',
      };
      body = form.body;
    }
    const res = await http.request(id, urlFor(request.operation, request.model), headers, body, call.signal);
    if (res.status < 200 || res.status >= 300) throw await openaiHttpError(id, res);
    return readOpenAIImages(id, await readJsonBody(id, res, call.signal));
  }

  return { image, imageOperations: operations };
}
