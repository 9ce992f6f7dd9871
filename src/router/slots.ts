// Resource limits per deployment (`provider/model`), shared by every request: at most `maxInFlight` upstream
// calls at once, the calls over it waiting in a bounded FIFO queue (Envoy's circuit breaker: max_requests,
// max_pending_requests), and a retry budget (Envoy's: retries at once at most a percentage of the active
// requests, but always a minimum). An uncontended acquire and release only count; a waiter is allocated only
// when a call has to wait. A deployment's limit is the same in every route (the config refuses otherwise).
import type { SlotLimits } from '../config/config.js';

/** Deployments tracked at most, like the health board (model ids without a route are deployments too). */
const MAX_DEPLOYMENTS = 10_000;

const QUEUED = 0;
const GRANTED = 1;
const LEFT = 2;

/** A call waiting for a slot: a node of its deployment's queue. */
export class Waiter {
  next: Waiter | undefined;
  prev: Waiter | undefined;
  state: typeof QUEUED | typeof GRANTED | typeof LEFT = QUEUED;

  constructor(readonly grant: () => void) {}
}

class DeploymentSlots {
  inFlight = 0;
  queued = 0;
  /** Attempts in flight or queued that retry a deployment already tried by their request. */
  retries = 0;
  head: Waiter | undefined;
  tail: Waiter | undefined;

  constructor(readonly max: number) {}

  unlink(waiter: Waiter): void {
    if (waiter.prev) waiter.prev.next = waiter.next;
    else this.head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else this.tail = waiter.prev;
    waiter.next = undefined;
    waiter.prev = undefined;
    this.queued -= 1;
  }
}

export interface RetryBudget {
  /** Retries at once, as a percentage of the deployment's active requests (in flight and queued). */
  percent: number;
  /** Retries always allowed at once, however few requests are active. */
  minConcurrency: number;
}

export interface SlotSnapshot {
  id: string;
  max: number;
  inFlight: number;
  queued: number;
  retries: number;
}

/** What the router did, counted since the start (read by the metrics at scrape time). */
export class RouterCounters {
  /** A request's first attempt. */
  first = 0;
  /** A later attempt on a deployment the request had not tried (the route's next one, or `models`). */
  fallback = 0;
  /** A second attempt on a deployment the request already tried. */
  retry = 0;
  /** Attempts that found their deployment saturated (queue full, or waited too long). */
  saturated = 0;
  /** Requests that ended without the retry they could have had, their deployments' budget spent. */
  budgetSpent = 0;
}

export class SlotBoard {
  private readonly deployments = new Map<string, DeploymentSlots>();
  readonly counters = new RouterCounters();

  constructor(
    private readonly limits: SlotLimits,
    private readonly budget: RetryBudget,
  ) {}

  get queueTimeoutMs(): number {
    return this.limits.queueTimeoutMs;
  }

  private get(id: string): DeploymentSlots {
    let slots = this.deployments.get(id);
    if (!slots) {
      if (this.deployments.size >= MAX_DEPLOYMENTS) {
        for (const [old, entry] of this.deployments) {
          if (entry.inFlight === 0 && entry.queued === 0 && entry.retries === 0) {
            this.deployments.delete(old);
            break;
          }
        }
      }
      slots = new DeploymentSlots(this.limits.perDeployment[id] ?? this.limits.maxInFlight);
      this.deployments.set(id, slots);
    }
    return slots;
  }

  /** Takes a slot if one is free and nobody waits for one (FIFO: no overtaking the queue). */
  tryAcquire(id: string): boolean {
    const slots = this.get(id);
    if (slots.inFlight >= slots.max || slots.queued > 0) return false;
    slots.inFlight += 1;
    return true;
  }

  /**
   * Joins the deployment's queue; `grant` is called when a slot is handed over (the slot is then the
   * waiter's). Undefined when the queue is full.
   */
  enqueue(id: string, grant: () => void): Waiter | undefined {
    const slots = this.get(id);
    if (slots.queued >= this.limits.maxQueued) return undefined;
    const waiter = new Waiter(grant);
    waiter.prev = slots.tail;
    if (slots.tail) slots.tail.next = waiter;
    else slots.head = waiter;
    slots.tail = waiter;
    slots.queued += 1;
    return waiter;
  }

  /** The waiter gives up (client gone, waited too long): out of the queue, or its slot back if it had one. */
  leave(id: string, waiter: Waiter): void {
    if (waiter.state === LEFT) return;
    const granted = waiter.state === GRANTED;
    waiter.state = LEFT;
    if (granted) this.release(id);
    else this.get(id).unlink(waiter);
  }

  /** Gives a slot back: straight to the longest waiter if there is one. */
  release(id: string): void {
    const slots = this.get(id);
    const waiter = slots.head;
    if (!waiter) {
      slots.inFlight = Math.max(0, slots.inFlight - 1);
      return;
    }
    slots.unlink(waiter);
    waiter.state = GRANTED;
    waiter.grant();
  }

  /** Whether a retry could go to the deployment now (does not claim it). */
  retryAllowed(id: string): boolean {
    const slots = this.get(id);
    const active = slots.inFlight + slots.queued;
    return slots.retries < Math.max(this.budget.minConcurrency, (active * this.budget.percent) / 100);
  }

  /** A retry starts (after `retryAllowed` said yes): it counts until `retryEnded`. */
  retryBegan(id: string): void {
    this.get(id).retries += 1;
  }

  retryEnded(id: string): void {
    const slots = this.get(id);
    slots.retries = Math.max(0, slots.retries - 1);
  }

  /** Calls in flight and queued over every deployment (walks them all: for scrapes, not the hot path). */
  totals(): { inFlight: number; queued: number } {
    let inFlight = 0;
    let queued = 0;
    for (const slots of this.deployments.values()) {
      inFlight += slots.inFlight;
      queued += slots.queued;
    }
    return { inFlight, queued };
  }

  snapshot(id: string): SlotSnapshot {
    const { max, inFlight, queued, retries } = this.get(id);
    return { id, max, inFlight, queued, retries };
  }
}
