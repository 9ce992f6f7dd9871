// OpenAI's Images API: POST /v1/images/generations (JSON), /v1/images/edits and /v1/images/variations
// (multipart uploads, read by server/multipart.ts, registered for these two routes only): doors of the
// retrieval pipeline. And GET /v1/files/images/<name>?expires=&sig=: the images the gateway keeps for
// `response_format: url`, served without an API key to whoever holds the signed URL, until it expires.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { openAIErrorBody } from '../core/error-renderers.js';
import { notFound } from '../core/errors.js';
import type { ImageOperation, ImageResult } from '../core/images.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { DoorRequest } from '../pipeline/front-door.js';
import type { ImageStore } from '../pipeline/image-store.js';
import { mediaTypeOf } from '../pipeline/image-store.js';
import { type ImagesCall, imageStages } from '../pipeline/images.js';
import { type MultipartLimits, readMultipart, registerMultipart } from './multipart.js';
import { mountOperationDoor } from './retrieval.js';
import { imageUpload, validateImageGeneration, validateImageUpload } from './validate-images.js';

export interface ImageRoutesOptions {
  store: ImageStore;
  limits: MultipartLimits;
  /** The public base URL for image URLs; else the request's own scheme and Host. */
  publicUrl: string | undefined;
  /** Milliseconds since the epoch (the answers' `created`). */
  now?: () => number;
}

/** What the images doors' `parse` reads: the body as read, and the origin its URLs point at. */
interface ImagesBody {
  payload: unknown;
  origin: string;
}

function mountImagesDoor(
  app: FastifyInstance,
  operation: ImageOperation,
  deps: PipelineDeps,
  options: ImageRoutesOptions,
  read: (request: FastifyRequest) => Promise<unknown>,
): void {
  const originOf = (request: FastifyRequest) => options.publicUrl ?? `${request.protocol}://${request.host}`;
  mountOperationDoor<ImagesCall, ImageResult>(
    app,
    `/v1/images/${operation}`,
    {
      ...imageStages(operation, options.store, options.now),
      name: 'images',
      parse: (input: DoorRequest) => {
        const { payload, origin } = input.body as ImagesBody;
        const image =
          operation === 'generations'
            ? validateImageGeneration(payload)
            : validateImageUpload(operation, payload as Parameters<typeof validateImageUpload>[1]);
        return { model: image.model, image, origin };
      },
      errorBody: openAIErrorBody,
    },
    deps,
    async (request) => ({ payload: await read(request), origin: originOf(request) }) satisfies ImagesBody,
  );
}

/** The three doors, in the authenticated scope. */
export async function registerImageRoutes(
  app: FastifyInstance,
  deps: PipelineDeps,
  options: ImageRoutesOptions,
): Promise<void> {
  mountImagesDoor(app, 'generations', deps, options, async (request) => request.body);
  await app.register(async (uploads) => {
    await registerMultipart(uploads, options.limits);
    const read = async (request: FastifyRequest) => imageUpload(await readMultipart(request, options.limits));
    mountImagesDoor(uploads, 'edits', deps, options, read);
    mountImagesDoor(uploads, 'variations', deps, options, read);
  });
}

/** GET /v1/files/images/<name>: public (the signature is the credential). */
export function registerImageFileRoute(app: FastifyInstance, store: ImageStore): void {
  app.get<{ Params: { name: string }; Querystring: Record<string, string | string[] | undefined> }>(
    '/v1/files/images/:name',
    async (request, reply) => {
      const { name } = request.params;
      const { expires, sig } = request.query;
      const check = store.check(name, expires, sig);
      if (!check.ok)
        throw notFound(
          check.why === 'expired'
            ? 'This image URL has expired: images are kept only for a limited time.'
            : 'No such image.',
        );
      const bytes = await store.read(name);
      if (!bytes) throw notFound('This image URL has expired: images are kept only for a limited time.');
      return reply
        .type(mediaTypeOf(name) ?? 'application/octet-stream')
        .header('cache-control', 'private, max-age=60')
        .send(bytes);
    },
  );
}
