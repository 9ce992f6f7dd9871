// Time-to-first-token and the gaps between chunks, which autocannon cannot see: one stream at a time over a
// keep-alive connection, timing every read of the response body from the moment the request is sent.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type Percentiles, percentiles } from './stats.js';

export interface ProbeResult {
  streams: number;
  failures: number;
  /** Request sent → first bytes carrying generated text (the first token), ms. */
  ttft: Percentiles;
  /** Between successive reads of the body after the first, ms (chunks are paced by the upstream). */
  gap: Percentiles;
  /** Request sent → end of the stream, ms. */
  total: Percentiles;
}

interface OneStream {
  ttft: number;
  gaps: number[];
  total: number;
}

const FIRST_TOKEN = /"content":"[^"]/;

function oneStream(
  agent: Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<OneStream> {
  return new Promise((resolve, reject) => {
    const gaps: number[] = [];
    let ttft = -1;
    let last = 0;
    const started = performance.now();
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`status ${res.statusCode}`));
          return;
        }
        res.on('data', (part: Buffer) => {
          const now = performance.now();
          if (ttft < 0) {
            // The first token: a chunk with non-empty content (the role chunk carries `"content":""`).
            if (!FIRST_TOKEN.test(part.toString('latin1'))) return;
            ttft = now - started;
          } else gaps.push(now - last);
          last = now;
        });
        res.on('end', () => resolve({ ttft, gaps, total: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

/** Runs `count` streams one after the other (after `warmup` unmeasured ones). */
export async function probeStreams(
  url: string,
  headers: Record<string, string>,
  body: string,
  count: number,
  warmup = 10,
): Promise<ProbeResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const ttfts: number[] = [];
  const gaps: number[] = [];
  const totals: number[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < warmup + count; i++) {
      try {
        const one = await oneStream(agent, target, headers, body);
        if (i < warmup) continue;
        ttfts.push(one.ttft);
        gaps.push(...one.gaps);
        totals.push(one.total);
      } catch {
        if (i >= warmup) failures++;
      }
    }
  } finally {
    agent.destroy();
  }
  return {
    streams: ttfts.length,
    failures,
    ttft: percentiles(ttfts),
    gap: percentiles(gaps),
    total: percentiles(totals),
  };
}
