// Assembles what a stream said while it passes through: the text generated (to count it when the provider
// reports no usage), the usage the provider reported, its usage-only chunk, and the commit point (the first
// chunk with a choice, from which the answer is this deployment's 200 stream).
import { decodeRunTexts, type TextRun, textRun } from '../core/relayed-chunk.js';
import type { ChatChunk, Usage } from '../core/types.js';

/**
 * The texts a stream generated, in order. A relayed run's are kept as its escaped texts, decoded only when
 * read (when the upstream reported no usage, or a trace keeps the output).
 */
export class GeneratedText {
  private readonly parts: Array<string | { escaped: string }> = [];

  push(text: string): void {
    this.parts.push(text);
  }

  pushRun(run: TextRun): void {
    this.parts.push({ escaped: run.escapedTexts() });
  }

  texts(): string[] {
    const texts: string[] = [];
    for (const part of this.parts) {
      if (typeof part === 'string') texts.push(part);
      else texts.push(...decodeRunTexts(part.escaped));
    }
    return texts;
  }

  join(separator: string): string {
    return this.texts().join(separator);
  }
}

export class StreamAnswer {
  readonly generated = new GeneratedText();
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
    const run = textRun(chunk);
    if (run) {
      // Plain text deltas of one choice: no usage, no finish, no tool call.
      this.generated.pushRun(run);
      return true;
    }
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
