// What every fake upstream in this folder needs from node:http: reading a request body, and an exchange that
// knows whether the client went away (aborts are counted) and cuts waits and writes short when it did.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export function parseBody(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** One response under way: knows whether the client went away, and lets waits be cut short. */
export class Exchange {
  /** Set when the fake itself ends the connection on purpose (a fault, or shutdown). */
  private endedByServer = false;
  readonly controller = new AbortController();

  constructor(
    readonly res: ServerResponse,
    onClientAbort: () => void,
  ) {
    res.on('close', () => {
      if (!res.writableFinished && !this.endedByServer) onClientAbort();
      this.controller.abort();
    });
  }

  get gone(): boolean {
    return this.controller.signal.aborted || this.res.destroyed;
  }

  /** Waits `ms`; resolves false if the connection closed meanwhile. */
  async wait(ms: number | undefined): Promise<boolean> {
    if (ms !== undefined && ms > 0) {
      try {
        await sleep(ms, undefined, { signal: this.controller.signal });
      } catch {
        return false;
      }
    }
    return !this.gone;
  }

  /** Writes and waits until the data is handed to the socket; resolves false if the connection closed. */
  write(data: string): Promise<boolean> {
    if (this.gone) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      this.controller.signal.addEventListener('abort', onAbort, { once: true });
      this.res.write(data, (error) => {
        this.controller.signal.removeEventListener('abort', onAbort);
        resolve(!error && !this.gone);
      });
    });
  }

  destroy(): void {
    this.endedByServer = true;
    this.res.destroy();
  }

  markServerEnded(): void {
    this.endedByServer = true;
  }
}
