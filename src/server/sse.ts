// Writes a server-sent-events response straight to the socket: every chunk goes out as it is produced,
// with backpressure (waits for 'drain' when the client reads slowly).
import type { ServerResponse } from 'node:http';

/** Whether the HTTP server stopped listening (graceful shutdown under way). */
export function isClosing(res: ServerResponse): boolean {
  const server = (res.socket as { server?: { listening?: boolean } } | null)?.server;
  return server?.listening === false;
}

export class SseWriter {
  private closed = false;
  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    this.res.uncork();
  };

  constructor(private readonly res: ServerResponse) {
    res.once('close', () => {
      this.closed = true;
    });
  }

  open(headers: Record<string, string>): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // A server shutting down closes the connection after this answer, so it need not wait for the client.
      connection: isClosing(this.res) ? 'close' : 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
  }

  get isClosed(): boolean {
    return this.closed || this.res.destroyed;
  }

  /** Writes one `data:` event; resolves when the socket can take more. */
  async data(json: string): Promise<void> {
    if (this.isClosed) return;
    // Events produced in the same tick (one upstream read often carries several) leave in one write.
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      // setImmediate runs right after this turn of the event loop, once every event of this read is written.
      setImmediate(this.uncork);
    }
    if (!this.res.write(`data: ${json}\n\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.res.off('drain', done);
          this.res.off('close', done);
          resolve();
        };
        this.res.on('drain', done);
        this.res.on('close', done);
      });
    }
  }

  /** Writes an SSE comment line (`: text`), which clients ignore: keeps proxies and clients from timing out. */
  comment(text: string): void {
    if (!this.isClosed) this.res.write(`: ${text}\n\n`);
  }

  end(): void {
    if (!this.isClosed) this.res.end();
  }
}
