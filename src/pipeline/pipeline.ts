// The request pipeline every front door runs: parse → authorize → idempotency → cache → admit → execute →
// settle → answer. A door supplies its wire format (src/pipeline/front-door.ts); the stages are the same
// for all, so authentication, limits, money, routing, metering and the ledger cannot differ between APIs.

import { costliestTarget } from '../accounting/admission.js';
import {
  CACHE_HEADER,
  hitMetered,
  hitResponse,
  SERVED_BY_CACHE,
  wantsCache,
} from '../cache/response-cache.js';
import type { ChatRequest } from '../core/types.js';
import { type Claim, fingerprint, IdempotencyStore } from '../router/idempotency.js';
import type { ClientAbort } from '../router/timeouts.js';
import { authorize } from './authorize.js';
import { completionId } from './canonical-answer.js';
import { completeJson } from './complete-json.js';
import { completeStream } from './complete-stream.js';
import type { PipelineDeps } from './deps.js';
import { Exchange } from './exchange.js';
import { asGatewayError } from './failure.js';
import type { Answer, DoorRequest, FrontDoor, OpenStream } from './front-door.js';
import { failureHeaders } from './headers.js';
import { settle } from './settle.js';

/** The HTTP side of one request, as the pipeline needs it. */
export interface Connection {
  /** Fires when the client goes away before its answer is complete. */
  client: ClientAbort;
  /** Opens the streaming answer. */
  openStream: OpenStream;
}

const CACHE_HIT_HEADERS = { [CACHE_HEADER]: 'hit' };

/** Idempotency-Key scope: a key's own, or the admin key's. */
const idempotencyScope = (exchange: { principal: DoorRequest['principal'] }) =>
  exchange.principal.kind === 'key' ? exchange.principal.key.id : 'admin';

/**
 * Runs one request through every stage. A request refused before it reaches the pipeline's own stages
 * (parse, authorize, idempotency) throws; failures from admission on are returned with their headers.
 */
export async function runPipeline(
  deps: PipelineDeps,
  door: FrontDoor,
  input: DoorRequest,
  connection: Connection,
): Promise<Answer> {
  const idempotencyKey = IdempotencyStore.parseKey(input.headers['idempotency-key']);
  // Taken before anything reads (and trims) the body: a retry must send the very same request.
  const print = idempotencyKey === undefined ? '' : fingerprint(input.body);
  const parsed = door.parse(input);
  const request = parsed.request;
  const plan = authorize(deps.router, input.principal, parsed);
  const { client } = connection;
  const exchange = new Exchange(input.id, input.principal, request, plan, client);

  let claim: Claim | undefined;
  if (idempotencyKey !== undefined && !request.stream) {
    try {
      claim = await deps.router.idempotency.claim(
        idempotencyScope(exchange),
        idempotencyKey,
        print,
        client.signal,
      );
    } catch (error) {
      if (client.aborted) return { kind: 'gone' };
      throw error;
    }
    if (claim.kind === 'replay') {
      const { status, headers, body } = claim.response;
      deps.log.info({ reqId: input.id, idempotencyKey }, `${door.name} replayed`);
      return { kind: 'json', status, headers: { ...headers, 'x-tokgate-idempotent-replay': 'true' }, body };
    }
  }
  if (idempotencyKey !== undefined && request.stream) {
    exchange.notes.push('Idempotency-Key is ignored on streaming requests');
  }

  // The response cache (opt-in per request): a hit answers at once, at the cache's own price.
  exchange.cacheable = wantsCache(input.headers, request);
  if (exchange.cacheable) {
    const answer = await answerFromCache(deps, door, exchange);
    if (answer) return answer;
  }

  const upstream: ChatRequest = { ...request };
  try {
    exchange.admission = await deps.admitter.admit(
      exchange.principal,
      costliestTarget(plan, request),
      upstream,
    );
  } catch (error) {
    if (claim?.kind === 'owner') claim.abandon();
    const refusal = asGatewayError(error);
    void settle(deps, door.name, exchange, {
      status: 'error',
      httpStatus: refusal.status,
      metered: undefined,
      errorCode: refusal.wireCode,
      errorMessage: refusal.message,
    });
    return { kind: 'error', error: refusal, headers: {} };
  }
  if (request.stream) return completeStream(deps, door, exchange, upstream, connection.openStream);
  try {
    return await completeJson(deps, door, exchange, upstream, claim);
  } catch (error) {
    if (claim?.kind === 'owner') claim.abandon();
    if (client.aborted) {
      void settle(deps, door.name, exchange, {
        status: 'aborted',
        httpStatus: 499,
        metered: undefined,
        errorCode: null,
      });
      return { kind: 'gone' };
    }
    const failure = asGatewayError(error, deps.redact);
    void settle(deps, door.name, exchange, {
      status: 'error',
      httpStatus: failure.status,
      metered: undefined,
      errorCode: failure.wireCode,
      errorMessage: failure.message,
    });
    return { kind: 'error', error: failure, headers: failureHeaders(exchange) };
  }
}

/** A cache hit, admitted (rate limits, the hit's price) and settled like any answer; undefined on a miss. */
async function answerFromCache(
  deps: PipelineDeps,
  door: FrontDoor,
  exchange: Exchange,
): Promise<Answer | undefined> {
  const { cache } = deps;
  const stored = await cache.get(exchange.principal, exchange.request).catch(() => undefined);
  if (!stored) return undefined;
  try {
    exchange.admission = await deps.admitter.admitKnownCost(exchange.principal, cache.hitPriceMicros);
  } catch (error) {
    const refusal = asGatewayError(error);
    void settle(deps, door.name, exchange, {
      status: 'error',
      httpStatus: refusal.status,
      metered: undefined,
      errorCode: refusal.wireCode,
      errorMessage: refusal.message,
      servedBy: SERVED_BY_CACHE,
    });
    return { kind: 'error', error: refusal, headers: {} };
  }
  const response = hitResponse(stored, completionId(exchange.id), cache.hitPriceMicros);
  await settle(deps, door.name, exchange, {
    status: 'ok',
    httpStatus: 200,
    metered: hitMetered(response, cache.hitPriceMicros),
    errorCode: null,
    servedBy: SERVED_BY_CACHE,
  });
  return { kind: 'json', status: 200, headers: CACHE_HIT_HEADERS, body: door.answer(response) };
}
