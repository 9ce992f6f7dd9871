// Wires real dependencies into the app: the one place that knows every layer.

import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { Admitter } from './accounting/admission.js';
import { Ledger } from './accounting/ledger.js';
import { PlanBook } from './accounting/plans.js';
import { PriceVersionWatcher } from './accounting/price-versions.js';
import { sharedTokenPool, TokenCounter } from './accounting/token-pool.js';
import { Authenticator } from './auth/authenticator.js';
import { ModelCatalog } from './catalog/catalog.js';
import type { GatewayConfig } from './config/config.js';
import { configSecrets } from './config/secrets.js';
import type { Clock } from './core/clock.js';
import { createRedactor } from './core/redact.js';
import { createFleet } from './fleet.js';
import { BucketImages, FolderImages, ImageStore } from './pipeline/image-store.js';
import { Metrics } from './pipeline/metrics.js';
import { loadTracing } from './pipeline/tracing.js';
import { createHttpClient } from './providers/http.js';
import { ModelListRefresher } from './providers/model-lists.js';
import { createObjectStore } from './providers/object-store.js';
import { createProviders } from './providers/registry.js';
import { Router } from './router/router.js';
import { createApp } from './server/app.js';
import { LowBalanceNotifier } from './server/low-balance.js';
import { Store } from './store/store.js';

export interface Gateway {
  app: FastifyInstance;
  store: Store;
  ledger: Ledger;
  /** Routes and the shared reliability state (health, slots), for metrics and tests. */
  router: Router;
  log: Logger;
  /** Exact token counts (a worker pool shared by the process; `tokens.pool.warm()` loads the encodings). */
  tokens: TokenCounter;
  /** Keeps the catalog on the newest price version (`refresh()` reads it now). */
  prices: PriceVersionWatcher;
  /** The opt-in live model lists (`refresh()` reads them now). */
  modelLists: ModelListRefresher;
  /** The images kept for `response_format: url` (`sweep()` deletes the expired ones now). */
  images: ImageStore;
  /** Low-balance webhooks (`tick()` sweeps and sends now). */
  lowBalance: LowBalanceNotifier;
  /** Price plans as this gateway has them cached. */
  plans: PlanBook;
  /** Stops accepting, lets in-flight requests finish, flushes the ledger, closes the database. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  log?: Logger;
  /** Where a newly generated admin key is shown (once). */
  announceAdminKey?: (key: string) => void;
  defaultMetrics?: boolean;
  /** The image store's clock, ms since the epoch (tests move it instead of waiting for URLs to expire). */
  imageClock?: () => number;
  /** How long cached price plans are trusted (tests make it long, to see Redis tell of a change). */
  planRefreshMs?: number;
  /** How often the newest price version is polled (default PRICE_POLL_MS; tests isolate the Redis path). */
  pricePollMs?: number;
  /** The router's clock: backoffs, Retry-After waits, circuit cool-downs (tests watch a fake one). */
  routerClock?: Clock;
}

/** How often expired images are swept: every TTL, between a second and ten minutes. */
const sweepIntervalMs = (ttlSeconds: number) => Math.min(600_000, Math.max(1000, ttlSeconds * 1000));

export function createLogger(level: string): Logger {
  // Asynchronous: a line written while another write is in flight joins the next write, so a busy gateway
  // logging a line per request makes few system calls and never waits on stdout. Lines still held at exit
  // are written synchronously then.
  const destination = pino.destination({ dest: 1, sync: false });
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // not open yet, or stdout is gone
    }
  });
  return pino(
    {
      level,
      base: { service: 'tokgate' },
      // Defence in depth: nothing we log carries credentials, and these paths are scrubbed if one ever does.
      redact: [
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        'key',
        'apiKey',
        'adminKey',
      ],
    },
    destination,
  );
}

/**
 * Builds what the configuration describes without opening the database or listening (`tokgate config
 * check`): the providers, the catalog and the routes, which check themselves as the gateway's would.
 */
export async function checkConfig(config: GatewayConfig): Promise<void> {
  const http = createHttpClient({
    headersTimeoutMs: config.upstreamHeadersTimeoutMs,
    bodyTimeoutMs: config.upstreamBodyTimeoutMs,
    maxAnswerBytes: config.maxUpstreamAnswerBytes,
  });
  try {
    const providers = await createProviders(config.providers, http);
    new Router(providers, ModelCatalog.fromConfig(config), config.routing);
  } finally {
    await http.close();
  }
}

export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const log = options.log ?? createLogger(config.logLevel);
  const store = await Store.open(config.databaseUrl);
  const announce =
    options.announceAdminKey ??
    ((key: string) => {
      process.stdout.write(
        `\n  tokgate generated an admin key (shown only now; only its hash is stored):\n\n    ${key}\n\n` +
          '  Set TOKGATE_ADMIN_KEY to choose your own.\n\n',
      );
    });
  const auth = await Authenticator.create(store, config.adminKey, announce);
  // This gateway's own connection pool: closing it never touches another gateway's calls.
  const http = createHttpClient({
    headersTimeoutMs: config.upstreamHeadersTimeoutMs,
    bodyTimeoutMs: config.upstreamBodyTimeoutMs,
    maxAnswerBytes: config.maxUpstreamAnswerBytes,
  });
  const providers = await createProviders(config.providers, http);
  const catalog = ModelCatalog.fromConfig(config);
  // The newest imported price version, before the first request; then kept current (polled, or told).
  const prices = new PriceVersionWatcher(store, catalog, log);
  await prices.refresh();
  prices.start(options.pricePollMs);
  const router = new Router(providers, catalog, config.routing, options.routerClock);
  const modelLists = new ModelListRefresher(
    config.providers.filter((p) => p.listModels),
    http,
    (provider, ids) => catalog.learn(provider, ids),
    log,
    config.listModelsIntervalMs,
  );
  modelLists.start();
  const metrics = new Metrics(options.defaultMetrics ?? false);
  metrics.watchRouter(router.slots);
  // Model labels: catalog models, configured routes and their deployments; any other id is `other`.
  const routeDeployments = new Set(
    router.routes
      .names()
      .flatMap((name) => router.plan(name).groups.flatMap((g) => g.deployments.map((d) => d.id))),
  );
  metrics.boundModels(
    (model) => router.routes.has(model) || routeDeployments.has(model) || router.catalog.lists(model),
  );
  metrics.watchCircuits(router.health);
  // Nothing of the OpenTelemetry SDK is loaded unless an OTLP endpoint is configured.
  const tracing = await loadTracing(config.observability.tracing, config.providers);
  // Local wallet and limiter, or fleet-wide ones over Redis (REDIS_URL); the ledger's spool.
  const fleet = await createFleet(store, {
    spoolDir: config.spoolDir,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    log,
    registry: metrics.registry,
  });
  const { wallet } = fleet;
  fleet.redis?.onInvalidate((event) => {
    if (event.kind === 'prices' || event.kind === 'all')
      prices.refresh().catch((error: unknown) => log.warn({ err: error }, 'prices: could not read them'));
  });
  const ledger = new Ledger(store, log, {
    // SQLite writes on the event loop: small batches, with requests served in between, keep a flush from
    // holding answers up (bench/README.md has the figures). PostgreSQL writes off the loop and likes big ones.
    maxBatch: store.engine === 'sqlite' ? 64 : 500,
    flushIntervalMs: config.ledgerFlushMs,
    onFlushed: (rows) => wallet.flushed(rows),
    ...(wallet.beforeWrite ? { beforeWrite: (rows) => wallet.beforeWrite!(rows) } : {}),
    ...(wallet.writeFailed ? { onWriteFailed: (rows) => wallet.writeFailed!(rows) } : {}),
    // Rows of a dead process reached the database: balances are read again.
    onReplayed: (rows) => {
      for (const row of rows)
        if (row.cost_micros) wallet.invalidate(row.account_id ?? undefined, row.key_id ?? undefined);
    },
    ...(fleet.spool ? { spool: fleet.spool } : {}),
    stallMs: config.ledgerStallMs,
    onDeadLetter: (_row, place) => fleet.deadLettered(place),
  });
  await fleet.start(auth, ledger);
  metrics.watchLedger(() => ledger.health());
  const tokens = new TokenCounter(
    sharedTokenPool(config.tokenizer.workers),
    config.tokenizer.budgetMs,
    config.tokenizer.holdBudgetMs,
  );
  metrics.watchTokenizer(tokens.pool.stats);
  // Price plans, cached here and read again when one changes (at once on every replica, over Redis).
  const plans = new PlanBook(
    store,
    (error) => log.warn({ err: error }, 'price plans: read failed'),
    options.planRefreshMs,
  );
  await plans.reload();
  const { redis } = fleet;
  if (redis) {
    plans.broadcastTo(() => redis.publish({ kind: 'plans' }));
    redis.onInvalidate((event) => {
      if (event.kind === 'plans' || event.kind === 'all') void plans.refresh();
    });
  }
  const admitter = new Admitter(
    wallet,
    fleet.limiter,
    router.catalog,
    { refuseUnpriced: config.refuseUnpriced, exactHoldShare: config.exactHoldShare },
    tokens,
    plans,
  );
  // The key that signs image URLs: made once per database, so every gateway of a fleet accepts the others'.
  await store.initSetting('image_url_secret', randomBytes(32).toString('hex'));
  const imageSecret = Buffer.from((await store.getSetting('image_url_secret'))!, 'hex');
  const { images } = config;
  const imageStore = new ImageStore(
    images.s3 ? new BucketImages(createObjectStore(images.s3, http)) : new FolderImages(images.dir),
    imageSecret,
    images.urlTtlSeconds,
    options.imageClock,
  );
  imageStore.startSweeping(sweepIntervalMs(images.urlTtlSeconds), (error) =>
    log.warn({ err: error }, 'sweeping expired images failed'),
  );
  const lowBalance = new LowBalanceNotifier(store, http, config.webhook, log, (ids) => {
    for (const id of ids) wallet.invalidate(id);
  });
  lowBalance.start();
  const app = await createApp({
    images: {
      store: imageStore,
      limits: config.uploads,
      publicUrl: images.publicUrl,
      ...(options.imageClock ? { now: options.imageClock } : {}),
    },
    redact: createRedactor(configSecrets(config)),
    metricsToken: config.metricsToken,
    corsOrigins: config.corsOrigins,
    store,
    auth,
    router,
    ledger,
    wallet,
    admitter,
    plans,
    tokens,
    cache: fleet.cache,
    metrics,
    log,
    providers: config.providers.map((p) => ({ id: p.id, format: p.format })),
    ...(fleet.redis ? { pricesImported: () => fleet.redis!.publish({ kind: 'prices' }) } : {}),
    bodyLimitBytes: config.bodyLimitBytes,
    uploads: config.uploads,
    requestTimeoutMs: config.requestTimeoutMs,
    responsesRetentionDays: config.responsesRetentionDays,
    maxConnections: config.maxConnections,
    readiness: fleet.readiness(ledger),
    trustProxy: config.observability.trustProxy,
    tracing,
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await modelLists.stop();
      prices.stop();
      imageStore.stop();
      await app.close();
      await ledger.close();
      await lowBalance.stop();
      await fleet.close();
      await store.close();
      await http.close();
      // The last requests' spans are exported before the process goes.
      await tracing
        ?.close()
        .catch((error: unknown) => log.warn({ err: error }, 'tracing: export on close failed'));
    })();
    return closing;
  };
  return {
    app,
    store,
    ledger,
    router,
    log,
    tokens,
    prices,
    modelLists,
    images: imageStore,
    lowBalance,
    plans,
    close,
  };
}
