// Closed-loop load with autocannon. Latencies are taken from autocannon's per-response event (fractional
// milliseconds) because its own histogram rounds to whole milliseconds, too coarse for a 0.3 ms target.

import { performance } from 'node:perf_hooks';
import autocannon, { type AutocannonRequest } from 'autocannon';
import { type Percentiles, percentiles } from './stats.js';

export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  headers: Record<string, string>;
  /** One body for every request, or a sequence each connection cycles through. */
  body?: string;
  requests?: AutocannonRequest[];
}

export interface LoadResult {
  /** Responses received (any status). */
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  elapsedSec: number;
  rps: number;
  /** Latency of 2xx responses, ms. */
  latency: Percentiles;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const times: number[] = [];
  let responses = 0;
  let ok = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationSec,
        timeout: 30,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...spec.headers },
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        ...(spec.requests ? { requests: spec.requests } : {}),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const elapsedSec = (performance.now() - started) / 1000;
        resolve({
          responses,
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          elapsedSec,
          rps: responses / elapsedSec,
          latency: percentiles(times),
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      responses++;
      if (status >= 200 && status < 300) {
        ok++;
        times.push(ms);
      }
    });
  });
}
