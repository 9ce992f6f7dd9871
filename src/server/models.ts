// GET /v1/models and GET /v1/models/{id} (OpenAI's Model objects; an id holds a `/`, `openai/gpt-4o`), and
// GET /v1beta/models (the same OpenAI-shaped list, for Gemini clients too): the models of the enabled
// providers and the routes, narrowed to what the key may use.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { modelNotFound } from '../core/errors.js';
import type { Router } from '../router/router.js';

export function registerModelRoutes(scope: FastifyInstance, router: Router): void {
  const visible = (request: FastifyRequest) => {
    const principal = request.principal!;
    const models = router.listModels();
    return principal.kind === 'key' && principal.key.allows
      ? models.filter((m) => principal.key.allows!(m.id))
      : models;
  };
  const list = async (request: FastifyRequest, reply: FastifyReply) =>
    reply.type('application/json').send(JSON.stringify({ object: 'list', data: visible(request) }));
  scope.get('/v1/models', list);
  scope.get('/v1beta/models', list);
  // The wildcard takes the rest of the path, slashes included (`/v1/models/openai/gpt-4o`, or with the
  // slash percent-encoded as the openai SDK sends it).
  scope.get<{ Params: { '*': string } }>('/v1/models/*', async (request, reply) => {
    const id = request.params['*'];
    const model = visible(request).find((m) => m.id === id);
    if (!model) throw modelNotFound(id);
    return reply.type('application/json').send(JSON.stringify(model));
  });
}
