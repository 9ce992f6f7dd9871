// What one request did, gathered while it runs, for what is written once it is over: its one log line, the
// request metrics, its span's outcome, and the ledger row of a refusal the pipeline did not record. The
// HTTP layer makes it when the request arrives; the pipeline's settle stage fills it in.
import { performance } from 'node:perf_hooks';
import type { RequestStatus } from '../accounting/ledger-record.js';
import type { RequestTrace } from './tracing.js';

export class RequestReport {
  readonly started = performance.now();
  /** The model asked for, as the ledger keeps it (capped, cleaned). */
  model: string | undefined;
  /** The provider that served the answer (or whose attempt failed last); `cache` for a cache hit. */
  provider: string | undefined;
  /** The pipeline's outcome, once it settled the request. */
  status: RequestStatus | undefined;
  errorCode: string | null = null;
  /** The error as the client was told it (secrets masked). */
  error: string | undefined;
  /** The pipeline's own fields for the log line (deployment, attempts, tokens, ...). */
  fields: Record<string, unknown> | undefined;
  /** The pipeline wrote the request's ledger row. */
  ledgered = false;
  /** The request's span, when tracing is on. */
  trace: RequestTrace | undefined;
  private running = false;
  private pending: (() => void) | undefined;

  constructor(
    /** The front door of the route, when it is one (its name, as the ledger's `door`). */
    readonly door: string | undefined,
  ) {}

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  /** Runs a door's handler; a response that ends before it (the client left) is written up when it ends. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.running = true;
    try {
      return await work();
    } finally {
      this.running = false;
      const pending = this.pending;
      this.pending = undefined;
      pending?.();
    }
  }

  /** Calls `write` now, or when the handler running the request has ended (its settle comes first). */
  whenSettled(write: () => void): void {
    if (this.running) this.pending = write;
    else write();
  }
}
