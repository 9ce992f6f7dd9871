// CORS for the public API (TOKGATE_CORS_ORIGINS; off when unset): browsers on the listed origins may call
// /v1/* and /v1beta/* directly, preflights included, and read the gateway's own response headers. The admin
// API and the console are same-origin only.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** Paths of the public API: the only ones answered with CORS headers. */
const PUBLIC = /^\/(v1|v1beta)(\/|\?|$)/;

/** The response headers a browser app may read (CORS exposes only the safelisted ones otherwise). */
export const EXPOSED_HEADERS = [
  'x-request-id',
  'x-client-request-id',
  'request-id',
  'retry-after',
  'x-tokgate-provider',
  'x-tokgate-deployment',
  'x-tokgate-attempts',
  'x-tokgate-warnings',
  'x-tokgate-cache',
  'x-tokgate-idempotent-replay',
  'x-tokgate-max-tokens',
  'x-tokgate-token-count',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
];

/** Preflight answers are cached by the browser this long (seconds; browsers cap it at 2 h or less). */
const PREFLIGHT_MAX_AGE_S = 600;

export async function registerCors(app: FastifyInstance, origins: string[] | '*' | undefined): Promise<void> {
  if (origins === undefined) return;
  const allowed = origins === '*' ? '*' : origins;
  await app.register(cors, {
    delegator: (request, callback) => {
      if (!PUBLIC.test(request.url)) {
        callback(null, { origin: false });
        return;
      }
      callback(null, {
        origin: allowed,
        methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
        // Unset: the headers the preflight asks for are allowed (authorization, x-api-key, the SDKs' own).
        exposedHeaders: EXPOSED_HEADERS,
        maxAge: PREFLIGHT_MAX_AGE_S,
        // Keys are sent as headers, never cookies: no credentials mode.
        credentials: false,
        // A bare OPTIONS (no Origin) gets the route's answer rather than a text/plain 400.
        strictPreflight: false,
      });
    },
  });
}
