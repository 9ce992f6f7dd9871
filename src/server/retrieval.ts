// POST /v1/embeddings (OpenAI's Embeddings API) and POST /v1/rerank (TokModel's, Cohere's shape): doors of
// the retrieval pipeline (src/pipeline/retrieval.ts). Their answers are whole JSON bodies; errors are in
// OpenAI's shape.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { openAIErrorBody } from '../core/error-renderers.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { embeddingStages } from '../pipeline/embeddings.js';
import type { OperationRequest } from '../pipeline/exchange.js';
import type { RequestReport } from '../pipeline/report.js';
import { rerankStages } from '../pipeline/rerank.js';
import { type RetrievalDoor, runRetrieval } from '../pipeline/retrieval.js';
import { ClientAbort } from '../router/timeouts.js';
import { isClosing } from './sse.js';
import { validateEmbeddingRequest, validateRerankRequest } from './validate-retrieval.js';

function mountRetrievalDoor<R extends OperationRequest, T>(
  app: FastifyInstance,
  path: string,
  door: RetrievalDoor<R, T>,
  deps: PipelineDeps,
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
    const answer = await runRetrieval(
      deps,
      door,
      {
        id: request.id,
        principal: request.principal!,
        body: request.body,
        rawJson: request.rawJson,
        headers: request.headers,
        report,
      },
      client,
    );
    switch (answer.kind) {
      case 'json':
        if (isClosing(reply.raw)) reply.header('connection', 'close');
        return reply.code(answer.status).headers(answer.headers).type('application/json').send(answer.body);
      case 'error':
        reply.headers(answer.headers);
        throw answer.error;
      case 'streamed':
        return;
      case 'gone':
        return reply.hijack();
    }
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
  mountRetrievalDoor(
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
  mountRetrievalDoor(
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
