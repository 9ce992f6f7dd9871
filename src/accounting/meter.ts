// Turns what an upstream call produced into metered usage and cost: provider-reported counts where given,
// the model's tokenizer otherwise (and the row says which). Only the latter touches the token pool.

import type { ModelCatalog } from '../catalog/catalog.js';
import type { Target } from '../catalog/target.js';
import type { ChatRequest, ChatResponse, Usage, UsageSource } from '../core/types.js';
import { costMicros } from './pricing.js';
import type { TokenCounter } from './token-pool.js';
import { fallbackCount, messageText, promptFraming } from './tokenizer.js';

/** What a request billed in units other than tokens (characters of speech, seconds of audio, images). */
export interface Units {
  count: number;
  unit: 'characters' | 'seconds' | 'images';
}

export interface Metered {
  usage: Usage;
  source: UsageSource;
  /** What the tenant is charged; undefined when the model is unpriced (for it). */
  costMicros: number | undefined;
  /**
   * What the answer cost the operator upstream at list price, once a price plan made the charge differ
   * (accounting/plans.ts; null: no list price); undefined when the charge is the list price itself.
   */
  upstreamCostMicros?: number | null;
  /** Set for requests billed by a unit of their own (audio). */
  units?: Units;
}

/** Text the upstream generated, gathered so it can be counted when the provider reports no usage. */
export function responseText(response: ChatResponse): string[] {
  const texts: string[] = [];
  for (const choice of response.choices) {
    const { content, tool_calls } = choice.message;
    if (typeof content === 'string') texts.push(content);
    for (const call of tool_calls ?? []) texts.push(call.function.name, call.function.arguments);
  }
  return texts;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

export function isUsable(usage: Usage | null | undefined): usage is Usage {
  return !!usage && isCount(usage.prompt_tokens) && isCount(usage.completion_tokens);
}

export class Meter {
  constructor(
    readonly catalog: ModelCatalog,
    readonly tokens: TokenCounter,
  ) {}

  async measure(
    target: Target,
    request: ChatRequest,
    reported: Usage | null | undefined,
    generated: { join(separator: string): string },
  ): Promise<Metered> {
    if (isUsable(reported)) {
      return { usage: reported, source: 'provider', costMicros: costMicros(target.entry?.price, reported) };
    }
    const tokenizer = this.catalog.tokenizerFor(target.model, target.provider.id);
    const text = generated.join('');
    const counted = await this.tokens.count(request.messages, tokenizer, 'estimate', text);
    // Past the time budget: about four characters a token (as while an encoding loads), for the prompt as
    // for the answer. The byte bound would be safe only for reserving: here it is what the client pays, and
    // it would charge ASCII text about four times over. The row says 'estimated' either way.
    const prompt = counted?.prompt ?? estimatePrompt(request);
    const completion = counted?.generated ?? fallbackCount(text, 'estimate');
    const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    const source: UsageSource = 'estimated';
    return { usage, source, costMicros: costMicros(target.entry?.price, usage) };
  }
}

function estimatePrompt(request: ChatRequest): number {
  let total = promptFraming(request.messages);
  for (const message of request.messages) total += fallbackCount(messageText(message), 'estimate');
  return total;
}
