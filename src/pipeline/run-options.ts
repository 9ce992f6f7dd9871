import type { RunOptions } from '../router/executor.js';
import type { Deployment } from '../router/routes.js';
import type { Exchange, OperationRequest } from './exchange.js';

/**
 * The executor's options for an exchange: its client's abort, and its attempts recorded on it. Every member
 * is written in the literal: a member added to a spread copy takes a slow path in V8 (~1 µs a request).
 */
export const runOptions = (exchange: Exchange<OperationRequest>, relayChunks = false): RunOptions => ({
  client: exchange.client,
  attempts: exchange.attempts,
  onAttempt: (deployment: Deployment) => {
    exchange.deployment = deployment;
  },
  tracer: exchange.report.trace?.attempts,
  relayChunks,
});
