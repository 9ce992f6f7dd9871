// Everything known about one request while it runs: who asked, what for, how it was routed and admitted,
// and what happened upstream. Every stage of the pipeline reads and writes this one object; the ledger
// row, the log line, the metrics and the gateway's response headers are all made from it at the end.
import { performance } from 'node:perf_hooks';
import type { Admission } from '../accounting/admission.js';
import type { Principal } from '../auth/authenticator.js';
import type { Target } from '../catalog/target.js';
import type { ChatRequest } from '../core/types.js';
import type { AttemptRecord } from '../router/executor.js';
import type { Deployment, RoutePlan } from '../router/routes.js';
import type { ClientAbort } from '../router/timeouts.js';
import type { RequestReport } from './report.js';

/** What every operation's request has: the model asked for (echoed, recorded), and whether it streams. */
export interface OperationRequest {
  model: string;
  stream?: boolean | null | undefined;
}

export class Exchange<R extends OperationRequest = ChatRequest> {
  readonly started = performance.now();
  readonly createdAt = Date.now();
  /** Time spent waiting on the upstream, to compute the gateway's own overhead. */
  upstreamMs = 0;
  ttftMs: number | null = null;
  /** Streams: when the last chunk arrived, ms after the request's start (for the inter-token latency). */
  lastChunkMs: number | null = null;
  upstreamModel: string | null = null;
  admission: Admission | undefined;
  /** The deployment of the latest attempt: the one that served, or the last that failed. */
  deployment: Deployment | undefined;
  readonly attempts: AttemptRecord[] = [];
  /** Notes of the gateway's own (not a provider's), for `x-tokgate-warnings`. */
  readonly notes: string[] = [];
  /** The client asked for the response cache: a fresh answer is stored for the next identical request. */
  cacheable = false;
  /** What is performed, as gen_ai.operation.name says it: `chat`, `embeddings`, `rerank`. */
  operation = 'chat';
  /** The answer's finish reasons, one per choice as they came. */
  readonly finishReasons: string[] = [];
  /** The answer's text per choice, kept only when the request's span records content. */
  output: string[] | undefined;

  constructor(
    readonly id: string,
    readonly principal: Principal,
    /** The canonical request as the client sent it (the upstream gets a copy admission may change). */
    readonly request: R,
    readonly plan: RoutePlan,
    /** Fires when the client goes away: every wait of the request stops. */
    readonly client: ClientAbort,
    /** What the request's log line, metrics and span are written from once it is over. */
    readonly report: RequestReport,
  ) {}

  /** The deployment the row is about; before any attempt, the route's first. */
  get target(): Target {
    return this.deployment?.target ?? this.plan.groups[0]!.deployments[0]!.target;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }
}
