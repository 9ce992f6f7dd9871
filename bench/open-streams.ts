// Memory per open stream: N slow streams held open at once through the server under test, its RSS read
// before and while they are open. The upstream paces its chunks so the streams stay open.
import { Agent, type ClientRequest, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { memory } from './proc-stats.js';
import { median } from './stats.js';

export interface OpenStreamsResult {
  requested: number;
  /** Streams whose first chunk arrived (the upstream call is running); the others wait or failed. */
  streaming: number;
  /** Requests that failed or were answered with an error status. */
  failed: number;
  secondsToOpen: number;
  rssBeforeMb: number;
  rssOpenMb: number;
  peakRssMb: number;
  perStreamKb: number;
}

const MB = 1024 * 1024;

async function sampleRss(pid: number, ms: number, every = 100): Promise<number[]> {
  const samples: number[] = [];
  for (let waited = 0; waited < ms; waited += every) {
    samples.push(memory(pid).rss);
    await sleep(every);
  }
  return samples;
}

export async function openStreams(options: {
  url: string;
  headers: Record<string, string>;
  body: string;
  count: number;
  pid: number;
  openTimeoutMs: number;
  holdMs: number;
}): Promise<OpenStreamsResult> {
  const { url, headers, body, count, pid } = options;
  const before = median(await sampleRss(pid, 1000));
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const requests: ClientRequest[] = [];
  let streaming = 0;
  let failed = 0;
  let measured = false;
  const started = Date.now();
  let allOpen: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    allOpen = resolve;
  });
  const settle = () => {
    if (streaming + failed === count) allOpen();
  };
  for (let i = 0; i < count; i++) {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        if (res.statusCode !== 200) {
          failed++;
          res.resume();
          settle();
          return;
        }
        let first = true;
        res.on('data', () => {
          if (!first) return;
          first = false;
          streaming++;
          settle();
        });
        res.on('error', () => {});
      },
    );
    req.on('error', () => {
      // Errors after the measurement are our own aborts; before it they count as failures.
      if (!measured) {
        failed++;
        settle();
      }
    });
    req.end(body);
    requests.push(req);
  }
  await Promise.race([opened, sleep(options.openTimeoutMs)]);
  const secondsToOpen = (Date.now() - started) / 1000;
  const open = await sampleRss(pid, options.holdMs);
  const peak = memory(pid).hwm;
  measured = true;
  for (const req of requests) req.destroy();
  agent.destroy();
  const rssOpen = median(open);
  return {
    requested: count,
    streaming,
    failed,
    secondsToOpen,
    rssBeforeMb: before / MB,
    rssOpenMb: rssOpen / MB,
    peakRssMb: Math.max(peak, ...open) / MB,
    // Per connection held open: streams still queued for an upstream connection cost memory too.
    perStreamKb: (rssOpen - before) / 1024 / Math.max(1, count - failed),
  };
}
