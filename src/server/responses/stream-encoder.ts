// Canonical chat chunks → the Responses API's event stream: response.created and response.in_progress
// first, then for each output item its `added`, its deltas and its `done` events (reasoning summaries,
// message text, function-call arguments), and response.completed (or response.incomplete) with the usage
// at the end. Every event carries its `sequence_number`. Clients (Codex among them) fail a stream that
// ends without its terminal event, so a failure after the 200 is told as an `error` event and then
// `response.failed`.
//
// A stream passed through from a Responses upstream (core/native.ts) is relayed as it came (event by event,
// runs of text deltas as they were read), with the gateway's response id and the client's model in the
// response objects (created, in_progress) and its terminal event held until the ledger row is safe, to
// carry the cost.
import type { GatewayError } from '../../core/errors.js';
import { countEvents, relayedOf } from '../../core/native.js';
import type { ChatChunk, FinishReason, Usage } from '../../core/types.js';
import type { EventSink, StreamEncoder } from '../../pipeline/front-door.js';
import { ending, functionCallItem, messageItem, outputText, reasoningItem, reasoningText } from './output.js';
import {
  eventAsGateways,
  itemId,
  type OutputItem,
  type ResponseContext,
  responseObject,
  responseUsage,
} from './response-object.js';

interface OpenReasoning {
  kind: 'reasoning';
  index: number;
  id: string;
  text: string;
}
interface OpenMessage {
  kind: 'message';
  index: number;
  id: string;
  text: string;
  refusal: string;
  /** Which content part is open: the text's (0) and, after it, a refusal's. */
  part: 'text' | 'refusal' | undefined;
}
interface OpenCall {
  kind: 'call';
  index: number;
  id: string;
  callId: string;
  name: string;
  arguments: string;
}
type OpenItem = OpenReasoning | OpenMessage | OpenCall;

/**
 * Called with the finished Response when the stream completes (to store it): its JSON text where the
 * encoder has it (a relayed Response), else the object (serialised only if it is stored).
 */
export type OnFinished = (response: string | Record<string, unknown>) => void;

const PROTOCOL = 'openai-responses';
const TERMINAL = /^event: (response\.completed|response\.incomplete)\n/;
const WITH_RESPONSE = /^event: (response\.created|response\.in_progress|response\.queued)\n/;

/** A failed Response's `error.code`, from the spec's list (ResponseErrorCode). */
function failedCode(error: GatewayError): string {
  if (error.status === 429) return 'rate_limit_exceeded';
  return error.status >= 400 && error.status < 500 ? 'invalid_prompt' : 'server_error';
}

/** One relayed event's type and its `data:` line's text (only for the few events the gateway rewrites). */
function eventText(framed: string): { type: string; data: string } {
  const type = framed.slice('event: '.length, framed.indexOf('\n'));
  const dataStart = framed.indexOf('data: ') + 'data: '.length;
  return { type, data: framed.slice(dataStart, framed.lastIndexOf('\n\n')) };
}

export class ResponsesStreamEncoder implements StreamEncoder {
  private sequence = 0;
  private started = false;
  private createdAt = 0;
  private readonly output: OutputItem[] = [];
  private open: OpenItem | undefined;
  /** Open function calls by the chat tool-call index. */
  private readonly calls = new Map<number, OpenCall>();
  private finish: FinishReason | null = null;
  /** Relaying an upstream's own events (decided by the first chunk). */
  private relaying: boolean | undefined;
  /** The upstream's terminal event, held for end(). */
  private terminal: string | undefined;

  constructor(
    private readonly context: ResponseContext,
    private readonly onFinished: OnFinished,
  ) {}

  private emit(sink: EventSink, type: string, fields: Record<string, unknown>): void {
    sink.event(type, JSON.stringify({ type, sequence_number: this.sequence++, ...fields }));
  }

  private start(created: number, sink: EventSink): void {
    if (this.started) return;
    this.started = true;
    this.createdAt = created;
    const response = responseObject(this.context, { createdAt: created, status: 'in_progress', output: [] });
    this.emit(sink, 'response.created', { response });
    this.emit(sink, 'response.in_progress', { response });
  }

  chunk(chunk: ChatChunk, created: number, sink: EventSink): void {
    const relayed = relayedOf(chunk, PROTOCOL);
    this.relaying ??= relayed !== undefined;
    if (this.relaying) {
      if (relayed !== undefined) this.relay(relayed, sink);
      return;
    }
    this.start(created, sink);
    // The Responses API has no `n`: its one answer is the first choice.
    const choice = chunk.choices.find((c) => c.index === 0);
    if (!choice) return;
    const { delta } = choice;
    const reasoning = reasoningText(delta);
    if (reasoning !== undefined) this.reasoningDelta(reasoning, sink);
    if (typeof delta.content === 'string' && delta.content.length > 0) this.textDelta(delta.content, sink);
    if (typeof delta.refusal === 'string' && delta.refusal.length > 0) this.refusalDelta(delta.refusal, sink);
    for (const call of delta.tool_calls ?? []) {
      let open = this.calls.get(call.index);
      if (!open) {
        this.close(sink);
        const index = this.output.length;
        open = {
          kind: 'call',
          index,
          id: itemId(this.context.id, 'fc', index),
          callId: call.id ?? `call_${index}`,
          name: call.function?.name ?? '',
          arguments: '',
        };
        this.calls.set(call.index, open);
        this.open = open;
        this.output.push(this.callItem(open, 'in_progress'));
        this.emit(sink, 'response.output_item.added', {
          output_index: index,
          item: { ...this.callItem(open, 'in_progress'), arguments: '' },
        });
      } else if (call.function?.name) {
        open.name += call.function.name;
      }
      const piece = call.function?.arguments;
      if (piece) {
        open.arguments += piece;
        this.emit(sink, 'response.function_call_arguments.delta', {
          item_id: open.id,
          output_index: open.index,
          delta: piece,
        });
      }
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
  }

  private callItem(call: OpenCall, status: 'in_progress' | 'completed' | 'incomplete'): OutputItem {
    return functionCallItem(
      this.context,
      call.id,
      { id: call.callId, name: call.name, arguments: call.arguments },
      status,
    );
  }

  private reasoningDelta(text: string, sink: EventSink): void {
    let open = this.open;
    if (open?.kind !== 'reasoning') {
      this.close(sink);
      const index = this.output.length;
      open = { kind: 'reasoning', index, id: itemId(this.context.id, 'rs', index), text: '' };
      this.open = open;
      this.output.push({ id: open.id, type: 'reasoning', summary: [] });
      this.emit(sink, 'response.output_item.added', {
        output_index: index,
        item: { id: open.id, type: 'reasoning', summary: [] },
      });
      this.emit(sink, 'response.reasoning_summary_part.added', {
        item_id: open.id,
        output_index: index,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      });
    }
    open.text += text;
    this.emit(sink, 'response.reasoning_summary_text.delta', {
      item_id: open.id,
      output_index: open.index,
      summary_index: 0,
      delta: text,
    });
  }

  /** The open message, or a new one (closing whatever item was open). */
  private message(sink: EventSink): OpenMessage {
    if (this.open?.kind === 'message') return this.open;
    this.close(sink);
    const index = this.output.length;
    const open: OpenMessage = {
      kind: 'message',
      index,
      id: itemId(this.context.id, 'msg', index),
      text: '',
      refusal: '',
      part: undefined,
    };
    this.open = open;
    this.output.push(messageItem(open.id, 'completed', []));
    this.emit(sink, 'response.output_item.added', {
      output_index: index,
      item: { ...messageItem(open.id, 'completed', []), status: 'in_progress' },
    });
    return open;
  }

  private textDelta(text: string, sink: EventSink): void {
    const open = this.message(sink);
    if (open.part === 'refusal') return; // text after a refusal: OpenAI never sends one; keep the refusal.
    if (open.part === undefined) {
      open.part = 'text';
      this.emit(sink, 'response.content_part.added', {
        item_id: open.id,
        output_index: open.index,
        content_index: 0,
        part: outputText(''),
      });
    }
    open.text += text;
    this.emit(sink, 'response.output_text.delta', {
      item_id: open.id,
      output_index: open.index,
      content_index: 0,
      delta: text,
      logprobs: [],
    });
  }

  private refusalDelta(text: string, sink: EventSink): void {
    const open = this.message(sink);
    if (open.part === 'text') this.closeTextPart(open, sink);
    const contentIndex = open.text.length > 0 ? 1 : 0;
    if (open.part !== 'refusal') {
      open.part = 'refusal';
      this.emit(sink, 'response.content_part.added', {
        item_id: open.id,
        output_index: open.index,
        content_index: contentIndex,
        part: { type: 'refusal', refusal: '' },
      });
    }
    open.refusal += text;
    this.emit(sink, 'response.refusal.delta', {
      item_id: open.id,
      output_index: open.index,
      content_index: contentIndex,
      delta: text,
    });
  }

  private closeTextPart(open: OpenMessage, sink: EventSink): void {
    this.emit(sink, 'response.output_text.done', {
      item_id: open.id,
      output_index: open.index,
      content_index: 0,
      text: open.text,
      logprobs: [],
    });
    this.emit(sink, 'response.content_part.done', {
      item_id: open.id,
      output_index: open.index,
      content_index: 0,
      part: outputText(open.text),
    });
  }

  /** Ends the open item with its `done` events; its final form replaces the placeholder in `output`. */
  private close(sink: EventSink, status: 'completed' | 'incomplete' = 'completed'): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    let item: OutputItem;
    if (open.kind === 'reasoning') {
      const part = { type: 'summary_text', text: open.text };
      const at = { item_id: open.id, output_index: open.index, summary_index: 0 };
      this.emit(sink, 'response.reasoning_summary_text.done', { ...at, text: open.text });
      this.emit(sink, 'response.reasoning_summary_part.done', { ...at, part });
      item = reasoningItem(open.id, open.text);
    } else if (open.kind === 'message') {
      const content: Record<string, unknown>[] = [];
      if (open.part === 'text') this.closeTextPart(open, sink);
      if (open.text.length > 0 || open.part === 'text') content.push(outputText(open.text));
      if (open.part === 'refusal') {
        const contentIndex = content.length;
        this.emit(sink, 'response.refusal.done', {
          item_id: open.id,
          output_index: open.index,
          content_index: contentIndex,
          refusal: open.refusal,
        });
        const part = { type: 'refusal', refusal: open.refusal };
        this.emit(sink, 'response.content_part.done', {
          item_id: open.id,
          output_index: open.index,
          content_index: contentIndex,
          part,
        });
        content.push(part);
      }
      item = messageItem(open.id, status, content);
    } else {
      this.emit(sink, 'response.function_call_arguments.done', {
        item_id: open.id,
        output_index: open.index,
        name: this.context.namespaced.get(open.name)?.name ?? open.name,
        arguments: open.arguments,
      });
      item = this.callItem(open, status);
    }
    this.output[open.index] = item;
    this.emit(sink, 'response.output_item.done', { output_index: open.index, item });
  }

  /**
   * One upstream event (or a run of text deltas): as it came, but with the gateway's id where it names the
   * response.
   */
  private relay(framed: string, sink: EventSink): void {
    // A run of text deltas comes as one string (providers/text-delta.ts): every event counts.
    this.sequence += countEvents(framed);
    if (TERMINAL.test(framed)) {
      this.terminal = framed;
      return;
    }
    if (!WITH_RESPONSE.test(framed)) {
      sink.raw(framed);
      return;
    }
    const { type, data } = eventText(framed);
    const made = eventAsGateways(data, this.context);
    // A failure told later names the Response as created here.
    if (made.createdAt !== undefined) this.createdAt ||= made.createdAt;
    sink.event(type, made.data);
  }

  end(usage: Usage, _usageChunk: ChatChunk | undefined, created: number, sink: EventSink): void {
    if (this.relaying && this.terminal) {
      const { type, data } = eventText(this.terminal);
      const made = eventAsGateways(data, this.context, usage.cost);
      sink.event(type, made.data);
      this.onFinished(made.response);
      return;
    }
    this.start(created, sink);
    const end = ending(this.finish);
    this.close(sink, end.status === 'completed' ? 'completed' : 'incomplete');
    const response = responseObject(this.context, {
      createdAt: this.createdAt,
      ...end,
      output: this.output,
      usage: responseUsage(usage),
    });
    this.emit(sink, end.status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
    this.onFinished(response);
  }

  error(error: GatewayError, sink: EventSink): void {
    this.emit(sink, 'error', { code: error.wireCode, message: error.message, param: error.param });
    const response = responseObject(this.context, {
      createdAt: this.createdAt || Math.floor(Date.now() / 1000),
      status: 'failed',
      output: this.relaying ? [] : this.output,
      error: { code: failedCode(error), message: error.message },
    });
    this.emit(sink, 'response.failed', { response });
  }
}
