// Authorize: the requested model and every fallback resolve to a route (404 for an unknown one), and the
// key may use each of them (403 otherwise).
import type { Principal } from '../auth/authenticator.js';
import { modelIdProblem } from '../catalog/model-id.js';
import { forbidden, invalidRequest } from '../core/errors.js';
import type { Router } from '../router/router.js';
import type { RoutePlan } from '../router/routes.js';
import type { ParsedRequest } from './front-door.js';

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

export function authorize(router: Router, principal: Principal, parsed: ParsedRequest): RoutePlan {
  const { request, fallbacks } = parsed;
  checkModelId(router, request.model, 'model');
  for (const model of fallbacks) checkModelId(router, model, 'models');
  const plan = router.plan(request.model, fallbacks);
  if (principal.kind === 'key' && principal.key.allows) {
    for (const model of [request.model, ...fallbacks]) {
      if (!principal.key.allows(model)) {
        throw forbidden(`This API key is not allowed to use the model \`${model}\`.`, 'model_not_allowed');
      }
    }
  }
  return plan;
}
