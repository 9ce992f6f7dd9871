// Authorize: the requested model and every fallback resolve to a route (404 for an unknown one) of models
// that do what the door asks (400: an embedding model on chat, a chat model on embeddings), and the key
// may use each of them (403 otherwise).
import type { Principal } from '../auth/authenticator.js';
import { modelIdProblem } from '../catalog/model-id.js';
import type { Operation } from '../core/embeddings.js';
import { forbidden, invalidRequest } from '../core/errors.js';
import type { Router } from '../router/router.js';
import type { RoutePlan } from '../router/routes.js';

/** The models a request names: the one it asks for, and those it may fall back to. */
export interface NamedModels {
  request: { model: string };
  fallbacks: readonly string[];
}

/** Refuses a model id outside the grammar, unless it names a configured route (those come from config). */
function checkModelId(router: Router, model: string, param: string): void {
  if (router.routes.has(model)) return;
  const problem = modelIdProblem(model);
  if (problem) {
    // The id is not quoted back: it may be long or hold control characters.
    throw invalidRequest(
      `Invalid model id: ${problem}. Model ids look like 'provider/model-name'.`,
      param,
      'invalid_value',
    );
  }
}

/** Each kind of model, as an error names it, and the door that serves it. */
const KINDS: Record<Operation, { noun: string; door: string }> = {
  chat: { noun: 'a chat model', door: '/v1/chat/completions' },
  embedding: { noun: 'an embedding model', door: '/v1/embeddings' },
  rerank: { noun: 'a rerank model', door: '/v1/rerank' },
  speech: { noun: 'a speech model', door: '/v1/audio/speech' },
  transcription: { noun: 'a transcription model', door: '/v1/audio/transcriptions' },
  image: { noun: 'an image model', door: '/v1/images/generations' },
};

/** Refuses a plan with a deployment the catalog knows as another kind of model. */
function checkKind(plan: RoutePlan, operation: Operation): void {
  for (const group of plan.groups) {
    for (const { target } of group.deployments) {
      const kind = target.entry?.kind;
      if (kind === undefined || kind === operation) continue;
      throw invalidRequest(
        `The model \`${target.model}\` is ${KINDS[kind].noun}, not ${KINDS[operation].noun}: use it with ${KINDS[kind].door}.`,
        'model',
        'invalid_value',
      );
    }
  }
}

export function authorize(
  router: Router,
  principal: Principal,
  parsed: NamedModels,
  operation: Operation = 'chat',
): RoutePlan {
  const { request, fallbacks } = parsed;
  checkModelId(router, request.model, 'model');
  for (const model of fallbacks) checkModelId(router, model, 'models');
  const plan = router.plan(request.model, fallbacks);
  checkKind(plan, operation);
  if (principal.kind === 'key' && principal.key.allows) {
    for (const model of [request.model, ...fallbacks]) {
      if (!principal.key.allows(model)) {
        throw forbidden(`This API key is not allowed to use the model \`${model}\`.`, 'model_not_allowed');
      }
    }
  }
  return plan;
}
