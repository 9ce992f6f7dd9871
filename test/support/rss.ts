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

/**
 * NODE_OPTIONS for a gateway child whose garbage a test may collect (`collectGarbage`): V8's collector
 * exposed and test/support/gc-signal.mjs preloaded. Without it, an earlier request's buffers can still be
 * uncollected when a measure starts (Node 20's V8 does not weigh Buffers' memory in its limits), and the
 * measure depends on whether the collector ran in between.
 */
export const GC_ON_SIGNAL = `--expose-gc --import ${new URL('./gc-signal.mjs', import.meta.url).href}`;

/** Runs a full garbage collection in a child started with `GC_ON_SIGNAL`; resolves once it has run. */
export async function collectGarbage(child: {
  child: { pid?: number | undefined };
  output(): string;
}): Promise<void> {
  const done = (child.output().match(/tokgate-test: gc \d+/g) ?? []).length + 1;
  process.kill(child.child.pid!, 'SIGWINCH');
  const deadline = Date.now() + 5000;
  while ((child.output().match(/tokgate-test: gc \d+/g) ?? []).length < done) {
    assert.ok(Date.now() < deadline, 'the child did not collect its garbage (started without GC_ON_SIGNAL?)');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // The backing stores of collected Buffers are freed by V8's sweeper threads just after.
  await new Promise((resolve) => setTimeout(resolve, 100));
}
