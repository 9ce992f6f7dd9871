// What the pipeline's stages need, built once per gateway and shared by every front door.
import type { Logger } from 'pino';
import type { Admitter } from '../accounting/admission.js';
import type { Ledger } from '../accounting/ledger.js';
import type { Meter } from '../accounting/meter.js';
import type { PlanBook } from '../accounting/plans.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { Redactor } from '../core/redact.js';
import type { Router } from '../router/router.js';
import type { Metrics } from './metrics.js';

export interface PipelineDeps {
  router: Router;
  admitter: Admitter;
  meter: Meter;
  ledger: Ledger;
  metrics: Metrics;
  log: Logger;
  /** The exact-match response cache, used when a request asks for it (`x-tokgate-cache: true`). */
  cache: ResponseCache;
  /** Masks the gateway's own secrets (provider keys, the admin key) in text bound for a client. */
  redact: Redactor;
  /** Price plans (none: every account pays list prices). */
  plans?: PlanBook | undefined;
}
