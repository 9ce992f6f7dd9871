// Runs a request over its route: a whole answer (JSON), or a stream that commits at its first content
// (TensorZero's peek-first-chunk). Until a stream's first content chunk, an error or the first-token
// timeout may still retry or fall back; from then on the stream belongs to one upstream, and an upstream
// failure ends it (the caller tells the client in-band). Two upstream streams are never stitched together.
import type { GatewayError } from '../core/errors.js';
import { textRun } from '../core/relayed-chunk.js';
import type { CallSignal, ChatChunk, ChatRequest, ChatResponse, UpstreamCall } from '../core/types.js';
import { invalidUpstreamResponse } from '../providers/upstream-error.js';
import { type Attempt, AttemptLoop, type RunOptions } from './attempts.js';
import { completeVia, streamVia } from './dispatch.js';
import type { Router } from './router.js';
import type { Deployment, RoutePlan } from './routes.js';
import { nextOrAbort, settleOrAbort, upstreamTimeout } from './timeouts.js';

export type { AttemptKind, AttemptRecord, AttemptSpan, AttemptTracer, RunOptions } from './attempts.js';

export interface Served<T> {
  deployment: Deployment;
  /** The serving attempt's warnings (settings its provider dropped). */
  warnings: string[];
  value: T;
}

function callFor(deployment: Deployment, request: ChatRequest, signal: CallSignal): UpstreamCall {
  return { request: { ...request, model: deployment.target.upstreamModel }, signal, warnings: [] };
}

/** A whole answer from the first deployment that gives one. */
export async function runJson(
  router: Router,
  plan: RoutePlan,
  request: ChatRequest,
  options: RunOptions,
): Promise<Served<ChatResponse>> {
  const loop = new AttemptLoop(router, plan, options);
  const { responseMs } = plan.timeouts;
  const { value, attempt } = await loop.run(async ({ deployment, timer }) => {
    const call = callFor(deployment, request, timer);
    const provider = deployment.target.provider;
    timer.arm(responseMs, () => upstreamTimeout(provider.id, 'response', responseMs));
    const response = await settleOrAbort(completeVia(provider, call), timer);
    // An answer without a single choice is no answer: another attempt may give one.
    if (response.choices.length === 0)
      throw invalidUpstreamResponse(provider.id, 'the answer has no choices');
    return { response, warnings: call.warnings };
  });
  loop.succeeded(attempt, router.clock.now() - attempt.startedAt);
  return { deployment: attempt.deployment, warnings: value.warnings, value: value.response };
}

/** Whether a chunk carries something of the answer (text, a tool call, a refusal, a finish): the commit point. */
export function hasContent(chunk: ChatChunk): boolean {
  const run = textRun(chunk);
  if (run) return run.hasText();
  for (const choice of chunk.choices) {
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) return true;
    for (const [field, value] of Object.entries(choice.delta)) {
      if (field === 'role' || value === null || value === undefined) continue;
      if (typeof value === 'string' ? value.length > 0 : !Array.isArray(value) || value.length > 0)
        return true;
    }
  }
  return false;
}

interface Opened {
  iterator: AsyncIterator<ChatChunk[]>;
  /** Chunks read up to and including the batch with the first content. */
  head: ChatChunk[];
  warnings: string[];
  ttftMs: number;
}

/**
 * A stream from the first deployment that produces content. Resolves at that commit point; the chunks
 * (from the very first) are then read from `value` in batches (those of one network read), under the idle
 * timeout and the total deadline. The generator throws a GatewayError when the upstream fails after the
 * commit (or the client's abort).
 */
export async function openStream(
  router: Router,
  plan: RoutePlan,
  request: ChatRequest,
  options: RunOptions,
): Promise<Served<AsyncGenerator<ChatChunk[]>>> {
  const loop = new AttemptLoop(router, plan, options);
  const { firstTokenMs } = plan.timeouts;
  const opened = await loop.run(async ({ deployment, timer, startedAt }) => {
    const call = callFor(deployment, request, timer);
    if (options.relayChunks) call.relay = true;
    const provider = deployment.target.provider;
    timer.arm(firstTokenMs, () => upstreamTimeout(provider.id, 'first_token', firstTokenMs));
    const iterator = streamVia(provider, call)[Symbol.asyncIterator]();
    const head: ChatChunk[] = [];
    try {
      for (;;) {
        const next = await nextOrAbort(iterator, timer);
        if (next.done) throw invalidUpstreamResponse(provider.id, 'the stream ended without any content');
        head.push(...next.value);
        if (next.value.some(hasContent)) break;
      }
    } catch (error) {
      void Promise.resolve(iterator.return?.(undefined)).catch(() => undefined);
      throw error;
    }
    timer.disarm();
    return { iterator, head, warnings: call.warnings, ttftMs: router.clock.now() - startedAt };
  });
  return {
    deployment: opened.attempt.deployment,
    warnings: opened.value.warnings,
    value: committed(plan, loop, opened.attempt, opened.value),
  };
}

async function* committed(
  plan: RoutePlan,
  loop: AttemptLoop,
  attempt: Attempt,
  opened: Opened,
): AsyncGenerator<ChatChunk[]> {
  const { iterator, head, ttftMs } = opened;
  const { timer, deployment } = attempt;
  const provider = deployment.target.provider.id;
  const { idleMs } = plan.timeouts;
  const open = new Set<number>();
  const track = (chunk: ChatChunk) => {
    for (const choice of chunk.choices) {
      if (choice.finish_reason === null || choice.finish_reason === undefined) open.add(choice.index);
      else open.delete(choice.index);
    }
  };
  let ended = false;
  let settled = false;
  try {
    for (const chunk of head) track(chunk);
    yield head;
    for (;;) {
      timer.arm(idleMs, () => upstreamTimeout(provider, 'idle', idleMs));
      const next = await nextOrAbort(iterator, timer);
      timer.disarm();
      if (next.done) break;
      for (const chunk of next.value) track(chunk);
      yield next.value;
    }
    ended = true;
    // [DONE] after content but with a choice never finished: a truncated answer must not look complete.
    if (open.size > 0) throw invalidUpstreamResponse(provider, 'the stream ended without a finish reason');
    settled = true;
    loop.succeeded(attempt, ttftMs);
  } catch (error) {
    settled = true;
    const failure: GatewayError | undefined = loop.failed(attempt, error);
    throw failure ?? error;
  } finally {
    if (!settled) loop.failed(attempt, new Error('the stream was not read to its end'));
    if (!ended) void Promise.resolve(iterator.return?.(undefined)).catch(() => undefined);
    timer.dispose();
  }
}
