// POST /v1/embeddings (OpenAI's Embeddings API) and POST /v1/rerank (TokModel's, Cohere's shape): doors of
// the retrieval pipeline (src/pipeline/retrieval.ts). Their answers are whole JSON bodies; errors are in
// OpenAI's shape. `mountOperationDoor` mounts any door of that pipeline (the audio doors too: a body read
// another way than JSON, an answer of another content type, bytes relayed as they arrive).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { openAIErrorBody } from '../core/error-renderers.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { embeddingStages } from '../pipeline/embeddings.js';
import type { OperationRequest } from '../pipeline/exchange.js';
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

export function registerRetrievalRoutes(app: FastifyInstance, deps: PipelineDeps): void {
  mountOperationDoor(
    app,
    '/v1/embeddings',
    {
      ...embeddingStages,
      name: 'embeddings',
      parse: (input) => validateEmbeddingRequest(input.body),
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
      parse: (input) => validateRerankRequest(input.body),
      errorBody: openAIErrorBody,
    },
    deps,
  );
}
