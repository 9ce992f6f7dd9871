// Execute, for a streamed answer: keep-alive comments while waiting for the first token, the commit at the
// first content (headers go out then, fallbacks stay possible until then), chunks handed to the door's
// encoder batch by batch with the client's backpressure, and the ledger row before the last byte.
import { performance } from 'node:perf_hooks';
import type { ChatRequest } from '../core/types.js';
import { openStream } from '../router/executor.js';
import { withCost } from './canonical-answer.js';
import { charged } from './charge.js';
import type { PipelineDeps } from './deps.js';
import type { Exchange } from './exchange.js';
import { asGatewayError } from './failure.js';
import type { Answer, FrontDoor, OpenStream, StreamSink } from './front-door.js';
import { failureHeaders, gatewayHeaders } from './headers.js';
import { runOptions } from './run-options.js';
import { settle } from './settle.js';
import { StreamAnswer } from './stream-answer.js';

export async function completeStream(
  deps: PipelineDeps,
  door: FrontDoor,
  exchange: Exchange,
  upstream: ChatRequest,
  open: OpenStream,
): Promise<Answer> {
  const { client } = exchange;
  const encoder = door.stream(exchange.request, exchange.id);
  const answer = new StreamAnswer(exchange.finishReasons);
  let sink: StreamSink | undefined;

  // Waiting long for the first token: send the 200 and SSE comments, so clients and proxies keep waiting.
  // The deployment is not known yet, so those headers are not sent; fallbacks can still happen.
  const { keepAliveMs } = deps.router.routing;
  let keepAlive: NodeJS.Timeout | undefined;
  const tick = () => {
    sink ??= open({ ...exchange.admission?.headers });
    sink.comment('keep-alive');
    keepAlive = setTimeout(tick, keepAliveMs);
  };
  if (keepAliveMs > 0) keepAlive = setTimeout(tick, keepAliveMs);

  const upstreamStart = performance.now();
  let served: Awaited<ReturnType<typeof openStream>> | undefined;
  try {
    served = await openStream(
      deps.router,
      exchange.plan,
      upstream,
      runOptions(exchange, door.relaysChunkText === true),
    );
    exchange.upstreamMs += performance.now() - upstreamStart;
    exchange.deployment = served.deployment;
    const iterator = served.value[Symbol.asyncIterator]();
    let waitStart = performance.now();
    for (;;) {
      const next = await iterator.next();
      const now = performance.now();
      exchange.upstreamMs += now - waitStart;
      waitStart = now;
      if (next.done) break;
      exchange.lastChunkMs = now - exchange.started;
      for (const chunk of next.value) {
        if (!answer.take(chunk)) continue;
        if (!answer.committed) {
          // Commit: the answer is this deployment's 200 stream from now on.
          answer.commit(chunk);
          clearTimeout(keepAlive);
          exchange.ttftMs = now - exchange.started;
          exchange.upstreamModel = typeof chunk.model === 'string' ? chunk.model : null;
          sink ??= open(gatewayHeaders(exchange, served.warnings));
        }
        encoder.chunk(chunk, answer.created, sink!);
      }
      // The whole batch is queued for this turn's write; a client reading slower than the upstream sends
      // makes the next read wait.
      const wait = sink?.backpressure;
      if (wait) {
        await wait;
        waitStart = performance.now();
      }
    }
  } catch (error) {
    clearTimeout(keepAlive);
    const aborted = client.aborted;
    const failure = aborted ? undefined : asGatewayError(error, deps.redact);
    const metered =
      answer.committed || aborted
        ? charged(
            deps,
            exchange,
            await deps.meter.measure(exchange.target, exchange.request, answer.reported, answer.generated),
          )
        : undefined;
    void settle(deps, door.name, exchange, {
      status: aborted ? 'aborted' : 'error',
      httpStatus: failure?.status ?? 499,
      metered,
      errorCode: failure?.wireCode ?? null,
      ...(failure ? { errorMessage: failure.message } : {}),
    });
    if (!sink)
      return failure
        ? { kind: 'error', error: failure, headers: failureHeaders(exchange) }
        : { kind: 'gone' };
    // Once the 200 is out an error can only be told in-band (and the HTTP layer never sees it: log it here).
    if (failure?.kind === 'internal_error')
      deps.log.error({ err: error, reqId: exchange.id }, 'internal error');
    if (failure) encoder.error(failure, sink);
    sink.end();
    return { kind: 'streamed' };
  } finally {
    clearTimeout(keepAlive);
  }

  const metered = charged(
    deps,
    exchange,
    await deps.meter.measure(exchange.target, exchange.request, answer.reported, answer.generated),
  );
  if (exchange.report.trace?.capturesContent) exchange.output = [answer.generated.join('')];
  if (!sink) {
    // The upstream ended without a single choice chunk: answer with an empty stream all the same.
    sink = open(gatewayHeaders(exchange, served.warnings));
    answer.created = Math.floor(Date.now() / 1000);
  }
  // The row is recorded (and spooled) before the last byte, so an answered stream is always in the ledger.
  await settle(deps, door.name, exchange, {
    status: client.aborted ? 'aborted' : 'ok',
    httpStatus: 200,
    metered,
    errorCode: null,
  });
  encoder.end(withCost(metered.usage, metered), answer.usageChunk, answer.created, sink);
  sink.end();
  return { kind: 'streamed' };
}
