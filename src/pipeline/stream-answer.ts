// Assembles what a stream said while it passes through: the text generated (to count it when the provider
// reports no usage), the usage the provider reported, its usage-only chunk, and the commit point (the first
// chunk with a choice, from which the answer is this deployment's 200 stream).
import type { ChatChunk, Usage } from '../core/types.js';

export class StreamAnswer {
  readonly generated: string[] = [];
  reported: Usage | undefined;
  /** The upstream's usage-only chunk (no choices): held back, and sent last with the gateway's usage. */
  usageChunk: ChatChunk | undefined;
  committed = false;
  /** The stream's creation time (its first choice chunk's). */
  created = 0;

  /** `finishReasons` gets each choice's finish reason as it comes. */
  constructor(readonly finishReasons: string[] = []) {}

  /**
   * Takes one chunk; true when it is for the client (a usage-only chunk is held back). The first such
   * chunk commits the stream: `committed` turns true before it is returned.
   */
  take(chunk: ChatChunk): boolean {
    if (chunk.usage) {
      this.reported = chunk.usage;
      if (chunk.choices.length === 0) {
        this.usageChunk = chunk;
        return false;
      }
    }
    for (const choice of chunk.choices) {
      if (choice.finish_reason) this.finishReasons.push(choice.finish_reason);
      const { content, tool_calls } = choice.delta;
      if (typeof content === 'string' && content.length > 0) this.generated.push(content);
      for (const callDelta of tool_calls ?? []) {
        if (callDelta.function?.name) this.generated.push(callDelta.function.name);
        if (callDelta.function?.arguments) this.generated.push(callDelta.function.arguments);
      }
    }
    return true;
  }

  /** Marks the commit at this chunk. */
  commit(chunk: ChatChunk): void {
    this.committed = true;
    this.created = chunk.created;
  }
}
