// The peak resident memory of another process, from the kernel (Linux only): VmHWM in /proc/<pid>/status,
// reset before a piece of work (`echo 5 > /proc/<pid>/clear_refs`), so no sampling can miss the peak. The
// memory tests measure a `tokgate serve` process this way, so the test's own buffers do not count.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';

function kib(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  assert.ok(match, `${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Peak resident bytes of process `pid` above its resident size when `work` started. */
export async function peakGrowth(pid: number, work: () => Promise<void>): Promise<number> {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const base = kib(pid, 'VmRSS');
  await work();
  return kib(pid, 'VmHWM') - base;
}
