// GET /v1/models and GET /v1/models/{id} (OpenAI's Model objects; an id holds a `/`, `openai/gpt-4o`), and
// GET /v1beta/models (the same OpenAI-shaped list, for Gemini clients too): the models of the enabled
// providers and the routes, narrowed to what the key may use. `?kind=image` (tokgate's; the console's
// playground asks it) narrows the list to one kind of model, the catalog's (a route's: its deployments').
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Operation } from '../core/embeddings.js';
import { invalidRequest, modelNotFound } from '../core/errors.js';
import type { Router } from '../router/router.js';

const KINDS: readonly Operation[] = ['chat', 'embedding', 'rerank', 'speech', 'transcription', 'image'];

export function registerModelRoutes(scope: FastifyInstance, router: Router): void {
  const visible = (request: FastifyRequest) => {
    const principal = request.principal!;
    const models = router.listModels();
    return principal.kind === 'key' && principal.key.allows
      ? models.filter((m) => principal.key.allows!(m.id))
      : models;
  };
  /** A listed model's kind: its catalog entry's, a route's first known deployment's; chat when unknown. */
  const kindOf = (id: string): Operation => {
    for (const group of router.plan(id).groups)
      for (const { target } of group.deployments) if (target.entry) return target.entry.kind;
    return 'chat';
  };
  const list = async (request: FastifyRequest<{ Querystring: { kind?: unknown } }>, reply: FastifyReply) => {
    const { kind } = request.query;
    if (kind !== undefined && !KINDS.includes(kind as Operation))
      throw invalidRequest(`Invalid 'kind': expected one of ${KINDS.join(', ')}.`, 'kind', 'invalid_value');
    const models = visible(request);
    const data = kind === undefined ? models : models.filter((m) => kindOf(m.id) === kind);
    return reply.type('application/json').send(JSON.stringify({ object: 'list', data }));
  };
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
