// Helpers for the CallSignal a provider gets (core/types.ts).
import type { CallSignal } from './types.js';

/**
 * An AbortController that also aborts, with the same reason, when `parent` does: for a fan-out of several
 * calls that one failure (or the end of the consumer) must stop, besides the caller's own abort.
 */
export function linkedController(parent: CallSignal): AbortController {
  const controller = new AbortController();
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  return controller;
}
