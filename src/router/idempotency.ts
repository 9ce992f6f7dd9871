// Idempotency-Key for non-streaming requests: a client that retries with the same key (and the same
// principal) within the window gets the first answer again instead of a second upstream call and a second
// bill. A duplicate that arrives while the first is running waits for it. The same key with another body is
// a 409. Only successful answers are kept: after a failure the key is free, so the client's retry runs.
// In memory, bounded in time and in entries (a restart forgets: the documented limit).
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { type Clock, lruClock, lruTtl } from '../core/clock.js';
import { gatewayError, invalidRequest } from '../core/errors.js';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencySettings {
  windowMs: number;
  maxEntries: number;
}

interface Answer {
  fingerprint: string;
  response: StoredResponse;
}

interface Running {
  fingerprint: string;
  /** Settles when the first request ends, either way. */
  settled: Promise<void>;
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
  /** Successful answers until the window passes; past the bound the oldest go first. */
  private readonly answers: LRUCache<string, Answer>;
  /** Requests still running: they count toward the bound but are never dropped for it. */
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly settings: IdempotencySettings,
    clock: Clock,
  ) {
    this.answers = new LRUCache({ max: settings.maxEntries, ...lruClock(() => clock.now()) });
  }

  get size(): number {
    return this.answers.size + this.running.size;
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
      // peek: a replay does not make an answer younger, so the oldest answer still goes first.
      const answer = this.answers.peek(id);
      if (answer) {
        if (answer.fingerprint !== print) throw conflict();
        return { kind: 'replay', response: answer.response };
      }
      const running = this.running.get(id);
      if (!running) return this.own(id, print);
      if (running.fingerprint !== print) throw conflict();
      await settledOrAbort(running.settled, signal);
    }
  }

  private own(id: string, print: string): Claim {
    let settle = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.running.set(id, { fingerprint: print, settled });
    while (this.answers.size > 0 && this.size > this.settings.maxEntries) this.answers.pop();
    let done = false;
    const end = () => {
      done = true;
      this.running.delete(id);
      settle();
    };
    return {
      kind: 'owner',
      complete: (response) => {
        if (done) return;
        this.answers.set(id, { fingerprint: print, response }, { ttl: lruTtl(this.settings.windowMs) });
        end();
      },
      abandon: () => {
        if (!done) end();
      },
    };
  }
}
