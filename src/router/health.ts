// Health per deployment (`provider/model`), shared by every request: a decaying latency estimate (time to
// first token for streams, the whole answer otherwise) and the
// load in flight (for the balancer), and a circuit breaker. The circuit opens after N consecutive failures,
// or when the failure ratio over a window passes a threshold, or for as long as a 429's Retry-After asks;
// once the cooldown is over it is half-open: one probe request goes through, and its outcome closes the
// circuit or opens it again. Only upstream trouble counts: retryable failures and timeouts, never a
// request the upstream rejected as invalid, nor a client that went away.
import type { Clock } from '../core/clock.js';

export interface CircuitSettings {
  consecutiveFailures: number;
  errorRatio: number;
  minRequests: number;
  windowMs: number;
  cooldownMs: number;
}

export interface HealthSettings {
  circuit: CircuitSettings;
  latencyHalfLifeMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Deployments tracked at most (model ids without a route are deployments too). */
const MAX_DEPLOYMENTS = 10_000;

/** The least weight a new latency sample gets in the average. */
const MIN_SAMPLE_WEIGHT = 0.2;

/** Outcomes kept per deployment for the error ratio (the window is also bounded in time). */
const MAX_WINDOW_SAMPLES = 1_000;

/**
 * The latest outcomes, oldest first, in a fixed ring (every request adds one: no allocation, no shifting),
 * with the failures among them counted as they come and go.
 */
class OutcomeWindow {
  // Grown on demand up to MAX_WINDOW_SAMPLES: most of the (up to 10k) deployments see few requests.
  private at = new Float64Array(16);
  private ok = new Uint8Array(16);
  private head = 0;
  size = 0;
  failures = 0;

  push(at: number, ok: boolean): void {
    if (this.size === this.at.length) {
      if (this.size < MAX_WINDOW_SAMPLES) this.grow();
      else this.shift();
    }
    const slot = (this.head + this.size) % this.at.length;
    this.at[slot] = at;
    this.ok[slot] = ok ? 1 : 0;
    this.size += 1;
    if (!ok) this.failures += 1;
  }

  /** Forgets outcomes older than `from`. */
  dropBefore(from: number): void {
    while (this.size > 0 && this.at[this.head]! < from) this.shift();
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.failures = 0;
  }

  private shift(): void {
    if (this.ok[this.head] === 0) this.failures -= 1;
    this.head = (this.head + 1) % this.at.length;
    this.size -= 1;
  }

  /** Doubles the ring, unrolled so the oldest outcome is first again. */
  private grow(): void {
    const capacity = Math.min(MAX_WINDOW_SAMPLES, this.at.length * 2);
    const at = new Float64Array(capacity);
    const ok = new Uint8Array(capacity);
    for (let i = 0; i < this.size; i += 1) {
      const slot = (this.head + i) % this.at.length;
      at[i] = this.at[slot]!;
      ok[i] = this.ok[slot]!;
    }
    this.at = at;
    this.ok = ok;
    this.head = 0;
  }
}

class DeploymentHealth {
  latencyMs: number | undefined;
  latencyAt = 0;
  inFlight = 0;
  consecutiveFailures = 0;
  readonly window = new OutcomeWindow();
  state: CircuitState = 'closed';
  openUntil = 0;
  probing = false;
}

export interface HealthSnapshot {
  id: string;
  state: CircuitState;
  latencyMs: number | undefined;
  errorRatio: number;
  inFlight: number;
  openUntil: number | undefined;
}

export class HealthBoard {
  private readonly deployments = new Map<string, DeploymentHealth>();

  constructor(
    private readonly settings: HealthSettings,
    private readonly clock: Clock,
  ) {}

  private get(id: string): DeploymentHealth {
    let health = this.deployments.get(id);
    if (!health) {
      // Clients may name any model of a provider: bound the map, forgetting the oldest idle entry.
      if (this.deployments.size >= MAX_DEPLOYMENTS) {
        for (const [old, entry] of this.deployments) {
          if (entry.inFlight === 0) {
            this.deployments.delete(old);
            break;
          }
        }
      }
      health = new DeploymentHealth();
      this.deployments.set(id, health);
    }
    return health;
  }

  /** The circuit's state now (an open circuit whose cooldown is over is half-open). */
  state(id: string): CircuitState {
    const health = this.get(id);
    if (health.state === 'open' && this.clock.now() >= health.openUntil) {
      health.state = 'half-open';
      health.probing = false;
    }
    return health.state;
  }

  /** Whether a request could go to the deployment now (does not claim the half-open probe). */
  available(id: string): boolean {
    const state = this.state(id);
    return state === 'closed' || (state === 'half-open' && !this.get(id).probing);
  }

  /** Claims the right to send one request now: always when closed, once (the probe) when half-open. */
  acquire(id: string): boolean {
    const state = this.state(id);
    const health = this.get(id);
    if (state === 'closed') return true;
    if (state === 'half-open' && !health.probing) {
      health.probing = true;
      return true;
    }
    return false;
  }

  /** When an open circuit lets a probe through again (0 when not open). */
  reopensAt(id: string): number {
    return this.state(id) === 'open' ? this.get(id).openUntil : 0;
  }

  began(id: string): void {
    this.get(id).inFlight += 1;
  }

  succeeded(id: string, latencyMs: number): void {
    const health = this.get(id);
    const now = this.clock.now();
    health.inFlight = Math.max(0, health.inFlight - 1);
    health.latencyMs =
      this.latencyNow(health, now) === undefined ? latencyMs : this.blend(health, latencyMs, now);
    health.latencyAt = now;
    health.consecutiveFailures = 0;
    this.push(health, now, true);
    if (health.state !== 'closed') {
      // The probe came back well: close, and forget the failures that opened the circuit.
      health.state = 'closed';
      health.probing = false;
      health.window.clear();
    }
  }

  /** A failure that says something about the deployment. `retryAfterMs`: it asked not to be called for so long. */
  failed(id: string, retryAfterMs?: number): void {
    const health = this.get(id);
    const now = this.clock.now();
    health.inFlight = Math.max(0, health.inFlight - 1);
    health.consecutiveFailures += 1;
    this.push(health, now, false);
    const { circuit } = this.settings;
    if (health.state !== 'closed') {
      this.open(health, now, Math.max(circuit.cooldownMs, retryAfterMs ?? 0));
      return;
    }
    const { failures, size } = health.window;
    const tripped =
      health.consecutiveFailures >= circuit.consecutiveFailures ||
      (size >= circuit.minRequests && failures / size >= circuit.errorRatio);
    if (tripped) this.open(health, now, Math.max(circuit.cooldownMs, retryAfterMs ?? 0));
    else if (retryAfterMs !== undefined && retryAfterMs > 0) this.open(health, now, retryAfterMs);
  }

  /** The attempt ended without a verdict (client gone, request rejected as invalid): frees the probe. */
  released(id: string): void {
    const health = this.get(id);
    health.inFlight = Math.max(0, health.inFlight - 1);
    health.probing = false;
  }

  /**
   * The balancer's cost: decayed latency × (load + 1), inflated by the error ratio (after Finagle's EWMA
   * load metric). A deployment never measured costs least, so it gets tried.
   */
  score(id: string): number {
    const health = this.get(id);
    const latency = this.latencyNow(health, this.clock.now()) ?? 0;
    const errorRatio = this.errorRatio(health, this.clock.now());
    return ((latency + 1) * (health.inFlight + 1)) / Math.max(0.05, 1 - errorRatio);
  }

  /** The deployments with health kept (at most MAX_DEPLOYMENTS), for metrics. */
  ids(): IterableIterator<string> {
    return this.deployments.keys();
  }

  snapshot(id: string): HealthSnapshot {
    const health = this.get(id);
    const now = this.clock.now();
    const state = this.state(id);
    return {
      id,
      state,
      latencyMs: this.latencyNow(health, now),
      errorRatio: this.errorRatio(health, now),
      inFlight: health.inFlight,
      openUntil: state === 'open' ? health.openUntil : undefined,
    };
  }

  private open(health: DeploymentHealth, now: number, forMs: number): void {
    health.state = 'open';
    health.openUntil = Math.max(health.openUntil, now + forMs);
    health.probing = false;
  }

  /** The estimate decays toward 0 while no samples come, so a deployment once slow gets tried again. */
  private latencyNow(health: DeploymentHealth, now: number): number | undefined {
    if (health.latencyMs === undefined) return undefined;
    return health.latencyMs * this.decay(now - health.latencyAt);
  }

  /**
   * An exponentially weighted average whose weight grows with the time since the last sample (a sample after
   * a long quiet counts fully), but never below MIN_SAMPLE_WEIGHT, so a burst of samples still moves it.
   */
  private blend(health: DeploymentHealth, sample: number, now: number): number {
    const current = this.latencyNow(health, now) ?? sample;
    const weight = Math.max(MIN_SAMPLE_WEIGHT, 1 - this.decay(now - health.latencyAt));
    return current + weight * (sample - current);
  }

  private decay(elapsedMs: number): number {
    return 2 ** (-Math.max(0, elapsedMs) / this.settings.latencyHalfLifeMs);
  }

  private push(health: DeploymentHealth, now: number, ok: boolean): void {
    this.prune(health, now);
    health.window.push(now, ok);
  }

  private prune(health: DeploymentHealth, now: number): void {
    health.window.dropBefore(now - this.settings.circuit.windowMs);
  }

  private errorRatio(health: DeploymentHealth, now: number): number {
    this.prune(health, now);
    const { failures, size } = health.window;
    return size === 0 ? 0 : failures / size;
  }
}
