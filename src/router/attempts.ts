// The attempt loop shared by JSON and streaming requests: picks the next deployment (balancer order, circuit
// breakers, panic when all are open), runs one attempt under its timers, records every attempt for the
// ledger, feeds deployment health, and decides from the error's `retryable` flag and the policy whether
// and when to try again, within the request's total deadline. A client that went away ends it at once.
// Each attempt holds one of its deployment's slots (slots.ts) from its start to its end, waiting in the
// deployment's queue when none is free; a deployment whose queue is full or too slow is "saturated" and the
// request moves on to the next one, never back to it. A second round on a deployment already tried (a
// retry, as opposed to a first try of a fallback) needs that deployment's retry budget.
import { performance } from 'node:perf_hooks';
import { GatewayError, gatewayError, internalError } from '../core/errors.js';
import { withOutboundHeaders } from '../core/outbound-context.js';
import { orderCandidates } from './balancer.js';
import { decideRetry } from './retry-policy.js';
import type { Router } from './router.js';
import type { Deployment, RoutePlan } from './routes.js';
import type { Waiter } from './slots.js';
import { type ClientAbort, settleOrAbort, TimedSignal, type TimeLimit, upstreamTimeout } from './timeouts.js';

/** One upstream attempt, as the ledger's `attempts` JSON holds it. */
export interface AttemptRecord {
  deployment: string;
  provider: string;
  upstream_model: string;
  /** 200 when it served the answer; the error's HTTP status; 499 when the client went away. */
  status: number;
  code: string | null;
  ms: number;
}

/** What kind of attempt this is: a request's first, a fallback to a deployment not tried, a retry of one. */
export type AttemptKind = 'first' | 'fallback' | 'retry';

/** An attempt's span (tracing on): the headers its upstream calls carry, and its end. */
export interface AttemptSpan {
  readonly headers: Readonly<Record<string, string>>;
  /** `upstreamStatus`: the HTTP status the upstream answered with, when it answered. */
  end(record: AttemptRecord, upstreamStatus: number | undefined): void;
}

/** Starts a span per attempt (pipeline/tracing.ts); absent when tracing is off. */
export interface AttemptTracer {
  begin(deployment: Deployment, kind: AttemptKind): AttemptSpan;
}

export interface RunOptions {
  /** The client's side: once aborted, nothing more is tried. */
  client: ClientAbort;
  /** Every attempt is appended here as it ends. */
  attempts: AttemptRecord[];
  /** Told of each attempt as it starts. */
  onAttempt?: (deployment: Deployment) => void;
  /** Traces each attempt (its upstream calls carry the span's trace context). */
  tracer?: AttemptTracer | undefined;
  /** Streams: the caller takes chunks with their upstream text (`UpstreamCall.relay`). */
  relayChunks?: boolean;
}

/** An attempt under way: its deployment, its timer-carrying signal, and when it started. */
export interface Attempt {
  deployment: Deployment;
  timer: TimedSignal;
  startedAt: number;
  /** Holds one of the deployment's slots (given back when the attempt ends). */
  slot: boolean;
  /** Counts against the deployment's retry budget (a second round on it). */
  retry: boolean;
  /** The attempt's span, when tracing is on. */
  span?: AttemptSpan;
}

/** Seconds a client told "saturated" is asked to wait: slots free as calls end, and the queue is bounded. */
const SATURATED_RETRY_AFTER = 1;

export function deploymentSaturated(deployment: Deployment, why: string): GatewayError {
  return gatewayError('deployment_saturated', {
    message: `Deployment '${deployment.id}' is saturated: ${why}.`,
    provider: deployment.target.provider.id,
    retryAfter: SATURATED_RETRY_AFTER,
  });
}

/** When every attempt failed: the last error, with every attempt's story in the message. */
export function allFailed(failures: ReadonlyArray<[Deployment, GatewayError]>): GatewayError {
  const [, last] = failures.at(-1)!;
  if (failures.length === 1) return last;
  const story = failures.map(([d, e], i) => `(${i + 1}) ${d.id}: ${e.message}`).join(' ');
  return last.withMessage(`All ${failures.length} attempts failed. ${story}`.slice(0, 2000));
}

/** The order in which a plan's deployments are tried: healthy ones of every group before any open one. */
function attemptOrder(plan: RoutePlan, { health, clock }: Router): Deployment[] {
  // Most requests name one model of one provider: nothing to order.
  const only = plan.groups.length === 1 ? plan.groups[0]!.deployments : undefined;
  if (only?.length === 1) return [only[0]!];
  const ordered = plan.groups.flatMap((g) => orderCandidates(g.strategy, g.deployments, health, clock));
  // Open circuits are the last resort.
  return [
    ...ordered.filter((d) => health.available(d.id)),
    ...ordered.filter((d) => !health.available(d.id)),
  ];
}

export class AttemptLoop {
  /** The request's total deadline: no attempt's timer waits past it. */
  private readonly deadline: TimeLimit;
  private readonly order: Deployment[];
  private readonly startedAt: number;
  /** Ids of the deployments tried so far (a few at most: an array is cheaper than a Set to make and search). */
  private readonly tried: string[] = [];
  private readonly failures: Array<[Deployment, GatewayError]> = [];
  private made = 0;
  private current: Deployment | undefined;
  /** Deployments that had no slot for this request: not tried again by it. Made on the first one. */
  private saturated: Set<string> | undefined;
  /** A second round was wanted but no deployment had retry budget left. */
  private budgetSpent = false;

  constructor(
    private readonly router: Router,
    private readonly plan: RoutePlan,
    private readonly options: RunOptions,
  ) {
    this.startedAt = router.clock.now();
    this.order = attemptOrder(plan, router);
    const total = plan.timeouts.totalMs;
    this.deadline = {
      at: performance.now() + total,
      reason: () => upstreamTimeout(this.current?.target.provider.id ?? 'unknown', 'total', total),
    };
  }

  /** The last failure of a deployment in this request. */
  private lastError(id: string): GatewayError | undefined {
    for (let i = this.failures.length - 1; i >= 0; i--) {
      const [deployment, failure] = this.failures[i]!;
      if (deployment.id === id) return failure;
    }
    return undefined;
  }

  /**
   * The next deployment: an untried one first, else a second round among those that were not saturated and
   * have retry budget left (undefined when there is none); open circuits only when nothing else is.
   */
  private pick(claim: boolean): Deployment | undefined {
    const { health, slots } = this.router;
    const untried = this.order.filter((d) => !this.tried.includes(d.id));
    let pool = untried;
    if (untried.length === 0) {
      const again = this.order.filter((d) => !this.saturated?.has(d.id));
      pool = again.filter((d) => slots.retryAllowed(d.id));
      this.budgetSpent = pool.length === 0 && again.length > 0;
    }
    for (const d of pool) if (claim ? health.acquire(d.id) : health.available(d.id)) return d;
    return pool[0];
  }

  /**
   * Runs `attempt` until one succeeds (resolves with it and the attempt, whose timer the caller now owns and
   * must dispose) or the request must give up (throws the failure, or the client's abort).
   */
  async run<T>(attempt: (a: Attempt) => Promise<T>): Promise<{ value: T; attempt: Attempt }> {
    const { health, clock, slots } = this.router;
    for (;;) {
      const deployment = this.pick(true);
      // Only after a failure: the first pick always has every deployment untried.
      if (!deployment) throw this.noNext();
      const retry = this.tried.includes(deployment.id);
      const { counters } = slots;
      const kind: AttemptKind = retry ? 'retry' : this.made === 0 ? 'first' : 'fallback';
      counters[kind] += 1;
      if (retry) slots.retryBegan(deployment.id);
      this.made += 1;
      if (!retry) this.tried.push(deployment.id);
      this.current = deployment;
      this.options.onAttempt?.(deployment);
      health.began(deployment.id);
      const current: Attempt = {
        deployment,
        timer: new TimedSignal(this.options.client, this.deadline),
        startedAt: clock.now(),
        slot: false,
        retry,
      };
      const span = this.options.tracer?.begin(deployment, kind);
      if (span) current.span = span;
      try {
        if (!slots.tryAcquire(deployment.id)) await this.queue(current);
        current.slot = true;
        const value = await (span
          ? withOutboundHeaders(span.headers, () => attempt(current))
          : attempt(current));
        return { value, attempt: current };
      } catch (error) {
        const failure = this.failed(current, error);
        if (!failure) throw error;
        await this.beforeNext(failure);
      }
    }
  }

  /**
   * Waits in the deployment's queue for a slot, under the attempt's timer (so also until the client leaves
   * or the request's deadline), at most the queue timeout. Throws `deployment_saturated` when the queue is
   * full or the wait too long.
   */
  private async queue(attempt: Attempt): Promise<void> {
    const { slots } = this.router;
    const { deployment, timer } = attempt;
    let waiter: Waiter | undefined;
    const granted = new Promise<void>((resolve) => {
      waiter = slots.enqueue(deployment.id, resolve);
    });
    if (!waiter) throw deploymentSaturated(deployment, 'every slot is taken and its queue is full');
    const ms = slots.queueTimeoutMs;
    timer.arm(ms, () => deploymentSaturated(deployment, `no slot came free within ${ms} ms`));
    try {
      await settleOrAbort(granted, timer);
    } catch (error) {
      slots.leave(deployment.id, waiter);
      throw error;
    }
    timer.disarm();
  }

  /** Gives back what the attempt held: its slot (to the next waiter), its share of the retry budget. */
  private endAttempt(attempt: Attempt): void {
    const { slots } = this.router;
    if (attempt.slot) {
      attempt.slot = false;
      slots.release(attempt.deployment.id);
    }
    if (attempt.retry) {
      attempt.retry = false;
      slots.retryEnded(attempt.deployment.id);
    }
  }

  /** Records a failed attempt. Returns the failure, or undefined when the client is gone (no verdict). */
  failed(attempt: Attempt, error: unknown): GatewayError | undefined {
    attempt.timer.dispose();
    // An attempt that never got a slot never reached the upstream: nothing to say of its health.
    const reached = attempt.slot;
    this.endAttempt(attempt);
    const { deployment } = attempt;
    if (this.options.client.aborted) {
      this.record(attempt, 499, 'client_closed');
      this.router.health.released(deployment.id);
      return undefined;
    }
    const failure = this.asGatewayError(attempt, error);
    // The code the client is told, the provider's own included: what the ledger has always held.
    this.record(attempt, failure.status, failure.wireCode, failure.upstreamStatus);
    if (failure.kind === 'deployment_saturated') {
      // Our own limit: no second try of it in this request.
      this.router.slots.counters.saturated += 1;
      this.saturated ??= new Set();
      this.saturated.add(deployment.id);
    }
    if (!reached) this.router.health.released(deployment.id);
    else if (failure.retryable) {
      this.router.health.failed(deployment.id, failure.retryAfterMs);
    } else this.router.health.released(deployment.id);
    this.failures.push([deployment, failure]);
    return failure;
  }

  /** Records the attempt that served the answer. */
  succeeded(attempt: Attempt, latencyMs: number): void {
    attempt.timer.dispose();
    this.endAttempt(attempt);
    this.record(attempt, 200, null, 200);
    this.router.health.succeeded(attempt.deployment.id, latencyMs);
  }

  /** Every failure so far, as the one error the client gets. */
  failure(): GatewayError {
    return allFailed(this.failures);
  }

  /** The failure, when no deployment may take another attempt. */
  private noNext(): GatewayError {
    if (this.budgetSpent) this.router.slots.counters.budgetSpent += 1;
    return this.failure();
  }

  /** Waits before the next attempt, or throws when there must be none. */
  private async beforeNext(failure: GatewayError): Promise<void> {
    const { clock } = this.router;
    if (performance.now() >= this.deadline.at) throw this.failure();
    const next = this.pick(false);
    const decision = decideRetry(
      this.plan.policy,
      failure,
      this.made,
      // None left: asked as a second round, so that only a retry the policy allows counts as refused.
      next
        ? { tried: this.tried.includes(next.id), retryAfterMs: this.lastError(next.id)?.retryAfterMs }
        : { tried: true, retryAfterMs: undefined },
      this.startedAt + this.plan.timeouts.totalMs - clock.now(),
      clock.random(),
    );
    if (!decision.retry) throw this.failure();
    if (!next) throw this.noNext();
    if (decision.delayMs <= 0) return;
    try {
      // The policy keeps the delay within what is left of the deadline.
      await clock.sleep(decision.delayMs, this.options.client.signal);
    } catch (error) {
      if (this.options.client.aborted) throw error;
      throw this.failure();
    }
  }

  private asGatewayError(attempt: Attempt, error: unknown): GatewayError {
    const reason: unknown = attempt.timer.reason;
    if (reason instanceof GatewayError) return reason;
    if (error instanceof GatewayError) return error;
    return internalError(error);
  }

  private record(attempt: Attempt, status: number, code: string | null, upstreamStatus?: number): void {
    const { deployment } = attempt;
    const record: AttemptRecord = {
      deployment: deployment.id,
      provider: deployment.target.provider.id,
      upstream_model: deployment.target.upstreamModel,
      status,
      code,
      ms: Math.max(0, Math.round(this.router.clock.now() - attempt.startedAt)),
    };
    this.options.attempts.push(record);
    attempt.span?.end(record, upstreamStatus);
  }
}
