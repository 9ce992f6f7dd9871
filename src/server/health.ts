// GET /health (liveness: the process answers), GET /ready (readiness: 503 while the database is down or
// the ledger is stalled, with what Redis and the ledger's spool are doing), GET /metrics.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../pipeline/metrics.js';
import type { Store } from '../store/store.js';

/** What /ready reports beyond the database; wired by the gateway (`AppDeps.readiness`). */
export interface Readiness {
  /** 'ok', 'disabled' (no REDIS_URL), or why Redis cannot be used. Redis down does not fail readiness. */
  redis(): string;
  /** `status: 'stalled'` (rows waiting, none written for the stall time) fails readiness. */
  ledger(): {
    buffered: number;
    spooled: number;
    error: string | undefined;
    status: 'ok' | 'stalled';
    last_write_ms_ago: number | null;
    dead_letters: number;
  };
}

const PING_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function registerHealthRoutes(
  app: FastifyInstance,
  store: Store,
  metrics: Metrics,
  probe: Readiness,
): void {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    const extra = { redis: probe.redis(), ledger: probe.ledger() };
    try {
      await withTimeout(store.ping(), PING_TIMEOUT_MS);
    } catch (error) {
      return reply
        .code(503)
        .send({ status: 'not_ready', database: String((error as Error).message), ...extra });
    }
    // The database answers but the ledger writes nothing: answered requests are not being recorded.
    if (extra.ledger.status === 'stalled')
      return reply.code(503).send({ status: 'not_ready', database: 'ok', ...extra });
    return { status: 'ready', database: 'ok', ...extra };
  });

  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
