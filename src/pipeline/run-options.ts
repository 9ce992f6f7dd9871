import type { RunOptions } from '../router/executor.js';
import type { Deployment } from '../router/routes.js';
import type { Exchange, OperationRequest } from './exchange.js';

/** The executor's options for an exchange: its client's abort, and its attempts recorded on it. */
export const runOptions = (exchange: Exchange<OperationRequest>): RunOptions => ({
  client: exchange.client,
  attempts: exchange.attempts,
  onAttempt: (deployment: Deployment) => {
    exchange.deployment = deployment;
  },
  ...(exchange.report.trace ? { tracer: exchange.report.trace.attempts } : {}),
});
