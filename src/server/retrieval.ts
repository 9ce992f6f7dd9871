// POST /v1/embeddings (OpenAI's Embeddings API) and POST /v1/rerank (TokModel's, Cohere's shape): doors of
// the retrieval pipeline (src/pipeline/retrieval.ts). Their answers are whole JSON bodies; errors are in
// OpenAI's shape. `mountOperationDoor` mounts any door of that pipeline (the audio doors too: a body read
// another way than JSON, an answer of another content type, bytes relayed as they arrive).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { openAIErrorBody } from '../core/error-renderers.js';
import { isObject } from '../core/is-object.js';
import { rememberRawMembers } from '../core/raw-json.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { embeddingStages } from '../pipeline/embeddings.js';
import type { OperationRequest } from '../pipeline/exchange.js';
import type { DoorRequest } from '../pipeline/front-door.js';
import type { RequestReport } from '../pipeline/report.js';
import { rerankStages } from '../pipeline/rerank.js';
import { type RetrievalDoor, runRetrieval } from '../pipeline/retrieval.js';
import { ClientAbort } from '../router/timeouts.js';
import { sendAnswer } from './answer.js';
import { validateEmbeddingRequest, validateRerankRequest } from './validate-retrieval.js';

/** Reads a door's body another way than the app's JSON parser (a multipart upload). */
export type BodyReader = (request: FastifyRequest) => Promise<unknown>;

export function mountOperationDoor<R extends OperationRequest, T>(
  app: FastifyInstance,
  path: string,
  door: RetrievalDoor<R, T>,
  deps: PipelineDeps,
  readBody?: BodyReader,
): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const report = request.report!;
    return report.run(() => serve(request, reply, report));
  };
  const serve = async (request: FastifyRequest, reply: FastifyReply, report: RequestReport) => {
    const client = new ClientAbort();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) client.abort();
    });
    const body = readBody ? await readBody(request) : request.body;
    const answer = await runRetrieval(
      deps,
      door,
      {
        id: request.id,
        principal: request.principal!,
        body,
        rawJson: request.rawJson,
        headers: request.headers,
        report,
      },
      client,
    );
    return sendAnswer(reply, answer);
  };
  app.post(
    path,
    {
      config: {
        door: door.name,
        operation: door.operation === 'embedding' ? 'embeddings' : door.operation,
        errorBody: (error) => door.errorBody(error),
      },
    },
    handler,
  );
}

/**
 * `request`, once the client's own JSON text of the body's `keys` is remembered: a list the request keeps as
 * the client sent it (texts, not a lone string or `{text}` objects made into a new one) goes upstream as
 * that text, not serialised again (core/raw-json.ts; twice as cheap for 16 passages of ~200 characters).
 */
function withRawMembers<R>(request: R, input: DoorRequest, keys: readonly string[]): R {
  if (input.rawJson !== undefined && isObject(input.body))
    rememberRawMembers(input.body, input.rawJson, keys);
  return request;
}

export function registerRetrievalRoutes(app: FastifyInstance, deps: PipelineDeps): void {
  mountOperationDoor(
    app,
    '/v1/embeddings',
    {
      ...embeddingStages,
      name: 'embeddings',
      parse: (input) => withRawMembers(validateEmbeddingRequest(input.body), input, ['input']),
      errorBody: openAIErrorBody,
    },
    deps,
  );
  mountOperationDoor(
    app,
    '/v1/rerank',
    {
      ...rerankStages,
      name: 'rerank',
      parse: (input) => withRawMembers(validateRerankRequest(input.body), input, ['documents']),
      errorBody: openAIErrorBody,
    },
    deps,
  );
}
