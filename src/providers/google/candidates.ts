// `n` on Gemini: candidateCount does it natively, but only up to 8 per call, only on Gemini 1.5/2.x (Gemini 3
// answers "Multiple candidates is not enabled for this model"), and streaming is not known to honour it (other
// gateways document "stream mode only allows n=1"). So n is split here into parallel calls of at most the cap,
// merged into choices 0..n-1 (streams interleaved), usage summed: every call is billed.
import { linkedController } from '../../core/call-signal.js';
import type { CallSignal, ChatChunk, ChatResponse, Usage } from '../../core/types.js';

const GEMINI_MAX_CANDIDATES = 8;

/**
 * Candidates one call may ask for. `max_candidates` from the provider options wins (for streams too: the
 * operator vouches for the deployment); else 8 on Gemini 1.5/2.x JSON calls, and 1 for streams and other models.
 */
export function candidateCap(model: string, stream: boolean, configured: string | undefined): number {
  const fromConfig = Number(configured);
  if (Number.isInteger(fromConfig) && fromConfig >= 1) return Math.min(fromConfig, GEMINI_MAX_CANDIDATES);
  if (stream) return 1;
  return /^(models\/)?gemini-(1\.5|2\.0|2\.5)-/.test(model) ? GEMINI_MAX_CANDIDATES : 1;
}

/** n split into calls of at most `cap` candidates: 10 with cap 8 → [8, 2]. */
export function candidateBatches(n: number, cap: number): number[] {
  const batches: number[] = [];
  for (let left = n; left > 0; left -= cap) batches.push(Math.min(cap, left));
  return batches;
}

const add = (a: number | undefined, b: number | undefined) =>
  a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);

export function sumUsage(a: Usage | undefined, b: Usage): Usage {
  if (!a) return b;
  const out: Usage = {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
  const cached = add(a.prompt_tokens_details?.cached_tokens, b.prompt_tokens_details?.cached_tokens);
  if (cached !== undefined) out.prompt_tokens_details = { cached_tokens: cached };
  const reasoning = add(
    a.completion_tokens_details?.reasoning_tokens,
    b.completion_tokens_details?.reasoning_tokens,
  );
  if (reasoning !== undefined) out.completion_tokens_details = { reasoning_tokens: reasoning };
  return out;
}

export async function completeInBatches(
  batches: readonly number[],
  signal: CallSignal,
  run: (count: number, signal: CallSignal) => Promise<ChatResponse>,
): Promise<ChatResponse> {
  const controller = linkedController(signal);
  let responses: ChatResponse[];
  try {
    responses = await Promise.all(batches.map((count) => run(count, controller.signal)));
  } finally {
    controller.abort();
  }
  const [first] = responses;
  if (!first) throw new Error('completeInBatches needs at least one batch');
  let offset = 0;
  let usage: Usage | undefined;
  const choices = responses.flatMap((response, i) => {
    const shifted = response.choices.map((choice) => ({ ...choice, index: choice.index + offset }));
    offset += batches[i] ?? 0;
    if (response.usage) usage = sumUsage(usage, response.usage);
    return shifted;
  });
  const merged: ChatResponse = { ...first, choices };
  if (usage) merged.usage = usage;
  else delete merged.usage;
  return merged;
}

type Step =
  | { i: number; result: IteratorResult<ChatChunk[]>; error?: undefined }
  | { i: number; error: unknown; result?: undefined };

/** Interleaves the streams' batches as they arrive; one usage chunk, summed, comes last. */
export async function* streamInBatches(
  batches: readonly number[],
  signal: CallSignal,
  run: (count: number, signal: CallSignal) => AsyncIterable<ChatChunk[]>,
): AsyncGenerator<ChatChunk[]> {
  const controller = linkedController(signal);
  const iterators = batches.map((count) => run(count, controller.signal)[Symbol.asyncIterator]());
  const offsets = batches.map((_, i) => batches.slice(0, i).reduce((a, b) => a + b, 0));
  const pending = new Map<number, Promise<Step>>();
  const pull = (i: number) => {
    const iterator = iterators[i];
    if (!iterator) return;
    // Never rejects, so a sibling's failure cannot become an unhandled rejection.
    pending.set(
      i,
      iterator.next().then(
        (result) => ({ i, result }),
        (error: unknown) => ({ i, error }),
      ),
    );
  };
  iterators.forEach((_, i) => {
    pull(i);
  });
  let usage: Usage | undefined;
  let head: Pick<ChatChunk, 'id' | 'created' | 'model'> | undefined;
  try {
    while (pending.size > 0) {
      const step = await Promise.race(pending.values());
      pending.delete(step.i);
      if (step.result === undefined) throw step.error;
      if (step.result.done) continue;
      pull(step.i);
      const offset = offsets[step.i] ?? 0;
      const out: ChatChunk[] = [];
      for (const chunk of step.result.value) {
        if (chunk.usage) usage = sumUsage(usage, chunk.usage);
        if (chunk.choices.length === 0) continue;
        head ??= { id: chunk.id, created: chunk.created, model: chunk.model };
        out.push({
          ...chunk,
          ...head,
          choices: chunk.choices.map((choice) => ({ ...choice, index: choice.index + offset })),
        });
      }
      if (out.length > 0) yield out;
    }
    if (usage && head) yield [{ ...head, object: 'chat.completion.chunk', choices: [], usage }];
  } finally {
    // Stop the calls still running (the consumer left, or one call failed) and let them clean up.
    controller.abort();
    for (const i of pending.keys()) void iterators[i]?.return?.().catch(() => undefined);
  }
}
