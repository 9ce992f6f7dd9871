// Turns what an upstream call produced into metered usage and cost: provider-reported counts where given,
// the model's tokenizer otherwise (and the row says which).

import type { ModelCatalog } from '../catalog/catalog.js';
import type { Target } from '../catalog/target.js';
import type { ChatRequest, ChatResponse, Usage, UsageSource } from '../core/types.js';
import { costMicros } from './pricing.js';
import { countGeneratedTokens, countPromptTokens } from './tokenizer.js';

export interface Metered {
  usage: Usage;
  source: UsageSource;
  /** Undefined when the model is unpriced. */
  costMicros: number | undefined;
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
  constructor(private readonly catalog: ModelCatalog) {}

  measure(
    target: Target,
    request: ChatRequest,
    reported: Usage | null | undefined,
    generated: readonly string[],
  ) {
    let usage: Usage;
    let source: UsageSource;
    if (isUsable(reported)) {
      usage = reported;
      source = 'provider';
    } else {
      const tokenizer = this.catalog.tokenizerFor(target.model, target.provider.id);
      const prompt = countPromptTokens(request.messages, tokenizer);
      const completion = countGeneratedTokens(generated, tokenizer);
      usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
      source = 'estimated';
    }
    return { usage, source, costMicros: costMicros(target.entry?.price, usage) } satisfies Metered;
  }
}
