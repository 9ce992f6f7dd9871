// Authorize: the requested model and every fallback resolve to a route (404 for an unknown one), and the
// key may use each of them (403 otherwise).
import type { Principal } from '../auth/authenticator.js';
import { forbidden } from '../core/errors.js';
import type { Router } from '../router/router.js';
import type { RoutePlan } from '../router/routes.js';
import type { ParsedRequest } from './front-door.js';

export function authorize(router: Router, principal: Principal, parsed: ParsedRequest): RoutePlan {
  const { request, fallbacks } = parsed;
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
