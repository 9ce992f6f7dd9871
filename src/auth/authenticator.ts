// Bearer-key authentication. Keys are looked up by their public id in an in-memory cache (no database read
// per request), verified by constant-time hash comparison, and dropped from the cache on revoke: on every
// replica when Redis is configured (pub/sub), with the cache's one-second TTL as the safety net.
import { LRUCache } from 'lru-cache';
import { unauthorized } from '../core/errors.js';
import type { KeyRow, Store } from '../store/store.js';
import { bearerToken, hashesEqual, hashKey, keyIdOf, randomBase62 } from './key-format.js';

export interface ApiKey {
  id: string;
  accountId: string;
  name: string;
  keyHash: string;
  models: string[] | null;
  budgetMicros: number | null;
  rpm: number | null;
  tpm: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  /** Compiled from `models`; null = every model. */
  allows: ((model: string) => boolean) | null;
}

export type Principal = { kind: 'admin' } | { kind: 'key'; key: ApiKey };

/** `openai/*` → every openai model; `*` matches any run of characters, including `/`. */
export function compileModelGlobs(globs: readonly string[]): (model: string) => boolean {
  const escaped = globs.map((glob) => glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*'));
  const pattern = new RegExp(`^(?:${escaped.join('|')})$`);
  return (model) => pattern.test(model);
}

export function toApiKey(row: KeyRow): ApiKey {
  const models = row.models ? (JSON.parse(row.models) as string[]) : null;
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    keyHash: row.key_hash,
    models,
    budgetMicros: row.budget_micros,
    rpm: row.rpm,
    tpm: row.tpm,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    allows: models ? compileModelGlobs(models) : null,
  };
}

interface CacheEntry {
  loaded: Promise<ApiKey | undefined>;
  /** The record `loaded` found, once it has: a hit then takes no await (the hot path). */
  key?: ApiKey;
  at: number;
  /** The last record read from the database, and when: used while the database cannot be reached. */
  known?: { key: ApiKey | undefined; at: number };
}

const ADMIN = '\u0000admin';
/** The settings row holding a generated or rotated admin key's hash. */
const ADMIN_KEY_SETTING = 'admin_key_hash';
const generateAdminKey = () => `sk-tg-admin-${randomBase62(40)}`;
const ADMIN_PRINCIPAL: Principal = { kind: 'admin' };

/** How long a cached key is trusted before it is read again (the safety net for changes made elsewhere). */
const CACHE_TTL_MS = 1_000;

/**
 * While the database is unreachable, a key read before the outage is still trusted for this long (it cannot
 * be revoked meanwhile: revoking writes to the database; a revocation published before is still honoured).
 */
const STALE_IF_ERROR_MS = 5 * 60_000;

/** Bound on cached key records (made-up key ids from a scan); past it the least recently used go. */
const MAX_CACHED_KEYS = 100_000;

/** Bound on remembered verified tokens (a flood of random tokens); past it the least recently used go. */
const MAX_VERIFIED = 10_000;

export class Authenticator {
  private readonly cache: LRUCache<string, CacheEntry>;
  /**
   * Tokens already verified, so the SHA-256 runs once per token rather than per request: token → key id
   * (or ADMIN). The key's record (revoked, expired) is still checked on every request.
   */
  private readonly verified: LRUCache<string, string>;
  /** The admin hash the tokens marked ADMIN in `verified` were checked against. */
  private verifiedAdminHash: string | undefined;
  private broadcast: ((event: { kind: 'key'; id: string } | { kind: 'admin' }) => void) | undefined;
  /** The admin key's hash, and when it was read (a stored one is read again after CACHE_TTL_MS). */
  private admin: { hash: string; at: number; reading?: Promise<string> | undefined };

  constructor(
    private readonly store: Store,
    adminKeyHash: string,
    /** The caches' bounds (tests make them small). */
    bounds = { keys: MAX_CACHED_KEYS, tokens: MAX_VERIFIED },
    /**
     * Whether the admin key's hash lives in the database (generated, or rotated by `tokgate admin-key
     * rotate`) and is read again, so a rotation reaches every replica; false: TOKGATE_ADMIN_KEY, fixed.
     */
    private readonly adminStored = false,
  ) {
    this.cache = new LRUCache({ max: bounds.keys });
    this.verified = new LRUCache({ max: bounds.tokens });
    this.admin = { hash: adminKeyHash, at: Date.now() };
  }

  /**
   * Sets up the admin key: TOKGATE_ADMIN_KEY when given; else the stored hash; else a new key, whose
   * secret is handed to `announce` once and never stored.
   */
  static async create(store: Store, adminKey: string | undefined, announce: (key: string) => void) {
    const bounds = { keys: MAX_CACHED_KEYS, tokens: MAX_VERIFIED };
    if (adminKey) return new Authenticator(store, hashKey(adminKey));
    const stored = await store.getSetting(ADMIN_KEY_SETTING);
    if (stored) return new Authenticator(store, stored, bounds, true);
    const generated = generateAdminKey();
    if (await store.initSetting(ADMIN_KEY_SETTING, hashKey(generated))) {
      announce(generated);
      return new Authenticator(store, hashKey(generated), bounds, true);
    }
    // Another process set it first.
    return new Authenticator(store, (await store.getSetting(ADMIN_KEY_SETTING))!, bounds, true);
  }

  /**
   * Replaces the stored admin key (`tokgate admin-key rotate`): returns the new secret, stored only as a
   * hash. Every gateway on the database reads it within CACHE_TTL_MS, at once when told over Redis.
   */
  static async rotateAdminKey(store: Store): Promise<string> {
    const key = generateAdminKey();
    await store.putSetting(ADMIN_KEY_SETTING, hashKey(key));
    return key;
  }

  /** The admin key's hash, read again from the database once it is older than CACHE_TTL_MS. */
  private adminHash(): string | Promise<string> {
    const admin = this.admin;
    if (!this.adminStored || Date.now() - admin.at < CACHE_TTL_MS) return admin.hash;
    admin.reading ??= this.store.getSetting(ADMIN_KEY_SETTING).then(
      (hash) => {
        this.admin = { hash: hash ?? admin.hash, at: Date.now() };
        return this.admin.hash;
      },
      // The database is away: the key known before stands (as keys do), and is asked for again next time.
      () => {
        admin.reading = undefined;
        return admin.hash;
      },
    );
    return admin.reading;
  }

  private async isAdmin(hash: string): Promise<boolean> {
    const current = this.adminHash();
    return hashesEqual(typeof current === 'string' ? current : await current, hash);
  }

  /** The admin key changed elsewhere (a rotation published over Redis): read it again before the next use. */
  forgetAdmin(): void {
    this.admin = { hash: this.admin.hash, at: 0 };
  }

  /**
   * The principal behind a request's credentials: `Authorization: Bearer <key>`, or, where `apiKey` is
   * given (the public API, for Anthropic's SDKs), an `x-api-key` header. Authorization wins when both are
   * sent.
   */
  async authenticate(authorization: string | undefined, apiKey?: string | string[]): Promise<Principal> {
    const alternative = typeof apiKey === 'string' ? apiKey.trim() : '';
    if (!authorization && !alternative) {
      throw unauthorized(
        apiKey === undefined
          ? 'You did not provide an API key. Pass it as `Authorization: Bearer <key>`.'
          : 'You did not provide an API key. Pass it as `Authorization: Bearer <key>` or `x-api-key: <key>`.',
      );
    }
    const token = authorization ? bearerToken(authorization) : alternative;
    if (!token) throw unauthorized('The Authorization header must be `Bearer <key>`.');
    const known = this.verified.get(token);
    if (known === ADMIN) {
      const current = this.adminHash();
      // Verified against the hash still current: no hashing. Else the key was rotated (or is read again).
      if (current === this.verifiedAdminHash) return ADMIN_PRINCIPAL;
      this.verified.delete(token);
    } else if (known !== undefined) {
      const key = this.loadedKey(known) ?? (await this.lookup(known));
      if (key) return this.checked(key);
      this.verified.delete(token);
    }
    const hash = hashKey(token);
    const id = keyIdOf(token);
    if (id !== undefined) {
      const key = await this.lookup(id);
      if (key && hashesEqual(key.keyHash, hash)) {
        this.verified.set(token, key.id);
        return this.checked(key);
      }
    }
    if (await this.isAdmin(hash)) {
      if (this.verifiedAdminHash !== this.admin.hash) this.forgetVerifiedAdmin();
      this.verifiedAdminHash = this.admin.hash;
      this.verified.set(token, ADMIN);
      return ADMIN_PRINCIPAL;
    }
    throw unauthorized();
  }

  private checked(key: ApiKey): Principal {
    if (key.revokedAt !== null) throw unauthorized('This API key has been revoked.');
    if (key.expiresAt !== null && key.expiresAt <= Date.now())
      throw unauthorized('This API key has expired.');
    return { kind: 'key', key };
  }

  /**
   * Forget a key so the next request reads it again (after revoke or update), here and, through the
   * broadcaster when there is one (Redis pub/sub), on every other replica.
   */
  invalidate(id: string): void {
    this.forget(id);
    this.broadcast?.({ kind: 'key', id });
  }

  /** Tells every other replica about `invalidate` calls made here. */
  broadcastTo(broadcast: (event: { kind: 'key'; id: string } | { kind: 'admin' }) => void): void {
    this.broadcast = broadcast;
  }

  /** Drops the tokens remembered as the admin key (a rotation: the old one must not pass again). */
  private forgetVerifiedAdmin(): void {
    const tokens = [...this.verified.entries()].filter(([, id]) => id === ADMIN).map(([token]) => token);
    for (const token of tokens) this.verified.delete(token);
  }

  /** Forget a key here only (another replica changed it). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Forget every cached key (invalidations may have been missed while the channel was down). */
  forgetAll(): void {
    this.cache.clear();
  }

  /** The key's record when it is cached, fresh and loaded; else undefined. */
  private loadedKey(id: string): ApiKey | undefined {
    const cached = this.cache.get(id);
    return cached && Date.now() - cached.at < CACHE_TTL_MS ? cached.key : undefined;
  }

  private lookup(id: string): Promise<ApiKey | undefined> {
    const now = Date.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.at < CACHE_TTL_MS) return cached.loaded;
    const known = cached?.known;
    const entry: CacheEntry = { loaded: Promise.resolve(undefined), at: now };
    if (known) entry.known = known;
    entry.loaded = this.store.getKey(id).then(
      (row) => {
        const key = row ? toApiKey(row) : undefined;
        entry.known = { key, at: Date.now() };
        if (key) entry.key = key;
        return key;
      },
      (error: unknown) => {
        if (known && Date.now() - known.at < STALE_IF_ERROR_MS) return known.key;
        if (this.cache.peek(id) === entry) this.cache.delete(id);
        throw error;
      },
    );
    this.cache.set(id, entry);
    return entry.loaded;
  }
}
