// Calls a provider, emulating what it cannot do natively, once and for every provider:
// - `n` > 1 without native support: n parallel calls, merged into choices 0..n-1 (interleaved by index when
//   streaming); usage is the sum over the calls made, so every choice is billed;
// - `stop` without native support: matched by the gateway, also across chunk boundaries, never emitted.
import { linkedController } from '../core/call-signal.js';
import { invalidRequest } from '../core/errors.js';
import { nativeRequestOf } from '../core/native.js';
import type { ChatChunk, ChatRequest, ChatResponse, Provider, UpstreamCall, Usage } from '../core/types.js';
import { cutAtStop, StreamStopMatcher, stopList } from './stop-matcher.js';

interface Plan {
  /** The request each upstream call gets. */
  request: ChatRequest;
  calls: number;
  stops: string[];
}

function plan(provider: Provider, request: ChatRequest): Plan {
  const n = request.n ?? 1;
  const fanOut = n > 1 && provider.supports?.n === false;
  const stops = provider.supports?.stop === false ? stopList(request.stop) : [];
  if (!fanOut && stops.length === 0) return { request, calls: 1, stops };
  const single: ChatRequest = { ...request };
  if (fanOut) delete single.n;
  if (stops.length > 0) delete single.stop;
  return { request: single, calls: fanOut ? n : 1, stops };
}

/** Sums usage over calls; undefined when any call did not report it (the meter then counts). */
export function sumUsage(usages: ReadonlyArray<Usage | null | undefined>): Usage | undefined {
  if (usages.length === 1) return usages[0] ?? undefined;
  const total: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  let cached = 0;
  let written = 0;
  let writtenHour = 0;
  let reasoning = 0;
  for (const usage of usages) {
    if (!usage) return undefined;
    total.prompt_tokens += usage.prompt_tokens;
    total.completion_tokens += usage.completion_tokens;
    total.total_tokens += usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens;
    cached += usage.prompt_tokens_details?.cached_tokens ?? 0;
    written += Number(usage.prompt_tokens_details?.cache_write_tokens ?? 0) || 0;
    writtenHour += Number(usage.prompt_tokens_details?.cache_write_1h_tokens ?? 0) || 0;
    reasoning += usage.completion_tokens_details?.reasoning_tokens ?? 0;
  }
  total.prompt_tokens_details = {
    cached_tokens: cached,
    ...(written > 0 ? { cache_write_tokens: written } : {}),
    ...(writtenHour > 0 ? { cache_write_1h_tokens: writtenHour } : {}),
  };
  total.completion_tokens_details = { reasoning_tokens: reasoning };
  return total;
}

/**
 * A front door's native request (core/native.ts) reaching a provider that does not speak its protocol: the
 * canonical translation goes instead, with what it drops said in the warnings, or the request is refused
 * when the translation would change its meaning.
 */
function translateNative(provider: Provider, call: UpstreamCall): void {
  const native = nativeRequestOf(call.request);
  if (!native || provider.speaks?.(native.protocol, call.request.model)) return;
  const { refusal, warnings } = native.translation;
  if (refusal !== undefined) throw typeof refusal === 'string' ? invalidRequest(refusal) : refusal;
  for (const warning of warnings) if (!call.warnings.includes(warning)) call.warnings.push(warning);
}

export async function completeVia(provider: Provider, call: UpstreamCall): Promise<ChatResponse> {
  translateNative(provider, call);
  const { request, calls, stops } = plan(provider, call.request);
  let response: ChatResponse;
  if (calls === 1) {
    response = await provider.complete({ ...call, request });
  } else {
    const controller = linkedController(call.signal);
    let responses: ChatResponse[];
    try {
      responses = await Promise.all(
        Array.from({ length: calls }, (_, i) =>
          // Warnings are the same for every call: keep the first call's.
          provider.complete({ request, signal: controller.signal, warnings: i === 0 ? call.warnings : [] }),
        ),
      );
    } catch (error) {
      controller.abort();
      throw error;
    }
    const first = responses[0]!;
    const usage = sumUsage(responses.map((r) => r.usage));
    response = { ...first, choices: responses.map((r, i) => ({ ...r.choices[0]!, index: i })) };
    if (usage) response.usage = usage;
    else delete response.usage;
  }
  if (stops.length > 0) {
    for (const choice of response.choices) {
      if (typeof choice.message.content !== 'string') continue;
      const { text, stopped } = cutAtStop(choice.message.content, stops);
      if (stopped) {
        choice.message.content = text;
        choice.finish_reason = 'stop';
      }
    }
  }
  return response;
}

/** Interleaves several streams as their batches arrive, tagging each batch with its stream's index. */
async function* interleave<T>(streams: AsyncIterator<T>[]): AsyncGenerator<[number, T]> {
  type Step = { i: number; result: IteratorResult<T> };
  const pending = new Map<number, Promise<Step>>();
  const pull = (i: number) =>
    pending.set(
      i,
      streams[i]!.next().then((result) => ({ i, result })),
    );
  streams.forEach((_, i) => {
    pull(i);
  });
  try {
    while (pending.size > 0) {
      const { i, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(i);
        continue;
      }
      pull(i);
      yield [i, result.value];
    }
  } finally {
    // Stopped early (error, client gone, all choices stopped): nobody awaits these any more.
    for (const [i, step] of pending) {
      step.catch(() => undefined);
      void streams[i]!.return?.(undefined)?.catch(() => undefined);
    }
  }
}

export function streamVia(provider: Provider, call: UpstreamCall): AsyncIterable<ChatChunk[]> {
  translateNative(provider, call);
  const { request, calls, stops } = plan(provider, call.request);
  // Nothing to emulate: the provider's own stream, with no generator in between.
  if (calls === 1 && stops.length === 0) return provider.stream({ ...call, request });
  // Emulation changes chunks, so its calls never ask for them with their upstream text (`relay`).
  return emulated(provider, call, request, calls, stops);
}

async function* emulated(
  provider: Provider,
  call: UpstreamCall,
  request: ChatRequest,
  calls: number,
  stops: string[],
): AsyncGenerator<ChatChunk[]> {
  const controller = linkedController(call.signal);
  const streams = Array.from({ length: calls }, (_, i) =>
    provider
      .stream({ request, signal: controller.signal, warnings: i === 0 ? call.warnings : [] })
      [Symbol.asyncIterator](),
  );
  const usages: Array<Usage | undefined> = new Array(calls).fill(undefined);
  const matchers = new Map<number, StreamStopMatcher>();
  const finished = new Set<number>();
  let last: ChatChunk | undefined;
  try {
    for await (const [stream, batch] of interleave(streams)) {
      const out: ChatChunk[] = [];
      let done = false;
      for (const chunk of batch) {
        last = chunk;
        if (chunk.usage) usages[stream] = chunk.usage;
        if (chunk.choices.length === 0) continue;
        const choices = [];
        for (const choice of chunk.choices) {
          // A fanned-out call has one choice; its index becomes the call's.
          const index = calls > 1 ? stream : choice.index;
          if (finished.has(index)) continue;
          choice.index = index;
          if (stops.length > 0) {
            let matcher = matchers.get(index);
            if (!matcher) {
              matcher = new StreamStopMatcher(stops);
              matchers.set(index, matcher);
            }
            const content = choice.delta.content;
            if (typeof content === 'string') choice.delta.content = matcher.push(content);
            if (matcher.stopped) choice.finish_reason = 'stop';
            else if (choice.finish_reason !== null) {
              const rest = matcher.flush();
              if (rest) choice.delta.content = (choice.delta.content ?? '') + rest;
            }
          }
          if (choice.finish_reason !== null) finished.add(index);
          choices.push(choice);
        }
        if (choices.length === 0) continue;
        chunk.choices = choices;
        if (calls > 1) delete chunk.usage;
        out.push(chunk);
        // Every choice stopped on a stop sequence: end now (the upstream calls are aborted).
        if (stops.length > 0 && finished.size === (calls > 1 ? calls : (call.request.n ?? 1))) {
          if ([...matchers.values()].every((m) => m.stopped)) {
            done = true;
            break;
          }
        }
      }
      if (out.length > 0) yield out;
      if (done) return;
    }
    if (calls > 1 && last) {
      const usage = sumUsage(usages);
      if (usage) yield [{ ...last, choices: [], usage }];
    }
  } finally {
    controller.abort();
  }
}
