// Redis, the fleet's shared hot state (REDIS_URL): one command connection, one subscriber for the
// invalidation channel, and Lua scripts run by SHA. Commands never queue while Redis is away: they fail at
// once, so each caller applies its documented fallback (rate limits open, money checks closed) instead of
// hanging a request; the client reconnects in the background.
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What changed somewhere in the fleet; each replica drops what it cached about it. */
export type Invalidation =
  | { kind: 'key'; id: string }
  | { kind: 'account'; id: string }
  | { kind: 'admin' }
  /** A price plan or an account's plan changed: every replica reads the plans again. */
  | { kind: 'plans' }
  /** A new price version was imported: read it. */
  | { kind: 'prices' }
  | { kind: 'all' };

export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const COMMAND_TIMEOUT_MS = 500;

export class RedisHub {
  /** This process's id in the fleet (reservation leases, the source of published invalidations). */
  readonly replicaId = randomBytes(6).toString('hex');
  private readonly listeners: Array<(event: Invalidation) => void> = [];
  private readonly scripts = new Set<LuaScript>();
  private readonly channel: string;
  private lastError: string | undefined;
  private wasDown = false;

  private constructor(
    readonly client: Redis,
    private readonly subscriber: Redis,
    readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.channel = `${prefix}invalidate`;
    client.on('error', (error: Error) => this.down(error));
    subscriber.on('error', () => undefined);
    client.on('ready', () => {
      if (this.wasDown) log.warn('redis is reachable again');
      this.wasDown = false;
      this.lastError = undefined;
      void this.loadScripts();
    });
    // Messages published while we were disconnected are lost: forget everything cached instead.
    let subscribedOnce = false;
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).catch(() => undefined);
      if (subscribedOnce) this.emit({ kind: 'all' });
      subscribedOnce = true;
    });
    subscriber.on('message', (_channel: string, message: string) => {
      const event = RedisHub.parse(message);
      if (event && event.from !== this.replicaId) this.emit(event.event);
    });
  }

  /** Connects (waiting briefly); a gateway starts even when Redis is down, and reports it on /ready. */
  static async connect(url: string, prefix: string, log: Logger): Promise<RedisHub> {
    const common = {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      // Commands issued in the same tick leave in one write (a request's reserve and rate check, the
      // settles of a turn). They still go out within the tick, before the answer that waits on its ledger
      // row; and a late settle only ever leaves another replica a larger reservation to see, never less.
      enableAutoPipelining: true,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    };
    // Loaded only when used: a single-process gateway does not carry the Redis client (bench/README.md).
    const { Redis } = await import('ioredis');
    const client = new Redis(url, {
      ...common,
      enableOfflineQueue: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    // The subscriber may queue its SUBSCRIBE until connected; it sends nothing else.
    const subscriber = new Redis(url, { ...common, enableOfflineQueue: true });
    const hub = new RedisHub(client, subscriber, prefix, log);
    await Promise.all([
      client.connect().catch((error: Error) => hub.down(error)),
      subscriber.connect().catch(() => undefined),
    ]);
    return hub;
  }

  private down(error: Error): void {
    if (!this.wasDown) this.log.error({ err: error }, 'redis unreachable');
    this.wasDown = true;
    this.lastError = error.message;
  }

  /** 'ok', or why not. */
  status(): string {
    if (this.client.status === 'ready') return 'ok';
    return this.lastError ?? this.client.status;
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** Registers a script, loaded into Redis on every (re)connection so EVALSHA rarely misses. */
  script(source: string): LuaScript {
    const script = new LuaScript(source);
    this.scripts.add(script);
    if (this.ready) void this.loadScripts();
    return script;
  }

  private async loadScripts(): Promise<void> {
    for (const script of this.scripts) await this.client.script('LOAD', script.source).catch(() => undefined);
  }

  async run(
    script: LuaScript,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
  ): Promise<unknown> {
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
      return this.client.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  publish(event: Invalidation): void {
    this.client
      .publish(this.channel, JSON.stringify({ event, from: this.replicaId }))
      .catch((error: Error) =>
        this.log.warn({ err: error, event }, 'redis: could not publish an invalidation'),
      );
  }

  /** Publishes and waits until Redis has taken it (a CLI process that exits right after). */
  async publishNow(event: Invalidation): Promise<void> {
    await this.client.publish(this.channel, JSON.stringify({ event, from: this.replicaId }));
  }

  onInvalidate(listener: (event: Invalidation) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: Invalidation): void {
    for (const listener of this.listeners) listener(event);
  }

  private static parse(message: string): { event: Invalidation; from: string } | undefined {
    try {
      const value = JSON.parse(message) as { event?: { kind?: unknown; id?: unknown }; from?: unknown };
      const kind = value.event?.kind;
      const id = value.event?.id;
      const from = typeof value.from === 'string' ? value.from : '';
      if (kind === 'all' || kind === 'admin' || kind === 'plans' || kind === 'prices')
        return { event: { kind }, from };
      if ((kind === 'key' || kind === 'account') && typeof id === 'string')
        return { event: { kind, id }, from };
    } catch {
      // not ours
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all([
      this.client.quit().catch(() => undefined),
      this.subscriber.quit().catch(() => undefined),
    ]);
    this.client.disconnect();
    this.subscriber.disconnect();
  }
}
