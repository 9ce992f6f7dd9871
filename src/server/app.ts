// The HTTP app, built by a factory that never listens (tests inject requests; gateway.ts wires it, the CLI
// listens).
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Admitter } from '../accounting/admission.js';
import type { Ledger } from '../accounting/ledger.js';
import { Meter } from '../accounting/meter.js';
import type { PlanBook } from '../accounting/plans.js';
import type { TokenCounter } from '../accounting/token-pool.js';
import type { Wallet } from '../accounting/wallet/wallet.js';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { TrustProxy } from '../config/observability.js';
import { forbidden, gatewayError, invalidRequest } from '../core/errors.js';
import { RAW_JSON_MIN_LENGTH } from '../core/raw-json.js';
import type { Redactor } from '../core/redact.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { Metrics } from '../pipeline/metrics.js';
import type { Tracing } from '../pipeline/tracing.js';
import type { Router } from '../router/router.js';
import type { Store } from '../store/store.js';
import { registerAdminAccountRoutes } from './admin-accounts.js';
import { registerAdminKeyRoutes } from './admin-keys.js';
import { registerAdminModelRoutes } from './admin-models.js';
import { registerAdminPlanRoutes } from './admin-plans.js';
import { registerAdminPriceRoutes } from './admin-prices.js';
import { registerAdminRequestRoutes } from './admin-requests.js';
import { registerAudioRoutes } from './audio.js';
import { registerChatRoute } from './chat.js';
import { CONSOLE_DIST, registerConsoleRoutes } from './console.js';
import { registerCors } from './cors.js';
import { clientErrorHandler, errorHandler, frameworkErrorHandler, sendError } from './errors.js';
import { type Readiness, registerHealthRoutes } from './health.js';
import { type ImageRoutesOptions, registerImageFileRoute, registerImageRoutes } from './images.js';
import { registerMessagesRoutes } from './messages.js';
import { registerModelRoutes } from './models.js';
import type { MultipartLimits } from './multipart.js';
import { refuseNul } from './nul-guard.js';
import { registerAdminCodeRoutes, registerRedeemRoute } from './redemption.js';
import { trackRequests } from './request-log.js';
import { registerResponsesRoutes } from './responses.js';
import { registerRetrievalRoutes } from './retrieval.js';
import { registerSelfServiceRoutes } from './self-service.js';
import { registerStatementRoute } from './statement.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** A large body's JSON text, kept so parts that go upstream unchanged need not be re-serialised. */
    rawJson: string | undefined;
  }
}

export interface AppDeps {
  store: Store;
  auth: Authenticator;
  router: Router;
  ledger: Ledger;
  wallet: Wallet;
  admitter: Admitter;
  /** Price plans (none: every account pays list prices). */
  plans?: PlanBook | undefined;
  /** Exact token counts, for answers without usage (the meter). */
  tokens: TokenCounter;
  cache: ResponseCache;
  /** Enabled providers, for the catalog listing. */
  providers: Array<{ id: string; format: string }>;
  /** Tells the fleet a price version was imported here (Redis); none: the others find it by polling. */
  pricesImported?: () => void;
  metrics: Metrics;
  log: Logger;
  bodyLimitBytes: number;
  /** Multipart uploads: bytes per file, files per request. */
  uploads: MultipartLimits;
  /** Time a client has to send a whole request, headers and body; then 408 and the connection closed. */
  requestTimeoutMs: number;
  /** How long stored Responses API answers are kept, days. */
  responsesRetentionDays: number;
  /** Open client connections at most; more are closed at once. */
  maxConnections: number;
  /** Masks the gateway's secrets in upstream text bound for clients. */
  redact: Redactor;
  /** Origins allowed to call the public API from a browser (CORS); undefined: CORS off. */
  corsOrigins: string[] | '*' | undefined;
  /** When set, /metrics and /ready's details need it as a Bearer token. */
  metricsToken: string | undefined;
  /** Redis and ledger state for /ready. */
  readiness: Readiness;
  /** Which proxies' X-Forwarded-For gives the client address (TOKGATE_TRUST_PROXY). */
  trustProxy: TrustProxy;
  /** Request and attempt spans; undefined when tracing is off. */
  tracing: Tracing | undefined;
  /** The images doors: the store of images for URLs, the upload limits, the public URL. */
  images: ImageRoutesOptions;
}

const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Request ids are always the gateway's own: they key the ledger, so a client cannot make two requests share
 * one. A client's own id (OpenAI's `x-client-request-id` convention) is echoed back beside it.
 *
 * 32 hex digits: the time in ms (12), this process's random tag (8: replicas never collide), and a counter
 * (12). Ids that grow with time land at the right edge of the ledger's primary-key index, which inserts
 * them several times faster than random ids (bench/README.md, "Measurements behind the code"), and making
 * one costs no randomness per request.
 */
const PROCESS_TAG = randomBytes(4).toString('hex');
let requestCounter = 0;
export function requestId(): string {
  requestCounter = (requestCounter + 1) % 0x1000000000000;
  return `req_${Date.now().toString(16).padStart(12, '0')}${PROCESS_TAG}${requestCounter.toString(16).padStart(12, '0')}`;
}

/** Bodies nested deeper are refused: recursive code downstream (schemas, translation, logging) stays safe. */
const MAX_JSON_DEPTH = 64;

/** Whether `value` has arrays or objects nested more than `limit` deep (iterative: no stack to overflow). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const nodes: object[] = [value];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth >= limit) return true;
    if (Array.isArray(node)) {
      for (const child of node) {
        if (child !== null && typeof child === 'object') {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const child = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

function parseJson(
  request: FastifyRequest,
  body: string,
  done: (error: Error | null, value?: unknown) => void,
) {
  if (body.length === 0) {
    done(null, undefined);
    return;
  }
  try {
    const value: unknown = JSON.parse(body);
    if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
      done(
        invalidRequest(
          `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep; no API this gateway serves needs that.`,
        ),
      );
      return;
    }
    if (body.length >= RAW_JSON_MIN_LENGTH) request.rawJson = body;
    done(null, value);
  } catch (error) {
    done(error as Error);
  }
}

/**
 * TOKGATE_TRUST_PROXY as Fastify takes it. A hop count trusts that many proxies in front, whatever their
 * address (as Express does; Fastify alone would trust none), so it fits only where every request comes
 * through them.
 */
function trustProxyOption(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/**
 * A key sent other than as a bearer token: `x-api-key` (Anthropic's SDKs), or on Gemini's paths
 * `x-goog-api-key` (Google's SDKs). '' when neither: the public API names both ways in its 401.
 */
function apiKeyHeader(request: FastifyRequest): string | string[] {
  const apiKey = request.headers['x-api-key'];
  if (apiKey !== undefined) return apiKey;
  const google = request.url.startsWith('/v1beta/') ? request.headers['x-goog-api-key'] : undefined;
  return google ?? '';
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { store, auth, router, ledger, wallet, admitter, metrics, log, bodyLimitBytes } = deps;
  const app = Fastify({
    logger: false,
    bodyLimit: bodyLimitBytes,
    genReqId: requestId,
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A slow client (headers or body trickled in) is cut when its time is up, checked every second (Node's
    // default check every 30 s would let it hold the connection half a minute longer).
    requestTimeout: deps.requestTimeoutMs,
    http: { headersTimeout: deps.requestTimeoutMs, connectionsCheckingInterval: 1000 },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    trustProxy: trustProxyOption(deps.trustProxy),
  });
  app.server.maxConnections = deps.maxConnections;
  app.decorateRequest('principal', undefined);
  app.decorateRequest('rawJson', undefined);
  // One log line per request (refused ones too), the request metrics, spans, refusals' ledger rows.
  trackRequests(app, { log, metrics, ledger, tracing: deps.tracing });

  // Bodies are JSON whatever the content type says (curl -d sends form encoding by default).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);

  // Hooks that never wait take the callback form: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const { requestIdHeader } = request.routeOptions.config;
    if (requestIdHeader !== undefined) reply.header(requestIdHeader, request.id);
    // Every answer is what its content-type says: browsers must not guess otherwise.
    reply.header('x-content-type-options', 'nosniff');
    const clientId = request.headers['x-client-request-id'];
    if (typeof clientId === 'string' && CLIENT_REQUEST_ID.test(clientId))
      reply.header('x-client-request-id', clientId);
    done();
  });
  // During a graceful shutdown, answers close their connection instead of waiting on keep-alive.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!app.server.listening) reply.header('connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler(errorHandler(log, bodyLimitBytes));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      gatewayError('unknown_route', {
        message: `Invalid URL (${request.method} ${request.url.split('?')[0]})`,
      }),
    ),
  );

  await registerCors(app, deps.corsOrigins);
  registerHealthRoutes(app, store, metrics, deps.readiness, deps.metricsToken);
  // The console's files are public; everything it shows comes from the authenticated APIs.
  registerConsoleRoutes(app, CONSOLE_DIST);
  // Images kept for `response_format: url`: the signed URL is the credential.
  registerImageFileRoute(app, deps.images.store);

  // Public API: any API key, or the admin key. Authentication runs before the body is read.
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request: FastifyRequest) => {
      request.principal = await auth.authenticate(request.headers.authorization, apiKeyHeader(request));
    });
    const pipeline: PipelineDeps = {
      router,
      admitter,
      meter: new Meter(router.catalog, deps.tokens),
      ledger,
      metrics,
      log,
      cache: deps.cache,
      redact: deps.redact,
      plans: deps.plans,
    };
    registerChatRoute(scope, pipeline);
    registerMessagesRoutes(scope, pipeline);
    registerResponsesRoutes(scope, pipeline, { store, retentionDays: deps.responsesRetentionDays, log });
    registerRetrievalRoutes(scope, pipeline);
    await registerAudioRoutes(scope, pipeline, deps.uploads);
    await registerImageRoutes(scope, pipeline, deps.images);
    registerSelfServiceRoutes(scope, store, ledger);
    registerModelRoutes(scope, router, deps.plans);
    registerRedeemRoute(scope, store, ledger, wallet);
  });

  // Admin API: the admin key only.
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request: FastifyRequest) => {
      const principal = await auth.authenticate(request.headers.authorization);
      if (principal.kind !== 'admin')
        throw forbidden('This endpoint needs the admin key.', 'admin_key_required');
      request.principal = principal;
    });
    scope.addHook('preHandler', refuseNul);
    // Admin answers (a new key's secret among them) are never kept by a browser or a proxy.
    scope.addHook('onRequest', (_request, reply, done) => {
      reply.header('cache-control', 'no-store');
      done();
    });
    registerAdminKeyRoutes(scope, store, auth, ledger, wallet);
    registerAdminAccountRoutes(scope, store, ledger, wallet, deps.plans);
    registerAdminPlanRoutes(scope, store, deps.plans);
    registerAdminCodeRoutes(scope, store);
    registerStatementRoute(scope, store, ledger);
    registerAdminRequestRoutes(scope, store, ledger);
    registerAdminModelRoutes(scope, router, deps.providers);
    registerAdminPriceRoutes(scope, store, router, deps.pricesImported ?? (() => undefined));
  });

  return app;
}
