// Timeouts as AbortSignals: a request's total deadline, and the per-attempt first-token, idle and response
// timers. Each aborts with a retryable 504 `upstream_timeout` GatewayError as its reason, which is how the
// executor tells a timeout from a client that went away.
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../core/errors.js';

export type TimeoutStage = 'first_token' | 'idle' | 'response' | 'total';

const STAGE_TEXT: Record<TimeoutStage, string> = {
  first_token: 'sent no first token in time',
  idle: 'stopped sending in the middle of the stream',
  response: 'sent no answer in time',
  total: 'did not finish within the request deadline',
};

export function upstreamTimeout(provider: string, stage: TimeoutStage, ms: number): GatewayError {
  return new GatewayError(
    `Upstream provider '${provider}' ${STAGE_TEXT[stage]} (${stage} timeout, ${ms} ms).`,
    {
      status: 504,
      type: 'timeout_error',
      code: 'upstream_timeout',
      retryable: true,
      provider,
    },
  );
}

/** A hard limit a TimedSignal never waits past, whatever it is armed with: the request's total deadline. */
export interface TimeLimit {
  /** performance.now() time. */
  at: number;
  reason: () => GatewayError;
}

/**
 * An AbortController that follows a parent signal, with one re-armable timer that aborts it, never later
 * than its limit. Re-arming is cheap (it is done for every chunk of a stream): it moves a deadline, and the
 * one timer, when it fires early, sleeps again for what is left. One per attempt: the request's total
 * deadline is the limit, not a controller of its own.
 */
export class TimedSignal {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private deadline = 0;
  private reason: (() => GatewayError) | undefined;
  private readonly onParentAbort = () => this.abort(this.parent.reason);
  private readonly fire = () => {
    this.timer = undefined;
    if (this.reason === undefined) return; // disarmed meanwhile
    const left = this.deadline - performance.now();
    if (left > 1) this.schedule(left);
    else this.abort(this.reason());
  };

  constructor(
    private readonly parent: AbortSignal,
    private readonly limit?: TimeLimit,
  ) {
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** (Re)starts the timer: after `ms` (or at the limit, if sooner), abort with `reason()` (or the limit's). */
  arm(ms: number, reason: () => GatewayError): void {
    if (this.controller.signal.aborted) return;
    const now = performance.now();
    if (this.limit !== undefined && this.limit.at <= now + ms) {
      this.deadline = this.limit.at;
      this.reason = this.limit.reason;
    } else {
      this.deadline = now + ms;
      this.reason = reason;
    }
    // A timer due later than the new deadline would fire late: start over. One due earlier just re-sleeps.
    if (this.timer !== undefined && this.timerDue > this.deadline + 1) this.clearTimer();
    if (this.timer === undefined) this.schedule(Math.max(0, this.deadline - now));
  }

  private schedule(ms: number): void {
    this.timerDue = performance.now() + ms;
    this.timer = setTimeout(this.fire, ms);
  }

  /** Stops the countdown. The timer itself is left to lapse, so a re-arm (every stream chunk) reuses it. */
  disarm(): void {
    this.reason = undefined;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  abort(reason: unknown): void {
    this.disarm();
    this.clearTimer();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Stops following the parent; call when the attempt or request is over. */
  dispose(): void {
    this.disarm();
    this.clearTimer();
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}

/**
 * One abort listener per signal, however many waits happen on it (a stream waits once per chunk): it fails
 * whichever wait is current. (A Promise.race against a shared abort promise would pile one reaction per
 * chunk onto that promise for the life of the stream.)
 */
class AbortGate {
  readonly waits = new Set<(reason: unknown) => void>();

  constructor(signal: AbortSignal) {
    signal.addEventListener(
      'abort',
      () => {
        for (const fail of this.waits) fail(abortReason(signal));
        this.waits.clear();
      },
      { once: true },
    );
  }
}

const gates = new WeakMap<AbortSignal, AbortGate>();

/** Resolves with the iterator's next result, or rejects as soon as `signal` aborts (then stops it). */
export function nextOrAbort<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  let gate = gates.get(signal);
  if (!gate) {
    gate = new AbortGate(signal);
    gates.set(signal, gate);
  }
  const { waits } = gate;
  const next = iterator.next();
  return new Promise<IteratorResult<T>>((resolve, reject) => {
    const fail = (reason: unknown) => {
      // The provider sees the same signal and stops; make sure its generator is closed too.
      next.catch(() => undefined);
      void Promise.resolve(iterator.return?.(undefined)).catch(() => undefined);
      reject(reason);
    };
    waits.add(fail);
    next.then(
      (result) => {
        waits.delete(fail);
        resolve(result);
      },
      (error: unknown) => {
        waits.delete(fail);
        reject(error);
      },
    );
  });
}

/** Same for a promise (a non-streaming call), so a provider slow to notice the abort cannot hold us. */
export function settleOrAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
