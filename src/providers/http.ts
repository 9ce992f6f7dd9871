// The one module that talks HTTP to upstreams: one keep-alive connection pool per origin (undici), timeouts,
// and transport failures turned into GatewayErrors. Everything else calls `upstreamRequest`.
import type { Readable } from 'node:stream';
import { Agent, errors as undiciErrors } from 'undici';
import { GatewayError, gatewayError } from '../core/errors.js';
import type { CallSignal } from '../core/types.js';
import { invalidUpstreamResponse } from './upstream-error.js';

export interface HttpOptions {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { text(): Promise<string>; dump(): Promise<void> };
}

let agent: Agent | undefined;
let options: HttpOptions = { headersTimeoutMs: 300_000, bodyTimeoutMs: 600_000 };

export function configureHttp(next: HttpOptions): void {
  options = next;
}

function getAgent(): Agent {
  agent ??= new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    // Streams hold a connection for their whole length: allow many at once per upstream.
    connections: 4096,
    connect: { timeout: 10_000 },
  });
  return agent;
}

export async function closeHttp(): Promise<void> {
  const current = agent;
  agent = undefined;
  await current?.close();
}

export function isAbort(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || error instanceof undiciErrors.RequestAbortedError)
  );
}

/** Transport failures (no HTTP answer) as GatewayErrors; every one of them may be retried. */
export function transportError(error: unknown, provider: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const code = (error as { code?: string }).code;
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return gatewayError('upstream_timeout', {
      message: `Upstream provider '${provider}' timed out.`,
      provider,
      cause: error,
    });
  }
  return gatewayError('upstream_unreachable', {
    message: `Could not reach upstream provider '${provider}' (${code ?? 'connection failed'}).`,
    provider,
    cause: error,
  });
}

export async function upstreamRequest(
  provider: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
  signal: CallSignal,
): Promise<UpstreamResponse> {
  try {
    const res = await getAgent().request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers,
      body,
      // undici needs only aborted, reason and add/removeEventListener (it also takes an EventEmitter).
      signal: signal as AbortSignal,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  } catch (error) {
    if (isAbort(error) || signal.aborted) throw error;
    throw transportError(error, provider);
  }
}

/** Reads a whole JSON answer; a transport failure or a body that is not JSON becomes a GatewayError. */
export async function readJsonBody(
  provider: string,
  res: UpstreamResponse,
  signal: CallSignal,
): Promise<unknown> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (error) {
    if (isAbort(error) || signal.aborted) throw error;
    throw transportError(error, provider);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalidUpstreamResponse(provider, 'the body is not JSON');
  }
}
