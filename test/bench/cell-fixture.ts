// A load cell of the bench's report as the tests of its tables build it: 1,000 answered requests and
// neutral figures, overridden where a test looks.
import type { Cell } from '../../bench/report.js';

export function benchCell(
  where: Pick<Cell, 'scenario' | 'connections' | 'target' | 'round'>,
  figures: Partial<Cell> = {},
): Cell {
  return {
    ...where,
    responses: 1000,
    ok: 1000,
    non2xx: 0,
    errors: 0,
    rps: 1000,
    latency: { count: 1000, mean: 1, p50: 1, p90: 1, p99: 1, max: 1 },
    addedP50Ms: null,
    addedP99Ms: null,
    cpuUsPerRequest: 100,
    systemUsPerRequest: 0,
    readCallsPerRequest: null,
    writeCallsPerRequest: null,
    upstreamCpuUsPerRequest: 0,
    rpsVsBare: null,
    cpuVsBare: null,
    peakRssMb: 100,
    ...figures,
  };
}
