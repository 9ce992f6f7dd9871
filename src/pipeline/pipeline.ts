// The request pipeline every front door runs: parse → authorize → recall (idempotency, cache) → admit →
// execute → settle → answer. A door supplies its wire format (src/pipeline/front-door.ts); the stages are
// the same for all, so authentication, limits, money, routing, metering and the ledger cannot differ
// between APIs.
import { costliestTarget } from '../accounting/admission.js';
import type { ChatRequest } from '../core/types.js';
import type { ClientAbort } from '../router/timeouts.js';
import { authorize } from './authorize.js';
import { completeJson } from './complete-json.js';
import { completeStream } from './complete-stream.js';
import type { PipelineDeps } from './deps.js';
import { Exchange } from './exchange.js';
import { asGatewayError } from './failure.js';
import type { Answer, DoorRequest, FrontDoor, OpenStream } from './front-door.js';
import { idempotencyKeyOf, recall } from './recall.js';
import { failed } from './refusal.js';

/** The HTTP side of one request, as the pipeline needs it. */
export interface Connection {
  /** Fires when the client goes away before its answer is complete. */
  client: ClientAbort;
  /** Opens the streaming answer. */
  openStream: OpenStream;
}

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
  const idempotency = idempotencyKeyOf(input);
  const parsed = door.parse(input);
  const plan = authorize(deps.router, input.principal, parsed);
  const exchange = new Exchange(
    input.id,
    input.principal,
    parsed.request,
    plan,
    connection.client,
    input.report,
  );
  if (parsed.notes) exchange.notes.push(...parsed.notes);

  const { answer, claim } = await recall(deps, door, exchange, idempotency, input.headers);
  if (answer) return answer;

  // Admission may change what goes upstream (a max_tokens capped to the balance): the client's stays as sent.
  const upstream: ChatRequest = { ...exchange.request };
  try {
    exchange.admission = await deps.admitter.admit(
      exchange.principal,
      costliestTarget(plan, upstream),
      upstream,
    );
  } catch (error) {
    claim?.abandon();
    return failed(deps, door.name, exchange, asGatewayError(error));
  }
  if (exchange.request.stream) return completeStream(deps, door, exchange, upstream, connection.openStream);
  return completeJson(deps, door, exchange, upstream, claim);
}
