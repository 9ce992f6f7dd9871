// What the tenant is charged for a metered answer: the meters price at list price (what the answer cost
// upstream); the account's price plan, if any, makes that the tenant's price (accounting/plans.ts). Every
// door's measurement passes through here before it is answered, settled and recorded.
import type { Metered } from '../accounting/meter.js';
import { chargeByPlan } from '../accounting/plans.js';
import { accountOf } from '../auth/principal.js';
import type { PipelineDeps } from './deps.js';
import type { Exchange, OperationRequest } from './exchange.js';

export function charged<R extends OperationRequest>(
  deps: PipelineDeps,
  exchange: Exchange<R>,
  metered: Metered,
): Metered {
  if (!deps.plans) return metered;
  const { target } = exchange;
  const rate = deps.plans.rateFor(accountOf(exchange.principal), target.entry?.id ?? target.model);
  return chargeByPlan(rate, target.entry?.price, metered);
}
