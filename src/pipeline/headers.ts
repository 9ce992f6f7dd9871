// The gateway's own response headers: who served the answer, after how many attempts, what admission
// changed, and what was dropped or is worth knowing (`x-tokgate-warnings`).
import type { Exchange, OperationRequest } from './exchange.js';

function headerSafe(warnings: readonly string[]): string {
  // Header values must be visible ASCII; warnings are written by us but may quote user input.
  return warnings
    .join('; ')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 2000);
}

export function gatewayHeaders(
  exchange: Exchange<OperationRequest>,
  warnings: readonly string[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  const target = exchange.deployment?.target;
  if (target) {
    headers['x-tokgate-provider'] = target.provider.id;
    // The model id may be the client's own text: visible ASCII, bounded, like the warnings.
    headers['x-tokgate-deployment'] = headerSafe([target.model]);
  }
  headers['x-tokgate-attempts'] = String(Math.max(1, exchange.attempts.length));
  Object.assign(headers, exchange.admission?.headers);
  const all = [...exchange.notes, ...warnings];
  if (target && !target.entry?.price)
    all.push(`model '${target.model}' has no price; usage is recorded unpriced`);
  if (all.length > 0) headers['x-tokgate-warnings'] = headerSafe(all);
  return headers;
}

/** The headers of a failed request: how many attempts it took, when any were made. */
export function failureHeaders(exchange: Exchange<OperationRequest>): Record<string, string> {
  return exchange.attempts.length > 0 ? { 'x-tokgate-attempts': String(exchange.attempts.length) } : {};
}
