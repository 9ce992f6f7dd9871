// An exact-match response cache, opt-in per request (`x-tokgate-cache: true`). Tenant-scoped by
// construction: the cache key is a hash of the account id and the canonical request body, so one account
// can never be served another's answer, whatever the request says. Only whole JSON answers are cached
// (not streams). In Redis when REDIS_URL is set (shared by the fleet), else in an in-memory LRU; entries
// expire after a TTL. A cache that fails is a miss: the request goes upstream as usual.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ServedBy } from '../accounting/ledger-record.js';
import type { Metered } from '../accounting/meter.js';
import { microsToUsd } from '../accounting/pricing.js';
import type { Principal } from '../auth/authenticator.js';
import { accountOf } from '../auth/principal.js';
import { lruClock, lruTtl } from '../core/clock.js';
import { nativeRequestOf } from '../core/native.js';
import type { ChatRequest, ChatResponse } from '../core/types.js';
import type { RedisHub } from '../store/redis.js';

export const CACHE_HEADER = 'x-tokgate-cache';

export interface CacheBackend {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/** In-process LRU bounded by entries and bytes (string length). */
export class MemoryCacheBackend implements CacheBackend {
  private readonly entries: LRUCache<string, string>;

  constructor(
    maxEntries = 10_000,
    private readonly maxBytes = 64 * 1024 * 1024,
    clock: () => number = Date.now,
  ) {
    this.entries = new LRUCache({
      max: maxEntries,
      maxSize: maxBytes,
      // lru-cache takes sizes of at least 1.
      sizeCalculation: (value) => Math.max(1, value.length),
      ...lruClock(clock),
    });
  }

  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    // An answer larger than the whole cache is not kept, and (unlike lru-cache) leaves the key's entry be.
    if (value.length > this.maxBytes) return;
    this.entries.set(key, value, { ttl: lruTtl(ttlMs) });
  }

  get size(): number {
    return this.entries.size;
  }
}

export class RedisCacheBackend implements CacheBackend {
  constructor(private readonly redis: RedisHub) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.client.get(this.redis.key('cache', key))) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.client.set(this.redis.key('cache', key), value, 'PX', ttlMs).catch(() => undefined);
  }
}

/** JSON with object keys sorted at every depth: the same request always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Whether the client asked for the cache (header `x-tokgate-cache: true`); streams are never cached. */
export function wantsCache(headers: Record<string, string | string[] | undefined>, request: ChatRequest) {
  const value = headers[CACHE_HEADER];
  return !request.stream && typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

export interface ResponseCacheOptions {
  ttlMs?: number;
  /** What a hit costs, micro-USD (0 by default): the ledger row of a hit carries it. */
  hitPriceMicros?: number;
}

export class ResponseCache {
  readonly ttlMs: number;
  readonly hitPriceMicros: number;

  constructor(
    private readonly backend: CacheBackend,
    options: ResponseCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.hitPriceMicros = options.hitPriceMicros ?? 0;
  }

  /**
   * The cache key: the account is always part of it, so tenants cannot share entries. A front door's native
   * body (core/native.ts) is too: two requests that translate alike may still differ (thinking, cache
   * control), and must not share an answer.
   */
  key(principal: Principal, request: ChatRequest): string {
    const hash = createHash('sha256')
      .update(accountOf(principal))
      .update('\u0000')
      .update(canonicalJson(request));
    const native = nativeRequestOf(request);
    if (native) hash.update(`\u0000${native.protocol}\u0000`).update(canonicalJson(native.body));
    return hash.digest('hex');
  }

  async get(principal: Principal, request: ChatRequest): Promise<ChatResponse | undefined> {
    const text = await this.backend.get(this.key(principal, request));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as ChatResponse;
    } catch {
      return undefined;
    }
  }

  /** Stores a complete answer (as the client received it) for this account and request. */
  async put(principal: Principal, request: ChatRequest, response: ChatResponse): Promise<void> {
    await this.backend.set(this.key(principal, request), JSON.stringify(response), this.ttlMs);
  }
}

/**
 * The answer a hit sends: the stored one under this request's id and time, its usage priced at the
 * cache's price (tokens are what the original call used; the upstream was not called).
 */
export function hitResponse(stored: ChatResponse, completionId: string, priceMicros: number): ChatResponse {
  return {
    ...stored,
    id: completionId,
    created: Math.floor(Date.now() / 1000),
    ...(stored.usage ? { usage: { ...stored.usage, cost: microsToUsd(priceMicros) } } : {}),
  };
}

/** A hit is served by the cache: the ledger row says so, and carries the cache's price version. */
export const SERVED_BY_CACHE: ServedBy = { provider: 'cache', upstreamModel: null, priceVersion: 'cache' };

/** What a hit is charged: the cache's own price; its tokens are what the original call used. */
export function hitMetered(sent: ChatResponse, priceMicros: number): Metered {
  const usage = sent.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  // Nothing went upstream: the hit cost the operator nothing.
  return { usage, source: 'cache', costMicros: priceMicros, upstreamCostMicros: 0 };
}
