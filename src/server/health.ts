import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import type { Metrics } from './metrics.js';

export function registerHealthRoutes(app: FastifyInstance, store: Store, metrics: Metrics): void {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    try {
      await store.ping();
      return { status: 'ready', database: 'ok' };
    } catch (error) {
      return reply.code(503).send({ status: 'not_ready', database: String((error as Error).message) });
    }
  });

  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
