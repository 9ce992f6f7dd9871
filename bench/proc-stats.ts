// CPU time and memory of a process, from Linux's /proc: the figures that survive noisy neighbours.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

function clockTicks(): number {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(out.stdout?.trim());
  return Number.isInteger(value) && value > 0 ? value : 100;
}

const CLK_TCK = clockTicks();

/**
 * User and system (kernel: system calls, and the loopback TCP stack on the sending side) CPU seconds used
 * so far by every thread of the process.
 */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

/**
 * System calls that read and that write (read/recv/pread..., write/writev/send/pwrite...) made so far by every
 * thread of the process (`/proc/<pid>/io`); undefined where the kernel does not expose them.
 */
export function ioCalls(pid: number): { reads: number; writes: number } | undefined {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const reads = Number(/^syscr:\s+(\d+)/m.exec(io)?.[1]);
    const writes = Number(/^syscw:\s+(\d+)/m.exec(io)?.[1]);
    return Number.isFinite(reads) && Number.isFinite(writes) ? { reads, writes } : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds used so far by every thread of the process. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (since start or the last `resetPeak`), bytes. */
  hwm: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Each process's highest VmHWM read just before it was reset, so a reset never hides a run-wide peak. */
const peaksBeforeReset = new Map<number, number>();

/** Resets the peak RSS (VmHWM) of a process (Linux ≥ 4.0); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    const { hwm } = memory(pid);
    peaksBeforeReset.set(pid, Math.max(peaksBeforeReset.get(pid) ?? 0, hwm));
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * The peak RSS of a process since it started, bytes: VmHWM now and before every `resetPeak`, so what happened
 * between measured cells (warm-ups, smoke tests) counts too.
 */
export function runPeak(pid: number): number {
  const before = peaksBeforeReset.get(pid) ?? 0;
  try {
    return Math.max(before, memory(pid).hwm);
  } catch {
    return before;
  }
}

/** Samples RSS every `intervalMs`; peak() also reads VmHWM, which catches spikes between samples. */
export class RssSampler {
  private readonly timer: NodeJS.Timeout;
  private max = 0;
  readonly samples: Array<{ atMs: number; rss: number }> = [];
  private readonly started = Date.now();
  private readonly peakReset: boolean;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.peakReset = resetPeak(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    try {
      const { rss } = memory(this.pid);
      this.max = Math.max(this.max, rss);
      this.samples.push({ atMs: Date.now() - this.started, rss });
    } catch {
      // The process is gone; the caller will notice.
    }
  }

  /** Stops sampling; returns the peak RSS in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    if (!this.peakReset) return this.max;
    try {
      return Math.max(this.max, memory(this.pid).hwm);
    } catch {
      return this.max;
    }
  }
}
