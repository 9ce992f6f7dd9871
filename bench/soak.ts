// The soak: steady mixed load (small JSON and 200-chunk streams, alternating) against the gateway for a while,
// RSS sampled every second. "Flat" = after the warm-up (the first quarter, at least 10 s), the median RSS of
// the last quarter exceeds that of the first post-warm-up quarter by at most max(4 MB, 5 %).
import { type LoadResult, runLoad } from './load.js';
import { cpuSeconds, RssSampler } from './proc-stats.js';
import { median, slope } from './stats.js';

export interface SoakResult {
  seconds: number;
  connections: number;
  load: LoadResult;
  cpuMsPerRequest: number;
  warmupSec: number;
  rssStartMb: number;
  rssEndMb: number;
  growthMb: number;
  slopeMbPerMin: number;
  peakRssMb: number;
  flat: boolean;
  /** [seconds, MB] every second, for plotting. */
  samples: Array<[number, number]>;
}

const MB = 1024 * 1024;

export async function soak(options: {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  seconds: number;
  pid: number;
}): Promise<SoakResult> {
  const sampler = new RssSampler(options.pid, 1000);
  const cpuBefore = cpuSeconds(options.pid);
  const load = await runLoad({
    url: options.url,
    connections: options.connections,
    durationSec: options.seconds,
    headers: options.headers,
    requests: options.bodies.map((body) => ({ method: 'POST', body })),
  });
  const cpu = cpuSeconds(options.pid) - cpuBefore;
  const peak = sampler.stop();
  const samples = sampler.samples.map((s): [number, number] => [s.atMs / 1000, s.rss / MB]);
  const warmupSec = Math.max(10, options.seconds / 4);
  const after = samples.filter(([t]) => t >= warmupSec);
  const quarter = Math.max(1, Math.floor(after.length / 4));
  const start = median(after.slice(0, quarter).map(([, mb]) => mb));
  const end = median(after.slice(-quarter).map(([, mb]) => mb));
  const growth = end - start;
  return {
    seconds: options.seconds,
    connections: options.connections,
    load,
    cpuMsPerRequest: (cpu * 1000) / Math.max(1, load.responses),
    warmupSec,
    rssStartMb: start,
    rssEndMb: end,
    growthMb: growth,
    slopeMbPerMin: slope(after.map(([x, y]) => ({ x, y }))) * 60,
    peakRssMb: peak / MB,
    flat: after.length >= 4 && growth <= Math.max(4, start * 0.05),
    samples,
  };
}
