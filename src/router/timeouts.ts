// Timeouts as AbortSignals: a request's total deadline, and the per-attempt first-token, idle and response
// timers. Each aborts with a retryable 504 `upstream_timeout` GatewayError as its reason, which is how the
// executor tells a timeout from a client that went away.
import { performance } from 'node:perf_hooks';
import { type GatewayError, gatewayError } from '../core/errors.js';
import type { CallSignal } from '../core/types.js';

export type TimeoutStage = 'first_token' | 'idle' | 'response' | 'total';

const STAGE_TEXT: Record<TimeoutStage, string> = {
  first_token: 'sent no first token in time',
  idle: 'stopped sending in the middle of the stream',
  response: 'sent no answer in time',
  total: 'did not finish within the request deadline',
};

export function upstreamTimeout(provider: string, stage: TimeoutStage, ms: number): GatewayError {
  return gatewayError('upstream_timeout', {
    message: `Upstream provider '${provider}' ${STAGE_TEXT[stage]} (${stage} timeout, ${ms} ms).`,
    provider,
  });
}

/** A hard limit a TimedSignal never waits past, whatever it is armed with: the request's total deadline. */
export interface TimeLimit {
  /** performance.now() time. */
  at: number;
  reason: () => GatewayError;
}

const abortError = () => new DOMException('This operation was aborted', 'AbortError');

/**
 * An abort others can follow, as a CallSignal (what providers and undici listen on). Listeners are a plain
 * array, not an EventTarget: creating an AbortController per request and per attempt, and listening on it,
 * was a measurable share of a small request's CPU. Each listener is called once, at the abort.
 */
class Abortable implements CallSignal {
  aborted = false;
  /** Why it aborted (set at the abort, never undefined after it). */
  reason: unknown;
  private listeners: Array<() => void> | undefined;

  addEventListener(type: 'abort', listener: () => void): void {
    if (type !== 'abort' || this.aborted) return;
    if (this.listeners) this.listeners.push(listener);
    else this.listeners = [listener];
  }

  removeEventListener(type: 'abort', listener: () => void): void {
    const listeners = this.listeners;
    if (type !== 'abort' || !listeners) return;
    const i = listeners.lastIndexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  }

  /** Aborts, once: returns false when it already had. */
  protected settle(reason: unknown): boolean {
    if (this.aborted) return false;
    this.aborted = true;
    this.reason = reason ?? abortError();
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
    return true;
  }
}

/**
 * The client's side of a request: aborted when the client goes away. A real AbortSignal is made only when
 * something asks for one (a retry delay, an idempotency wait).
 */
export class ClientAbort extends Abortable {
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    if (this.settle(reason)) this.controller?.abort(this.reason);
  }
}

/**
 * An attempt's signal: follows the client, with one re-armable timer that aborts it, never later than its
 * limit. Re-arming is cheap (it is done for every chunk of a stream): it moves a deadline, and the one
 * timer, when it fires early, sleeps again for what is left. One per attempt: the request's total deadline
 * is the limit, not a controller of its own. It is itself the provider's CallSignal (undici listens on it),
 * so an attempt makes no AbortController.
 */
export class TimedSignal extends Abortable {
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private deadline = 0;
  private timeout: (() => GatewayError) | undefined;
  private readonly onParentAbort = () => this.abort(this.parent.reason);
  private readonly fire = () => {
    this.timer = undefined;
    if (this.timeout === undefined) return; // disarmed meanwhile
    const left = this.deadline - performance.now();
    if (left > 1) this.schedule(left);
    else this.abort(this.timeout());
  };

  constructor(
    private readonly parent: ClientAbort,
    private readonly limit?: TimeLimit,
  ) {
    super();
    if (parent.aborted) this.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort);
  }

  /** (Re)starts the timer: after `ms` (or at the limit, if sooner), abort with `reason()` (or the limit's). */
  arm(ms: number, reason: () => GatewayError): void {
    if (this.aborted) return;
    const now = performance.now();
    if (this.limit !== undefined && this.limit.at <= now + ms) {
      this.deadline = this.limit.at;
      this.timeout = this.limit.reason;
    } else {
      this.deadline = now + ms;
      this.timeout = reason;
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
    this.timeout = undefined;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  abort(reason: unknown): void {
    this.disarm();
    this.clearTimer();
    this.settle(reason);
  }

  /** Stops following the client; call when the attempt or request is over. */
  dispose(): void {
    this.disarm();
    this.clearTimer();
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}

/** Resolves with the iterator's next result, or rejects as soon as `timer` aborts (then stops the iterator). */
export function nextOrAbort<T>(iterator: AsyncIterator<T>, timer: TimedSignal): Promise<IteratorResult<T>> {
  if (timer.aborted) return Promise.reject(timer.reason);
  // The provider sees the same signal and stops; make sure its generator is closed too.
  return settleOrAbort(iterator.next(), timer, () => {
    void Promise.resolve(iterator.return?.(undefined)).catch(() => undefined);
  });
}

/**
 * Settles with the promise, or rejects as soon as `timer` aborts (after `onAbort`), so a provider slow to
 * notice the abort cannot hold us.
 */
export function settleOrAbort<T>(promise: Promise<T>, timer: TimedSignal, onAbort?: () => void): Promise<T> {
  if (timer.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(timer.reason);
  }
  return new Promise((resolve, reject) => {
    const fail = () => {
      promise.catch(() => undefined);
      onAbort?.();
      reject(timer.reason);
    };
    timer.addEventListener('abort', fail);
    promise.then(
      (value) => {
        timer.removeEventListener('abort', fail);
        resolve(value);
      },
      (error: unknown) => {
        timer.removeEventListener('abort', fail);
        reject(error);
      },
    );
  });
}
