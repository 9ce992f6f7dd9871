// A stream's bytes cut into reads every which way: whole, byte by byte, at every single offset, and at
// random sets of offsets (deterministic), for tests that a reader gives the same result however the
// network splits its input.

/** The bytes cut at the given offsets (ascending). */
export function cut(bytes: Buffer, at: readonly number[]): Uint8Array[] {
  const edges = [0, ...at, bytes.length];
  return edges.slice(1).map((end, i) => new Uint8Array(bytes.subarray(edges[i], end)));
}

/** A small deterministic generator for random cuts. */
export function prng(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

/** The cuts to try for `length` bytes: none, every byte, every single offset, and `random` sets of up to 8. */
export function cutsOf(length: number, random = 200): number[][] {
  const cuts: number[][] = [[], Array.from({ length: length - 1 }, (_, i) => i + 1)];
  for (let i = 1; i < length; i++) cuts.push([i]);
  const next = prng(length);
  for (let k = 0; k < random; k++) {
    const at = new Set<number>();
    const n = 1 + Math.floor(next() * 8);
    for (let j = 0; j < n; j++) at.add(1 + Math.floor(next() * (length - 1)));
    cuts.push([...at].sort((a, b) => a - b));
  }
  return cuts;
}
