// Writes a server-sent-events response straight to the socket: every chunk goes out in the event-loop turn
// it was produced in (never held back by a timer), with backpressure (waits for 'drain' when the client
// reads slowly).
import type { ServerResponse } from 'node:http';

/** Whether the HTTP server stopped listening (graceful shutdown under way). */
export function isClosing(res: ServerResponse): boolean {
  const server = (res.socket as { server?: { listening?: boolean } } | null)?.server;
  return server?.listening === false;
}

/**
 * Events produced in one turn of the event loop (one upstream read often carries dozens) are joined into
 * one string and leave in one write at the end of the turn: one chunked-encoding frame and one system call,
 * where a write per event would hand the kernel three buffers per event.
 */
export class SseWriter {
  private closed = false;
  private pending = '';
  private scheduled = false;
  /** Set while the socket's buffer is full: producers wait for it to drain. */
  private drained: Promise<void> | undefined;
  private readonly flush = () => {
    this.scheduled = false;
    if (this.pending.length === 0 || this.isClosed) {
      this.pending = '';
      return;
    }
    const text = this.pending;
    this.pending = '';
    if (!this.res.write(text) && !this.drained) {
      this.drained = new Promise<void>((resolve) => {
        const done = () => {
          this.res.off('drain', done);
          this.res.off('close', done);
          this.drained = undefined;
          resolve();
        };
        this.res.on('drain', done);
        this.res.on('close', done);
      });
    }
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

  /** While the client reads slower than events come: settles once the socket has drained. */
  get backpressure(): Promise<void> | undefined {
    return this.drained;
  }

  get isClosed(): boolean {
    return this.closed || this.res.destroyed;
  }

  /** Queues one `data:` event for this turn's write (producers check `backpressure` between batches). */
  data(json: string): void {
    if (this.isClosed) return;
    this.pending += `data: ${json}\n\n`;
    this.schedule();
  }

  /** Queues one named event (`event:` then `data:`), as Anthropic's and the Responses API's streams have. */
  event(name: string, json: string): void {
    if (this.isClosed) return;
    this.pending += `event: ${name}\ndata: ${json}\n\n`;
    this.schedule();
  }

  /**
   * Queues text that is already SSE framing (whole events, each ending in a blank line): an upstream's
   * events relayed as they came.
   */
  raw(text: string): void {
    if (this.isClosed) return;
    this.pending += text;
    this.schedule();
  }

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      // setImmediate runs right after this turn's I/O callbacks: every event of this read is in by then.
      setImmediate(this.flush);
    }
  }

  /** Writes an SSE comment line (`: text`), which clients ignore: keeps proxies and clients from timing out. */
  comment(text: string): void {
    if (this.isClosed) return;
    this.pending += `: ${text}\n\n`;
    this.flush();
  }

  /** Sends what is queued and ends the response. */
  end(): void {
    if (this.isClosed) return;
    const text = this.pending;
    this.pending = '';
    if (text.length > 0) this.res.end(text);
    else this.res.end();
  }
}
