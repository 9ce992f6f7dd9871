// Headers every upstream call of the current attempt carries besides its provider's own: the W3C trace
// context (`traceparent`) when tracing is on. Set around an attempt by the router, read by the one
// outbound HTTP module, so no provider needs to know about tracing. Nothing is ever set when tracing is
// off, and reading an AsyncLocalStorage that was never entered costs next to nothing.
import { AsyncLocalStorage } from 'node:async_hooks';

const outbound = new AsyncLocalStorage<Readonly<Record<string, string>>>();

/** Runs `work` (and everything it starts) with these headers added to its upstream calls. */
export function withOutboundHeaders<T>(headers: Readonly<Record<string, string>>, work: () => T): T {
  return outbound.run(headers, work);
}

/** The headers to add to an upstream call made now, if any. */
export function outboundHeaders(): Readonly<Record<string, string>> | undefined {
  return outbound.getStore();
}
