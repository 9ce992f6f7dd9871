// Mounts a front door on the HTTP app: the route hands the request to the pipeline and writes what the
// pipeline answers (JSON, a stream it already wrote, or an error in the door's own shape).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { FrontDoor } from '../pipeline/front-door.js';
import { runPipeline } from '../pipeline/pipeline.js';
import type { RequestReport } from '../pipeline/report.js';
import { ClientAbort } from '../router/timeouts.js';
import { sendAnswer } from './answer.js';
import type { ErrorRenderer } from './errors.js';
import { SseWriter } from './sse.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Renders an error in the route's own wire shape (OpenAI's when unset). */
    errorBody?: ErrorRenderer;
    /** A second header carrying the request id (set with `x-request-id`, before authentication). */
    requestIdHeader?: string;
  }
}

export interface MountOptions {
  /**
   * Makes the door for one request, when it needs asynchronous work first (the Responses API loads the
   * stored conversation a request continues). Errors it throws are answered in `door`'s error shape.
   */
  prepare?: (request: FastifyRequest) => Promise<FrontDoor>;
  /** The content type of whole answers (default JSON). */
  contentType?: string;
}

export function mountFrontDoor(
  app: FastifyInstance,
  path: string,
  door: FrontDoor,
  deps: PipelineDeps,
  options: MountOptions = {},
): void {
  const { requestIdHeader } = door;
  const idHeader = (id: string): Record<string, string> =>
    requestIdHeader === undefined ? {} : { [requestIdHeader]: id };
  const contentType = options.contentType ?? 'application/json';
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const report = request.report!;
    return report.run(() => serve(request, reply, report));
  };
  const serve = async (request: FastifyRequest, reply: FastifyReply, report: RequestReport) => {
    const requestDoor = options.prepare ? await options.prepare(request) : door;
    const client = new ClientAbort();
    // The client went away before the answer was complete: stop the upstream call at once.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) client.abort();
    });
    const openStream = (headers: Record<string, string>) => {
      reply.hijack();
      const writer = new SseWriter(reply.raw);
      writer.open({ 'x-request-id': request.id, ...idHeader(request.id), ...headers });
      return writer;
    };
    const answer = await runPipeline(
      deps,
      requestDoor,
      {
        id: request.id,
        principal: request.principal!,
        body: request.body,
        rawJson: request.rawJson,
        headers: request.headers,
        report,
      },
      { client, openStream },
    );
    return sendAnswer(reply, answer, contentType);
  };
  app.post(
    path,
    {
      config: {
        door: door.name,
        operation: 'chat',
        errorBody: (error) => door.errorBody(error),
        ...(requestIdHeader === undefined ? {} : { requestIdHeader }),
      },
    },
    handler,
  );
}
