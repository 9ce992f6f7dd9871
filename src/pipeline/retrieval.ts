// The pipeline of the doors whose answers are not chat (embeddings, rerank, speech, transcriptions, images):
// the same stages as chat's (parse → authorize → idempotency → admit → execute → settle → answer) over the
// same router, admission, ledger, metrics and log, with what is the operation's own supplied by its door: how
// it is priced (`demand`, `measure`), executed and answered. These answers are never cached. An answer whose
// body is relayed as it arrives (speech audio, a streamed transcript: `relay`) is measured and settled when
// that body ends, or when the client leaves (the upstream is then cancelled).
import { performance } from 'node:perf_hooks';
import type { InputDemand } from '../accounting/admission.js';
import type { Meter, Metered } from '../accounting/meter.js';
import { microsToUsd } from '../accounting/pricing.js';
import type { Target } from '../catalog/target.js';
import type { Operation } from '../core/embeddings.js';
import { type GatewayError, invalidRequest } from '../core/errors.js';
import type { Provider } from '../core/types.js';
import type { RunOptions, Served } from '../router/executor.js';
import type { Router } from '../router/router.js';
import type { RoutePlan } from '../router/routes.js';
import type { ClientAbort } from '../router/timeouts.js';
import { authorize } from './authorize.js';
import { charged } from './charge.js';
import type { PipelineDeps } from './deps.js';
import { Exchange, type OperationRequest } from './exchange.js';
import { asGatewayError } from './failure.js';
import { type Answer, type AnswerBody, answerText, type DoorRequest } from './front-door.js';
import { gatewayHeaders } from './headers.js';
import { claimIdempotency, idempotencyKeyOf, type OwnedClaim } from './recall.js';
import { answerFailed, failed } from './refusal.js';
import { runOptions } from './run-options.js';
import { settle } from './settle.js';

/** What an operation's door supplies; everything else is the pipeline's. */
export interface RetrievalDoor<R extends OperationRequest, T> {
  /** Names the door in the log line (and the settle stage, as chat's door). */
  readonly name: string;
  readonly operation: Exclude<Operation, 'chat'>;
  /** What the door serves, as a refusal names it (`embeddings`, `rerank`, `/v1/images/edits`). */
  readonly what?: string;
  /** Reads and validates the wire request (throws a 400 naming the bad field). */
  parse(input: DoorRequest): R;
  /** Whether a provider offers the operation. */
  serves(provider: Provider): boolean;
  /** The worst case admission reserves. */
  demand(meter: Meter, target: Target, request: R): InputDemand;
  execute(router: Router, plan: RoutePlan, request: R, options: RunOptions): Promise<Served<T>>;
  measure(meter: Meter, target: Target, request: R, result: T): Promise<Metered>;
  /** The JSON body of the answer (or the body of `contentType`; bytes where it relays an upstream's own). */
  answer(requestId: string, request: R, result: T, metered: Metered): AnswerBody;
  /** The answer's content type, when not `application/json`. */
  contentType?(request: R, result: T): string;
  /** A body to relay as it arrives instead of a whole answer; measured once it has ended. */
  relay?(result: T): Relay | undefined;
  /** The cost when it is known before the answer is made (speech billed per character): `x-tokgate-cost`. */
  knownCost?(target: Target, request: R): Metered | undefined;
  errorBody(error: GatewayError): unknown;
}

/** A body relayed as it arrives. */
export interface Relay {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
  /** Stops the upstream at once (the client left). */
  cancel?: () => void;
}

/** The operation a door serves, as an error names it. */
const OPERATION_NOUNS: Record<Exclude<Operation, 'chat'>, string> = {
  embedding: 'embeddings',
  rerank: 'rerank',
  speech: 'speech',
  transcription: 'transcriptions',
  image: 'images',
};

/** `x-tokgate-cost`: what an answer without a `usage` object cost, USD. */
export const COST_HEADER = 'x-tokgate-cost';

/** Adds the cost header to `headers` when the cost is known; `headers` itself. */
function withCostHeader(headers: Record<string, string>, metered: Metered): Record<string, string> {
  if (metered.costMicros !== undefined) headers[COST_HEADER] = String(microsToUsd(metered.costMicros));
  return headers;
}

/** Refuses, before anything is reserved or sent, a route with a deployment whose provider lacks the operation. */
function checkServed<R extends OperationRequest, T>(door: RetrievalDoor<R, T>, plan: RoutePlan): void {
  for (const group of plan.groups) {
    for (const { target } of group.deployments) {
      if (door.serves(target.provider)) continue;
      throw invalidRequest(
        `The model \`${target.model}\` cannot be used here: provider '${target.provider.id}' does not serve ${door.what ?? OPERATION_NOUNS[door.operation]} through tokgate.`,
        'model',
        'invalid_value',
      );
    }
  }
}

/** The deployment whose worst case costs most (an unpriced one first: its cost cannot be bounded). */
function costliest<R extends OperationRequest, T>(
  door: RetrievalDoor<R, T>,
  meter: Meter,
  plan: RoutePlan,
  request: R,
): Target {
  const only = plan.groups.length === 1 ? plan.groups[0]!.deployments : undefined;
  if (only?.length === 1) return only[0]!.target;
  const all = plan.groups.flatMap((g) => g.deployments.map((d) => d.target));
  const unpriced = all.find((target) => !target.entry?.price);
  if (unpriced) return unpriced;
  let best = all[0]!;
  let bestCost = -1;
  for (const target of all) {
    const demand = door.demand(meter, target, request);
    const cost = demand.cost(demand.bound);
    if (cost > bestCost) {
      best = target;
      bestCost = cost;
    }
  }
  return best;
}

export async function runRetrieval<R extends OperationRequest, T>(
  deps: PipelineDeps,
  door: RetrievalDoor<R, T>,
  input: DoorRequest,
  client: ClientAbort,
): Promise<Answer> {
  const idempotency = idempotencyKeyOf(input);
  const request = door.parse(input);
  const plan = authorize(deps.router, input.principal, { request, fallbacks: [] }, door.operation);
  checkServed(door, plan);
  const exchange = new Exchange<R>(input.id, input.principal, request, plan, client, input.report);
  exchange.operation = door.operation === 'embedding' ? 'embeddings' : door.operation;

  let claim: OwnedClaim | undefined;
  if (idempotency !== undefined) {
    const recalled = await claimIdempotency(deps, door.name, exchange, idempotency);
    if (recalled.answer) return recalled.answer;
    claim = recalled.claim;
  }
  try {
    const target = costliest(door, deps.meter, plan, request);
    exchange.admission = await deps.admitter.admitInput(
      exchange.principal,
      target,
      door.demand(deps.meter, target, request),
    );
  } catch (error) {
    claim?.abandon();
    return failed(deps, door.name, exchange, asGatewayError(error));
  }

  try {
    return await execute(deps, door, exchange, claim);
  } catch (error) {
    claim?.abandon();
    return answerFailed(deps, door.name, exchange, error);
  }
}

async function execute<R extends OperationRequest, T>(
  deps: PipelineDeps,
  door: RetrievalDoor<R, T>,
  exchange: Exchange<R>,
  claim: OwnedClaim | undefined,
): Promise<Answer> {
  const upstreamStart = performance.now();
  let served: Served<T>;
  try {
    served = await door.execute(deps.router, exchange.plan, exchange.request, runOptions(exchange));
  } finally {
    exchange.upstreamMs = performance.now() - upstreamStart;
  }
  exchange.deployment = served.deployment;
  const relay = door.relay?.(served.value);
  if (relay) {
    claim?.abandon();
    return relayed(deps, door, exchange, served, relay);
  }
  const metered = charged(
    deps,
    exchange,
    await door.measure(deps.meter, exchange.target, exchange.request, served.value),
  );
  // As chat's: the answer goes out once its ledger row is safe, rendered while the row is written.
  const durable = settle(deps, door.name, exchange, {
    status: 'ok',
    httpStatus: 200,
    metered,
    errorCode: null,
  });
  const headers = withCostHeader(gatewayHeaders(exchange, served.warnings), metered);
  const body = door.answer(exchange.id, exchange.request, served.value, metered);
  const contentType = door.contentType?.(exchange.request, served.value);
  await durable;
  if (contentType === undefined) claim?.complete({ status: 200, headers, body: answerText(body) });
  else claim?.abandon();
  return { kind: 'json', status: 200, headers, body, contentType };
}

/**
 * The answer as a relayed body: the 200 goes out with the upstream's first bytes; the request is measured
 * and settled when the body ends (ok), fails midway (error: the client sees the body cut), or the client
 * leaves (aborted; the upstream is cancelled at once). Its cost is in the ledger; `x-tokgate-cost` carries
 * it only when it is known before the body (`knownCost`).
 */
function relayed<R extends OperationRequest, T>(
  deps: PipelineDeps,
  door: RetrievalDoor<R, T>,
  exchange: Exchange<R>,
  served: Served<T>,
  relay: Relay,
): Answer {
  const listed = door.knownCost?.(exchange.target, exchange.request);
  const known = listed && charged(deps, exchange, listed);
  const headers = gatewayHeaders(exchange, served.warnings);
  if (known) withCostHeader(headers, known);
  const started = performance.now();
  const cancel = () => relay.cancel?.();
  exchange.client.signal.addEventListener('abort', cancel, { once: true });
  async function* body(): AsyncGenerator<Uint8Array> {
    let status: 'ok' | 'error' | 'aborted' = 'aborted';
    let failure: GatewayError | undefined;
    let first = true;
    try {
      for await (const chunk of relay.body) {
        if (first) {
          exchange.ttftMs = exchange.elapsedMs();
          first = false;
        }
        yield chunk;
      }
      status = 'ok';
    } catch (error) {
      if (!exchange.client.aborted) {
        status = 'error';
        failure = asGatewayError(error, deps.redact);
      }
      throw error;
    } finally {
      exchange.client.signal.removeEventListener('abort', cancel);
      if (status !== 'ok') cancel();
      exchange.upstreamMs += performance.now() - started;
      // Settled whatever the meter does: a meter that fails leaves the row unmeasured, never the reservation held.
      void door
        .measure(deps.meter, exchange.target, exchange.request, served.value)
        .catch((error: unknown) => {
          deps.log.error({ err: error, reqId: exchange.id }, 'measuring a relayed answer');
          return undefined;
        })
        .then((metered) =>
          settle(deps, door.name, exchange, {
            status,
            httpStatus: status === 'aborted' ? 499 : 200,
            metered: metered && charged(deps, exchange, metered),
            errorCode: failure?.wireCode ?? null,
            ...(failure ? { errorMessage: failure.message } : {}),
          }),
        )
        .catch((error: unknown) =>
          deps.log.error({ err: error, reqId: exchange.id }, 'settling a relayed answer'),
        );
    }
  }
  return { kind: 'bytes', status: 200, headers, contentType: relay.contentType, body: body() };
}
