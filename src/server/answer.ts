// Writes what the pipeline answered (any door, any pipeline) on the HTTP reply: a whole body, bytes relayed
// as they arrive, an error in the route's shape (thrown to the error handler), a stream the pipeline wrote
// itself, or nothing when the client is gone.
import type { OutgoingHttpHeaders } from 'node:http';
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

/**
 * A body in parts, as Fastify would send one buffer: its headers (the hooks' ones included), the length,
 * and every part in one write (corked; `end` flushes), so the parts are never joined into a copy.
 */
function sendParts(reply: FastifyReply, parts: readonly Buffer[]): void {
  let length = 0;
  for (const part of parts) length += part.length;
  reply.header('content-length', String(length));
  const res = reply.raw;
  reply.hijack();
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  res.cork();
  const last = parts.length - 1;
  for (let i = 0; i < last; i++) res.write(parts[i]);
  res.end(parts[last]);
  res.uncork();
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
      reply.code(answer.status).headers(answer.headers);
      if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body))
        return reply.type(answer.contentType ?? contentType).send(answer.body);
      // Fastify names the charset of a JSON text it sends; a JSON body in parts says the same.
      sendParts(reply.type(answer.contentType ?? `${contentType}; charset=utf-8`), answer.body);
      return reply;
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
