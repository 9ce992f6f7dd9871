// Gemini answers as canonical ones: a GenerateContentResponse as a ChatResponse, and a stream of them as
// ChatChunks shaped exactly like OpenAI's (role chunk per choice, content deltas, a finish chunk per choice,
// then one usage chunk with `choices: []`).
import { randomBytes } from 'node:crypto';
import type { ChatChunk, ChatResponse, Choice, ChunkChoice, ToolCall, Usage } from '../../core/types.js';
import type { GoogleCandidate, GoogleResponse, GoogleUsageMetadata } from './google-api.js';
import { mapGoogleFinishReason } from './map-google-finish-reason.js';

const randomId = (bytes: number) => randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x');

/** Gemini names no calls; OpenAI clients need an id to answer each one. */
export const toolCallId = () => `call_${randomId(18)}`;

export const completionId = (responseId: string | undefined) => `chatcmpl-${responseId ?? randomId(18)}`;

/**
 * Thinking is completion (billed as output), also shown as reasoning_tokens; tool-use prompt tokens are
 * prompt. So total_tokens equals Gemini's totalTokenCount.
 */
export function toUsage(meta: GoogleUsageMetadata): Usage {
  const prompt = meta.promptTokenCount + (meta.toolUsePromptTokenCount ?? 0);
  const completion = meta.candidatesTokenCount + (meta.thoughtsTokenCount ?? 0);
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  if (meta.cachedContentTokenCount !== undefined) {
    usage.prompt_tokens_details = { cached_tokens: meta.cachedContentTokenCount };
  }
  if (meta.thoughtsTokenCount !== undefined) {
    usage.completion_tokens_details = { reasoning_tokens: meta.thoughtsTokenCount };
  }
  return usage;
}

function toolCalls(candidate: GoogleCandidate): ToolCall[] {
  return candidate.functionCalls.map((call) => ({
    id: toolCallId(),
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args) },
  }));
}

/** `n`: the choices expected, so that a blocked prompt still answers each of them. */
export function toChatResponse(response: GoogleResponse, model: string, n: number): ChatResponse | undefined {
  let choices: Choice[];
  if (response.candidates.length > 0) {
    choices = [...response.candidates]
      .sort((a, b) => a.index - b.index)
      .map((candidate) => {
        const calls = toolCalls(candidate);
        const choice: Choice = {
          index: candidate.index,
          message: {
            role: 'assistant',
            content: candidate.text === '' && calls.length > 0 ? null : candidate.text,
            ...(calls.length > 0 ? { tool_calls: calls } : {}),
          },
          finish_reason: mapGoogleFinishReason(candidate.finishReason, calls.length > 0),
          logprobs: null,
        };
        if (candidate.finishReason) choice.native_finish_reason = candidate.finishReason;
        return choice;
      });
  } else if (response.blockReason) {
    choices = Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant', content: '' },
      finish_reason: 'content_filter',
      logprobs: null,
      native_finish_reason: response.blockReason,
    }));
  } else {
    return undefined;
  }
  const out: ChatResponse = {
    id: completionId(response.responseId),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: response.modelVersion ?? model,
    choices,
  };
  if (response.usage) out.usage = toUsage(response.usage);
  return out;
}

/** Turns the events of one Gemini stream into canonical chunks; `end()` says whether the stream was whole. */
export class GoogleStreamTranslator {
  private id: string | undefined;
  private readonly created = Math.floor(Date.now() / 1000);
  private model: string;
  private readonly started = new Set<number>();
  private readonly finished = new Set<number>();
  private readonly callCounts = new Map<number, number>();
  private usage: GoogleUsageMetadata | undefined;
  private blockReason: string | undefined;

  constructor(
    model: string,
    private readonly n: number,
  ) {
    this.model = model;
  }

  private chunk(choices: ChunkChoice[]): ChatChunk {
    return {
      id: this.id ?? '',
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices,
    };
  }

  private *open(index: number): Generator<ChatChunk> {
    if (this.started.has(index)) return;
    this.started.add(index);
    yield this.chunk([
      { index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ]);
  }

  private *finish(index: number, reason: string | undefined, blocked = false): Generator<ChatChunk> {
    this.finished.add(index);
    const hasCalls = (this.callCounts.get(index) ?? 0) > 0;
    const choice: ChunkChoice = {
      index,
      delta: {},
      logprobs: null,
      finish_reason: blocked ? 'content_filter' : mapGoogleFinishReason(reason, hasCalls),
    };
    if (reason) choice.native_finish_reason = reason;
    yield this.chunk([choice]);
  }

  *push(event: GoogleResponse): Generator<ChatChunk> {
    if (this.id === undefined) {
      // One id, created and model for the whole stream, from its first event.
      this.id = completionId(event.responseId);
      if (event.modelVersion) this.model = event.modelVersion;
    }
    if (event.usage) this.usage = event.usage;
    if (event.blockReason) this.blockReason = event.blockReason;
    for (const candidate of event.candidates) {
      const { index } = candidate;
      // Gemini may repeat a finish reason after the first (e.g. STOP, then MALFORMED_FUNCTION_CALL).
      if (this.finished.has(index)) continue;
      yield* this.open(index);
      if (candidate.text !== '') {
        yield this.chunk([
          { index, delta: { content: candidate.text }, logprobs: null, finish_reason: null },
        ]);
      }
      if (candidate.functionCalls.length > 0) {
        const first = this.callCounts.get(index) ?? 0;
        this.callCounts.set(index, first + candidate.functionCalls.length);
        // Gemini sends each call whole: one delta carries the id, the name and all the arguments.
        const calls = toolCalls(candidate).map((call, i) => ({ index: first + i, ...call }));
        yield this.chunk([{ index, delta: { tool_calls: calls }, logprobs: null, finish_reason: null }]);
      }
      if (candidate.finishReason) yield* this.finish(index, candidate.finishReason);
    }
  }

  /** Closes the stream; returns false when a choice never finished (the upstream stream was cut). */
  *end(): Generator<ChatChunk, boolean> {
    if (this.id === undefined) return false;
    if (this.started.size === 0 && this.blockReason) {
      for (let index = 0; index < this.n; index += 1) {
        yield* this.open(index);
        yield* this.finish(index, this.blockReason, true);
      }
    }
    if (this.started.size === 0) return false;
    for (const index of this.started) if (!this.finished.has(index)) return false;
    if (this.usage) yield { ...this.chunk([]), usage: toUsage(this.usage) };
    return true;
  }
}
