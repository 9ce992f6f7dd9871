// The order in which a request tries a route's deployments. `fallback`: the configured order. `weighted`:
// the first is chosen by power of two choices (two drawn by weight, the one with the lower health score
// wins), the rest follow in weighted-random order (sampled by weight without replacement). Deployments whose circuit is open go last, soonest to
// reopen first: they are tried only when nothing else is left (Envoy's "panic" rule: a request is never
// refused just because every deployment is cooling down).
import type { Clock } from '../core/clock.js';
import type { HealthBoard } from './health.js';

export interface Candidate {
  /** `provider/model` */
  id: string;
  weight: number;
}

export type Strategy = 'fallback' | 'weighted';

/** Draws one candidate with probability proportional to its weight. */
export function drawWeighted<T extends Candidate>(items: readonly T[], random: number): number {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let point = random * total;
  for (const [i, item] of items.entries()) {
    point -= item.weight;
    if (point < 0) return i;
  }
  return items.length - 1;
}

/** Weighted sampling without replacement: the whole list, in a weighted-random order. */
function weightedShuffle<T extends Candidate>(items: readonly T[], clock: Clock): T[] {
  const left = [...items];
  const out: T[] = [];
  while (left.length > 0) out.push(left.splice(drawWeighted(left, clock.random()), 1)[0]!);
  return out;
}

export function orderCandidates<T extends Candidate>(
  strategy: Strategy,
  candidates: readonly T[],
  health: HealthBoard,
  clock: Clock,
): T[] {
  const up = candidates.filter((c) => health.available(c.id));
  const down = candidates
    .filter((c) => !health.available(c.id))
    .sort((a, b) => health.reopensAt(a.id) - health.reopensAt(b.id));
  if (strategy === 'fallback' || up.length < 2) return [...weightedIfNeeded(strategy, up, clock), ...down];
  // Two draws by weight, with replacement: a heavy deployment often meets itself and wins outright, so the
  // weights still shape traffic when the scores decide only between two different deployments.
  const a = up[drawWeighted(up, clock.random())]!;
  const b = up[drawWeighted(up, clock.random())]!;
  const first = a !== b && health.score(b.id) < health.score(a.id) ? b : a;
  return [
    first,
    ...weightedShuffle(
      up.filter((c) => c !== first),
      clock,
    ),
    ...down,
  ];
}

function weightedIfNeeded<T extends Candidate>(strategy: Strategy, up: readonly T[], clock: Clock): T[] {
  return strategy === 'weighted' ? weightedShuffle(up, clock) : [...up];
}
