// GET /health (liveness: the process answers), GET /ready (readiness: 503 while the database is down or
// the ledger is stalled, with what Redis and the ledger's spool are doing), GET /metrics.
import type { FastifyInstance } from 'fastify';
import { bearerToken, hashesEqual, hashKey } from '../auth/key-format.js';
import { unauthorized } from '../core/errors.js';
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

/**
 * With a metrics token (TOKGATE_METRICS_TOKEN), /metrics needs `Authorization: Bearer <token>` and /ready
 * tells its details (database errors, ledger state) only to that token; its status code, all a load
 * balancer needs, stays public.
 */
function tokenCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = hashKey(token);
  return (authorization) => hashesEqual(hashKey(bearerToken(authorization)), expected);
}

export function registerHealthRoutes(
  app: FastifyInstance,
  store: Store,
  metrics: Metrics,
  probe: Readiness,
  metricsToken: string | undefined,
): void {
  const trusted = tokenCheck(metricsToken);

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (request, reply) => {
    const detailed = trusted(request.headers.authorization);
    const answer = (code: number, body: { status: string; database: string }) => {
      if (!detailed) return reply.code(code).send({ status: body.status });
      return reply.code(code).send({ ...body, redis: probe.redis(), ledger: probe.ledger() });
    };
    try {
      await withTimeout(store.ping(), PING_TIMEOUT_MS);
    } catch (error) {
      return answer(503, { status: 'not_ready', database: String((error as Error).message) });
    }
    // The database answers but the ledger writes nothing: answered requests are not being recorded.
    if (probe.ledger().status === 'stalled') return answer(503, { status: 'not_ready', database: 'ok' });
    return answer(200, { status: 'ready', database: 'ok' });
  });

  app.get('/metrics', async (request, reply) => {
    if (!trusted(request.headers.authorization)) throw unauthorized('/metrics needs the metrics token.');
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
