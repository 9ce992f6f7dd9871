// Writes a server-sent-events response straight to the socket: every chunk goes out as it is produced,
// with backpressure (waits for 'drain' when the client reads slowly).
import type { ServerResponse } from 'node:http';

export class SseWriter {
  private closed = false;

  constructor(private readonly res: ServerResponse) {
    res.once('close', () => {
      this.closed = true;
    });
  }

  open(headers: Record<string, string>): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
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

  end(): void {
    if (!this.isClosed) this.res.end();
  }
}
