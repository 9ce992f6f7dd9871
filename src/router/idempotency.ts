// Idempotency-Key for non-streaming requests: a client that retries with the same key (and the same
// principal) within the window gets the first answer again instead of a second upstream call and a second
// bill. A duplicate that arrives while the first is running waits for it. The same key with another body is
// a 409. Only successful answers are kept: after a failure the key is free, so the client's retry runs.
// In memory, bounded in time and in entries (a restart forgets: the documented limit).
import { createHash } from 'node:crypto';
import { gatewayError, invalidRequest } from '../core/errors.js';
import type { Clock } from './clock.js';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencySettings {
  windowMs: number;
  maxEntries: number;
}

interface Entry {
  fingerprint: string;
  expiresAt: number;
  response: StoredResponse | undefined;
  /** Settles when the first request ends, either way. */
  settled: Promise<void>;
  settle: () => void;
}

export type Claim =
  | { kind: 'replay'; response: StoredResponse }
  /** This request runs; it must call exactly one of `complete` or `abandon`. */
  | { kind: 'owner'; complete(response: StoredResponse): void; abandon(): void };

/** Keys are opaque strings chosen by the client; bounded so they cannot be used to fill memory. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function fingerprint(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64url');
}

const conflict = () => gatewayError('idempotency_key_reused');

/** Waits for the first request to end; rejects when the waiting client goes away. */
function settledOrAbort(settled: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void settled.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly settings: IdempotencySettings,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Validates a header value; throws 400 for one that is not a short printable string. */
  static parseKey(raw: string | string[] | undefined): string | undefined {
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || !KEY_PATTERN.test(raw)) {
      throw invalidRequest(
        'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
        null,
        'invalid_idempotency_key',
      );
    }
    return raw;
  }

  async claim(scope: string, key: string, print: string, signal: AbortSignal): Promise<Claim> {
    const id = `${scope}\u0000${key}`;
    for (;;) {
      const entry = this.live(id);
      if (!entry) return this.own(id, print);
      if (entry.fingerprint !== print) throw conflict();
      if (entry.response) return { kind: 'replay', response: entry.response };
      await settledOrAbort(entry.settled, signal);
    }
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry?.response && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  private own(id: string, print: string): Claim {
    let settle = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const entry: Entry = {
      fingerprint: print,
      expiresAt: Number.POSITIVE_INFINITY,
      response: undefined,
      settled,
      settle,
    };
    this.entries.set(id, entry);
    this.evict();
    let done = false;
    return {
      kind: 'owner',
      complete: (response) => {
        if (done) return;
        done = true;
        entry.response = response;
        entry.expiresAt = this.clock.now() + this.settings.windowMs;
        // Re-insert so the map stays ordered by expiry (oldest first) for eviction.
        this.entries.delete(id);
        this.entries.set(id, entry);
        entry.settle();
      },
      abandon: () => {
        if (done) return;
        done = true;
        if (this.entries.get(id) === entry) this.entries.delete(id);
        entry.settle();
      },
    };
  }

  /** Drops expired answers, then the oldest ones while over the bound; requests still running stay. */
  private evict(): void {
    const now = this.clock.now();
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.settings.maxEntries && entry.expiresAt > now) break;
      if (entry.response) this.entries.delete(id);
    }
  }
}
