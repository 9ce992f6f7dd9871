// Answers the gateway may already have: an idempotent replay of the same request, or (opt-in per
// request) the response cache's. A cache hit is admitted (rate limits, the hit's price) and settled like
// any answer.
import {
  CACHE_HEADER,
  hitMetered,
  hitResponse,
  SERVED_BY_CACHE,
  wantsCache,
} from '../cache/response-cache.js';
import { type Claim, fingerprint, IdempotencyStore } from '../router/idempotency.js';
import { completionId } from './canonical-answer.js';
import type { PipelineDeps } from './deps.js';
import type { Exchange, OperationRequest } from './exchange.js';
import { asGatewayError } from './failure.js';
import type { Answer, DoorRequest, FrontDoor } from './front-door.js';
import { failed } from './refusal.js';
import { settle } from './settle.js';

const CACHE_HIT_HEADERS = { [CACHE_HEADER]: 'hit' };

export interface IdempotencyKey {
  key: string;
  /** The request body's fingerprint: a retry must send the very same request. */
  print: string;
}

/** Reads the Idempotency-Key header (400 for a bad one); taken before anything reads (and trims) the body. */
export function idempotencyKeyOf(input: DoorRequest): IdempotencyKey | undefined {
  const key = IdempotencyStore.parseKey(input.headers['idempotency-key']);
  return key === undefined ? undefined : { key, print: fingerprint(input.body) };
}

/** A claim on an Idempotency-Key this request owns: it must complete or abandon it. */
export type OwnedClaim = Claim & { kind: 'owner' };

export interface Recalled {
  /** An answer given already: a replay or a cache hit (or the error of a refused hit). */
  answer?: Answer;
  /** This request owns its Idempotency-Key: it must complete or abandon the claim. */
  claim?: OwnedClaim;
}

export async function recall(
  deps: PipelineDeps,
  door: FrontDoor,
  exchange: Exchange,
  idempotency: IdempotencyKey | undefined,
  headers: DoorRequest['headers'],
): Promise<Recalled> {
  let recalled: Recalled = {};
  if (idempotency !== undefined && exchange.request.stream) {
    exchange.notes.push('Idempotency-Key is ignored on streaming requests');
  } else if (idempotency !== undefined) {
    recalled = await claimIdempotency(deps, door.name, exchange, idempotency);
    if (recalled.answer) return recalled;
  }

  exchange.cacheable = wantsCache(headers, exchange.request);
  if (exchange.cacheable) {
    const hit = await answerFromCache(deps, door, exchange);
    if (hit) {
      recalled.claim?.abandon();
      return { answer: hit };
    }
  }
  return recalled;
}

/** The answer given already under this Idempotency-Key (a replay), or the claim this request now owns. */
export async function claimIdempotency(
  deps: PipelineDeps,
  doorName: string,
  exchange: Exchange<OperationRequest>,
  idempotency: IdempotencyKey,
): Promise<Recalled> {
  const { client, principal } = exchange;
  const scope = principal.kind === 'key' ? principal.key.id : 'admin';
  let claim: Claim;
  try {
    claim = await deps.router.idempotency.claim(scope, idempotency.key, idempotency.print, client.signal);
  } catch (error) {
    if (client.aborted) return { answer: { kind: 'gone' } };
    throw error;
  }
  if (claim.kind === 'replay') {
    const { status, headers: stored, body } = claim.response;
    deps.log.info({ reqId: exchange.id, idempotencyKey: idempotency.key }, `${doorName} replayed`);
    return {
      answer: { kind: 'json', status, headers: { ...stored, 'x-tokgate-idempotent-replay': 'true' }, body },
    };
  }
  return { claim };
}

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
    return failed(deps, door.name, exchange, asGatewayError(error), {}, SERVED_BY_CACHE);
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
