// Execute, for a whole (non-streaming) answer: the attempts over the route, then metering, the ledger row,
// the cache and the idempotency record, and the door's rendering; or the failure of every attempt.
import { performance } from 'node:perf_hooks';
import { responseText } from '../accounting/meter.js';
import type { ChatRequest } from '../core/types.js';
import { runJson } from '../router/executor.js';
import { finishResponse } from './canonical-answer.js';
import { charged } from './charge.js';
import type { PipelineDeps } from './deps.js';
import type { Exchange } from './exchange.js';
import type { Answer, FrontDoor } from './front-door.js';
import { gatewayHeaders } from './headers.js';
import type { OwnedClaim } from './recall.js';
import { answerFailed } from './refusal.js';
import { runOptions } from './run-options.js';
import { settle } from './settle.js';

export async function completeJson(
  deps: PipelineDeps,
  door: FrontDoor,
  exchange: Exchange,
  upstream: ChatRequest,
  claim: OwnedClaim | undefined,
): Promise<Answer> {
  try {
    return await answer(deps, door, exchange, upstream, claim);
  } catch (error) {
    claim?.abandon();
    return answerFailed(deps, door.name, exchange, error);
  }
}

async function answer(
  deps: PipelineDeps,
  door: FrontDoor,
  exchange: Exchange,
  upstream: ChatRequest,
  claim: OwnedClaim | undefined,
): Promise<Answer> {
  const upstreamStart = performance.now();
  let served: Awaited<ReturnType<typeof runJson>>;
  try {
    served = await runJson(deps.router, exchange.plan, upstream, runOptions(exchange));
  } finally {
    exchange.upstreamMs = performance.now() - upstreamStart;
  }
  const response = served.value;
  exchange.deployment = served.deployment;
  exchange.upstreamModel = typeof response.model === 'string' ? response.model : null;
  const metered = charged(
    deps,
    exchange,
    await deps.meter.measure(exchange.target, exchange.request, response.usage, responseText(response)),
  );
  finishResponse(response, exchange.id, exchange.request.model, metered);
  for (const choice of response.choices)
    if (choice.finish_reason) exchange.finishReasons.push(choice.finish_reason);
  if (exchange.report.trace?.capturesContent)
    exchange.output = response.choices.map((choice) => choice.message.content ?? '');
  // The answer goes out only once its ledger row is safe (on disk, with a spool); it is rendered while the
  // row is being written.
  const durable = settle(deps, door.name, exchange, {
    status: 'ok',
    httpStatus: 200,
    metered,
    errorCode: null,
  });
  const headers = gatewayHeaders(exchange, served.warnings);
  const body = door.answer(response);
  await durable;
  if (exchange.cacheable) {
    deps.cache.put(exchange.principal, exchange.request, response).catch((error: unknown) => {
      deps.log.warn({ err: error, reqId: exchange.id }, 'response cache write failed');
    });
  }
  claim?.complete({ status: 200, headers, body });
  return { kind: 'json', status: 200, headers, body };
}
