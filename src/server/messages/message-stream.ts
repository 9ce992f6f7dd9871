// A streamed Messages answer. From an Anthropic upstream, its own events are relayed as they came (only
// message_start's model is the one the client asked for, and message_stop waits for the ledger row). From
// any other model, canonical chunks are re-framed as Anthropic's event sequence: message_start, then per
// content block content_block_start / content_block_delta... / content_block_stop (text, thinking and
// tool_use blocks, numbered in order), message_delta with the stop reason and usage, message_stop.
import { anthropicErrorBody } from '../../core/error-renderers.js';
import { relayedOf } from '../../core/native.js';
import type { ChatChunk, FinishReason, Usage } from '../../core/types.js';
import type { EventSink, StreamEncoder } from '../../pipeline/front-door.js';
import { messageId, messagesUsage, stopReasonOf } from './chat-to-message.js';

const PROTOCOL = 'anthropic-messages';
const MESSAGE_STOP = '{"type":"message_stop"}';
const MESSAGE_START_PREFIX = 'event: message_start\n';

type Block = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; call: number };

/** The client's model name in a relayed message_start (the upstream names its own). */
function withModel(events: string, model: string): string {
  if (!events.startsWith(MESSAGE_START_PREFIX)) return events;
  const end = events.indexOf('\n\n');
  const dataLine = events.slice(MESSAGE_START_PREFIX.length, end);
  if (!dataLine.startsWith('data: ')) return events;
  try {
    const event = JSON.parse(dataLine.slice(6)) as { message?: { model?: unknown } };
    if (event.message) event.message.model = model;
    return `${MESSAGE_START_PREFIX}data: ${JSON.stringify(event)}${events.slice(end)}`;
  } catch {
    return events;
  }
}

export class MessageStreamEncoder implements StreamEncoder {
  /** Whether this stream relays an Anthropic upstream's own events (known at the first chunk). */
  private relaying: boolean | undefined;
  private started = false;
  private nextIndex = 0;
  private open: Block | undefined;
  private finish: FinishReason | null = null;

  constructor(
    private readonly requestId: string,
    private readonly model: string,
  ) {}

  chunk(chunk: ChatChunk, _created: number, sink: EventSink): void {
    const relayed = relayedOf(chunk, PROTOCOL);
    this.relaying ??= relayed !== undefined;
    if (this.relaying) {
      if (relayed === undefined) return;
      if (!this.started) {
        this.started = true;
        sink.raw(withModel(relayed, this.model));
      } else sink.raw(relayed);
      return;
    }
    this.start(sink);
    const choice = chunk.choices[0];
    if (!choice) return;
    const { delta } = choice;
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
      this.enter({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' }, sink);
      this.delta({ type: 'thinking_delta', thinking: delta.reasoning_content }, sink);
    }
    if (typeof delta.content === 'string' && delta.content !== '') {
      this.enter({ kind: 'text' }, { type: 'text', text: '' }, sink);
      this.delta({ type: 'text_delta', text: delta.content }, sink);
    }
    for (const call of delta.tool_calls ?? []) {
      const current = this.open?.kind === 'tool' ? this.open.call : undefined;
      if (current !== call.index) {
        const block = { type: 'tool_use', id: call.id ?? '', name: call.function?.name ?? '', input: {} };
        this.enter({ kind: 'tool', call: call.index }, block, sink);
      }
      const args = call.function?.arguments;
      if (args) this.delta({ type: 'input_json_delta', partial_json: args }, sink);
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
  }

  end(usage: Usage, _usageChunk: ChatChunk | undefined, _created: number, sink: EventSink): void {
    if (this.relaying) {
      sink.event('message_stop', MESSAGE_STOP);
      return;
    }
    this.start(sink);
    this.close(sink);
    const counts = messagesUsage(usage);
    const delta = {
      type: 'message_delta',
      delta: { stop_reason: stopReasonOf(this.finish), stop_sequence: null },
      usage: counts,
    };
    sink.event('message_delta', JSON.stringify(delta));
    sink.event('message_stop', MESSAGE_STOP);
  }

  error(error: Parameters<StreamEncoder['error']>[0], sink: EventSink): void {
    sink.event('error', JSON.stringify(anthropicErrorBody(error)));
  }

  private start(sink: EventSink): void {
    if (this.started) return;
    this.started = true;
    const message = {
      id: messageId(this.requestId),
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Translated streams learn their counts at the end: message_delta carries them all.
      usage: {
        input_tokens: 0,
        output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    };
    sink.event('message_start', JSON.stringify({ type: 'message_start', message }));
    sink.event('ping', '{"type":"ping"}');
  }

  /** Opens a block of this kind, unless one is open already. */
  private enter(block: Block, contentBlock: Record<string, unknown>, sink: EventSink): void {
    if (this.open && this.open.kind === block.kind && block.kind !== 'tool') return;
    this.close(sink);
    this.open = block;
    const start = { type: 'content_block_start', index: this.nextIndex, content_block: contentBlock };
    sink.event('content_block_start', JSON.stringify(start));
  }

  private delta(delta: Record<string, unknown>, sink: EventSink): void {
    const event = { type: 'content_block_delta', index: this.nextIndex, delta };
    sink.event('content_block_delta', JSON.stringify(event));
  }

  private close(sink: EventSink): void {
    if (!this.open) return;
    sink.event('content_block_stop', JSON.stringify({ type: 'content_block_stop', index: this.nextIndex }));
    this.open = undefined;
    this.nextIndex += 1;
  }
}
