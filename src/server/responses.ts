// The Responses API: POST /v1/responses (a front door of the pipeline, translated through the canonical
// chat request for every model), POST /v1/responses/compact (the output text only, as text/plain), and the
// stored responses: GET and DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items. A stored
// response is its account's alone: another account's is answered as not found.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { accountOf } from '../auth/principal.js';
import { openAIErrorBody } from '../core/error-renderers.js';
import { gatewayError, invalidRequest } from '../core/errors.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { FrontDoor } from '../pipeline/front-door.js';
import type { Store } from '../store/store.js';
import { mountFrontDoor } from './front-door.js';
import { refuseNul } from './nul-guard.js';
import { prepareResponsesDoor } from './responses/door.js';
import { StoredResponses } from './responses/stored-responses.js';

const DAY_MS = 86_400_000;

/** The door as mounted: every request gets its own (see prepareResponsesDoor); this one only renders errors. */
const errorsOnly: FrontDoor = {
  name: 'response',
  parse: () => {
    throw new Error('the Responses door is prepared per request');
  },
  answer: () => '',
  stream: () => {
    throw new Error('the Responses door is prepared per request');
  },
  errorBody: openAIErrorBody,
};

const notFound = (id: string) =>
  gatewayError('not_found', { message: `Response with id '${id}' not found.`, param: 'response_id' });

interface ItemsQuery {
  limit?: string;
  order?: string;
  after?: string;
}

function listParams(query: ItemsQuery) {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw invalidRequest("'limit' must be an integer from 1 to 100.", 'limit', 'invalid_value');
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw invalidRequest("'order' must be 'asc' or 'desc'.", 'order', 'invalid_value');
  return { limit, order, after: query.after };
}

export interface ResponsesRouteOptions {
  store: Store;
  /** How long stored responses are kept, in days (TOKGATE_RESPONSES_RETENTION_DAYS). */
  retentionDays: number;
  log: Logger;
}

export function registerResponsesRoutes(
  app: FastifyInstance,
  deps: PipelineDeps,
  options: ResponsesRouteOptions,
): void {
  const stored = new StoredResponses(options.store, options.retentionDays * DAY_MS, options.log);
  app.addHook('onClose', () => stored.close());

  const prepare = (compact: boolean) => (request: FastifyRequest) =>
    prepareResponsesDoor(request.body, request.rawJson, request.principal!, { stored }, compact);
  mountFrontDoor(app, '/v1/responses', errorsOnly, deps, { prepare: prepare(false) });
  mountFrontDoor(app, '/v1/responses/compact', errorsOnly, deps, {
    prepare: prepare(true),
    contentType: 'text/plain; charset=utf-8',
  });

  app.get<{ Params: { id: string } }>(
    '/v1/responses/:id',
    { preHandler: refuseNul },
    async (request, reply) => {
      const found = await stored.get(request.params.id, accountOf(request.principal!));
      if (!found) throw notFound(request.params.id);
      return reply.type('application/json').send(found.responseJson);
    },
  );

  app.delete<{ Params: { id: string } }>('/v1/responses/:id', { preHandler: refuseNul }, async (request) => {
    const { id } = request.params;
    if (!(await stored.delete(id, accountOf(request.principal!)))) throw notFound(id);
    return { id, object: 'response', deleted: true };
  });

  app.get<{ Params: { id: string }; Querystring: ItemsQuery }>(
    '/v1/responses/:id/input_items',
    { preHandler: refuseNul },
    async (request) => {
      const { limit, order, after } = listParams(request.query);
      const found = await stored.get(request.params.id, accountOf(request.principal!));
      if (!found) throw notFound(request.params.id);
      const items = order === 'desc' ? [...found.input].reverse() : found.input;
      const start = after === undefined ? 0 : items.findIndex((item) => item.id === after) + 1;
      const data = items.slice(start, start + limit);
      return {
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
        has_more: start + limit < items.length,
      };
    },
  );
}
