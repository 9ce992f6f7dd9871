// Writes what the pipeline answered (any door, any pipeline) on the HTTP reply: a whole body, bytes relayed
// as they arrive, an error in the route's shape (thrown to the error handler), a stream the pipeline wrote
// itself, or nothing when the client is gone.
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Answer } from '../pipeline/front-door.js';
import { isClosing } from './sse.js';

/** Sends a relayed body; when the client is gone already, it is started and stopped so it settles. */
async function sendRelayed(reply: FastifyReply, body: AsyncIterable<Uint8Array>): Promise<void> {
  if (reply.raw.destroyed) {
    for await (const _ of body) break;
    return;
  }
  await reply.send(Readable.from(body, { objectMode: false }));
}

/** `contentType`: a whole answer's, when the answer does not name its own (default JSON). */
export async function sendAnswer(
  reply: FastifyReply,
  answer: Answer,
  contentType = 'application/json',
): Promise<unknown> {
  switch (answer.kind) {
    case 'json':
      // During a graceful shutdown, close the connection after this answer rather than wait for the client.
      if (isClosing(reply.raw)) reply.header('connection', 'close');
      return reply
        .code(answer.status)
        .headers(answer.headers)
        .type(answer.contentType ?? contentType)
        .send(answer.body);
    case 'bytes':
      reply.code(answer.status).headers(answer.headers).type(answer.contentType);
      return sendRelayed(reply, answer.body);
    case 'error':
      reply.headers(answer.headers);
      throw answer.error;
    case 'streamed':
      return undefined;
    case 'gone':
      return reply.hijack();
  }
}
