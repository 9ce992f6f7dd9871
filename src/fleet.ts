// What changes when several replicas share one database (and, with REDIS_URL, one Redis): the wallet and
// the rate limiter (Redis-backed, fleet-wide), invalidations between replicas (pub/sub), the ledger's
// write-ahead spool and its replay, and the ledger's partitions ahead of time. Without REDIS_URL the
// single-process wallet and limiter are used, exactly as before.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { DeadLetterPlace, Ledger } from './accounting/ledger.js';
import { Spool } from './accounting/spool.js';
import { LocalWallet } from './accounting/wallet/local-wallet.js';
import { RedisWallet } from './accounting/wallet/redis-wallet.js';
import type { Wallet } from './accounting/wallet/wallet.js';
import type { Authenticator } from './auth/authenticator.js';
import { MemoryCacheBackend, RedisCacheBackend, ResponseCache } from './cache/response-cache.js';
import { LocalRateLimiter, type RateLimiter } from './limits/rate-limiter.js';
import { RedisRateLimiter } from './limits/redis-rate-limiter.js';
import type { Readiness } from './server/health.js';
import { RedisHub } from './store/redis.js';
import type { Store } from './store/store.js';

const RECOVER_EVERY_MS = 30_000;
const PARTITIONS_EVERY_MS = 6 * 3_600_000;

export interface Fleet {
  wallet: Wallet;
  limiter: RateLimiter;
  spool: Spool | undefined;
  redis: RedisHub | undefined;
  /** The exact-match response cache: in Redis when configured (shared by the fleet), else in memory. */
  cache: ResponseCache;
  /** Counts a ledger row the database refused (`tokgate_ledger_dead_letters_total`). */
  deadLettered(place: DeadLetterPlace): void;
  /** Connects authentication and the ledger; replays dead processes' spools; starts the periodic work. */
  start(auth: Authenticator, ledger: Ledger): Promise<void>;
  readiness(ledger: Ledger): Readiness;
  close(): Promise<void>;
}

export async function createFleet(
  store: Store,
  options: {
    /** The spool's base directory (config `spoolDir`); undefined: no spool. */
    spoolDir: string | undefined;
    redisUrl: string | undefined;
    redisPrefix: string;
    log: Logger;
    registry: Registry;
  },
): Promise<Fleet> {
  const { log, spoolDir } = options;
  // One directory per database, so a spool is never replayed into a database it was not written for.
  const spool = spoolDir ? new Spool(join(spoolDir, await store.instanceId())) : undefined;
  const redis = options.redisUrl
    ? await RedisHub.connect(options.redisUrl, options.redisPrefix, log.child({ component: 'redis' }))
    : undefined;
  const failOpen = new Counter({
    name: 'tokgate_rate_limit_fail_open_total',
    help: 'Rate-limit decisions made without Redis (admitted by the local limiter) because it was unreachable',
    labelNames: ['op'] as const,
    registers: [options.registry],
  });
  const deadLetters = new Counter({
    name: 'tokgate_ledger_dead_letters_total',
    help: 'Ledger rows the database refused, set aside so the rows after them are written, by where they went',
    labelNames: ['to'] as const,
    registers: [options.registry],
  });
  const redisLimiter = redis ? new RedisRateLimiter(redis, failOpen) : undefined;
  // The fleet's wallet decides the rate limits with the money (one round trip per admission).
  const redisWallet = redis ? new RedisWallet(store, redis, redisLimiter) : undefined;
  const wallet: Wallet = redisWallet ?? new LocalWallet(store);
  const limiter: RateLimiter = redisLimiter ?? new LocalRateLimiter();
  const cache = new ResponseCache(redis ? new RedisCacheBackend(redis) : new MemoryCacheBackend());
  const timers: NodeJS.Timeout[] = [];

  const partitions = async () => {
    for (const failure of await store.ensurePartitions())
      log.error(failure, 'could not create a ledger partition ahead of time');
  };

  return {
    wallet,
    limiter,
    spool,
    redis,
    cache,
    deadLettered: (place) => deadLetters.inc({ to: place }),
    async start(auth, ledger) {
      if (redis) {
        auth.broadcastTo((event) => redis.publish(event));
        redis.onInvalidate((event) => {
          if (event.kind === 'key') auth.forget(event.id);
          else if (event.kind === 'admin') auth.forgetAdmin();
          else if (event.kind === 'all') {
            auth.forgetAll();
            auth.forgetAdmin();
          }
        });
      }
      await ledger.recover().catch((error: unknown) => log.error({ err: error }, 'ledger: replay failed'));
      const every = (ms: number, work: () => Promise<unknown>) => {
        const timer = setInterval(() => void work().catch(() => undefined), ms);
        timer.unref();
        timers.push(timer);
      };
      if (spool) every(RECOVER_EVERY_MS, () => ledger.recover());
      if (store.engine === 'postgres') every(PARTITIONS_EVERY_MS, partitions);
    },
    readiness: (ledger) => ({
      redis: () => redis?.status() ?? 'disabled',
      ledger: () => ledger.health(),
    }),
    async close() {
      for (const timer of timers) clearInterval(timer);
      await redisWallet?.close();
      await redis?.close();
    },
  };
}
