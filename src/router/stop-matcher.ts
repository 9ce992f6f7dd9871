// Gateway-side `stop` for providers that cannot stop on sequences themselves. Streaming text is held back
// just enough (the longest stop sequence minus one character) that a sequence split across chunks is still
// caught, and the stop text is never emitted.

/** Cuts `text` before the earliest stop sequence; `stopped` says whether one was found. */
export function cutAtStop(text: string, stops: readonly string[]): { text: string; stopped: boolean } {
  let cut = -1;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at !== -1 && (cut === -1 || at < cut)) cut = at;
  }
  return cut === -1 ? { text, stopped: false } : { text: text.slice(0, cut), stopped: true };
}

export class StreamStopMatcher {
  private pending = '';
  private readonly holdBack: number;
  stopped = false;

  constructor(private readonly stops: readonly string[]) {
    this.holdBack = Math.max(0, ...stops.map((s) => s.length)) - 1;
  }

  /** Text that is safe to emit now. After a stop is found, everything else is swallowed. */
  push(delta: string): string {
    if (this.stopped) return '';
    this.pending += delta;
    const { text, stopped } = cutAtStop(this.pending, this.stops);
    if (stopped) {
      this.stopped = true;
      this.pending = '';
      return text;
    }
    const safe = this.pending.length - this.holdBack;
    if (safe <= 0) return '';
    const out = this.pending.slice(0, safe);
    this.pending = this.pending.slice(safe);
    return out;
  }

  /** What is still held back when the upstream ends without a stop. */
  flush(): string {
    const out = this.stopped ? '' : this.pending;
    this.pending = '';
    return out;
  }
}

export function stopList(stop: string | string[] | null | undefined): string[] {
  if (stop === undefined || stop === null) return [];
  return (typeof stop === 'string' ? [stop] : stop).filter((s) => s.length > 0);
}
