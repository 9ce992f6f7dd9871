// Anthropic's streamed Messages events → canonical chunks, one event at a time, for every upstream that
// streams them (Anthropic's SSE, Bedrock's InvokeModelWithResponseStream, Vertex's streamRawPredict).
// When a Messages request is passed through (core/native.ts), each event also rides along on the chunk it
// made (or on a chunk of its own, without choices, when it made none), so the door can relay the events
// as they came; message_stop is the door's to send, once the ledger row is safe.
import { attachRelayed } from '../../core/native.js';
import { TextRunDelta, withTextRun } from '../../core/relayed-chunk.js';
import type { ChatChunk, ChunkDelta, FinishReason, Usage } from '../../core/types.js';
import { eventJson, type TakenRun } from '../sse.js';
import { anthropicTextDelta, anthropicTextRun } from '../text-delta.js';
import { invalidUpstreamResponse } from '../upstream-error.js';
import { type AnthropicUsage, anthropicStreamEventSchema } from './anthropic-api.js';
import { anthropicStreamError } from './anthropic-error.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';

/** OpenAI usage from Anthropic's: cache reads and writes are prompt tokens too (Anthropic counts them apart). */
export function toUsage(usage: AnthropicUsage | null | undefined): Usage | undefined {
  const input = usage?.input_tokens;
  const output = usage?.output_tokens;
  if (input == null || output == null) return undefined;
  const cacheRead = usage?.cache_read_input_tokens ?? undefined;
  const cacheWrite = usage?.cache_creation_input_tokens ?? undefined;
  // Writes to the 1-hour cache cost more than those to the 5-minute one (see accounting/pricing.ts).
  const hourWrites = usage?.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const prompt = input + (cacheRead ?? 0) + (cacheWrite ?? 0);
  const out: Usage = { prompt_tokens: prompt, completion_tokens: output, total_tokens: prompt + output };
  if (cacheRead !== undefined || cacheWrite !== undefined) {
    out.prompt_tokens_details = {
      ...(cacheRead === undefined ? {} : { cached_tokens: cacheRead }),
      ...(cacheWrite === undefined ? {} : { cache_write_tokens: cacheWrite }),
      ...(hourWrites > 0 ? { cache_write_1h_tokens: hourWrites } : {}),
    };
  }
  return out;
}

/** The counts `next` reports replace those of `base`; one it leaves out or sends as null does not. */
function mergeUsage(base: AnthropicUsage, next: AnthropicUsage | null | undefined): AnthropicUsage {
  if (!next) return base;
  return {
    input_tokens: next.input_tokens ?? base.input_tokens,
    output_tokens: next.output_tokens ?? base.output_tokens,
    cache_read_input_tokens: next.cache_read_input_tokens ?? base.cache_read_input_tokens,
    cache_creation_input_tokens: next.cache_creation_input_tokens ?? base.cache_creation_input_tokens,
    cache_creation: next.cache_creation ?? base.cache_creation,
  };
}

/** A forced JSON tool's stop is the end of the answer, not a request to call a tool. */
export function finishReason(
  stopReason: string | null,
  jsonAnswered: boolean,
  toolCalls: number,
): FinishReason {
  if (jsonAnswered && toolCalls === 0 && stopReason === 'tool_use') return 'stop';
  return mapAnthropicFinishReason(stopReason);
}

type Block = { kind: 'text' } | { kind: 'json' } | { kind: 'tool'; index: number };

export class AnthropicEvents {
  /** Set at message_stop: the stream is complete. */
  finished = false;
  private readonly created = Math.floor(Date.now() / 1000);
  private chunkId = '';
  private usage: AnthropicUsage = {};
  private stopReason: string | null = null;
  private jsonAnswered = false;
  /** Content block index → what its deltas become. */
  private readonly blocks = new Map<number, Block>();
  private toolCalls = 0;
  /** The `type` of the event last read (what Bedrock's transport leaves as the event's only name). */
  private lastType = 'message';

  constructor(
    private readonly provider: string,
    private model: string,
    /** The tool whose input is the answer's content (`response_format` emulated), if any. */
    private readonly jsonTool: string | undefined,
    /** Passing through: keep each event with the chunks (see the module comment). */
    private readonly relaying: boolean,
  ) {}

  /**
   * Pushes the chunks one event makes onto `batch`; 'end' at message_stop. `name` is the SSE event name,
   * when the transport has one (Bedrock's carries only the JSON, whose `type` is the same).
   */
  take(data: string, name: string | undefined, batch: ChatChunk[]): 'end' | undefined {
    const before = batch.length;
    const result = this.translate(data, name, batch);
    if (this.relaying) {
      const type = name ?? this.lastType;
      if (type !== 'message_stop') {
        if (batch.length === before) batch.push(this.chunk({}, null, true));
        attachRelayed(batch[before]!, 'anthropic-messages', `event: ${type}\ndata: ${data}\n\n`);
      }
    }
    return result;
  }

  /**
   * When relaying: the text deltas of one text block that stand one after another from `at` in a read's
   * text, as one chunk that relays them as they came (sse.ts, `translateReads`); undefined before
   * message_start, for a block that is not text, or when the first event there is not one.
   */
  run(text: string, at: number): TakenRun | undefined {
    if (!this.relaying || this.chunkId === '') return undefined;
    const taken = anthropicTextRun(text, at);
    if (taken === undefined) return undefined;
    const target = this.blocks.get(taken.index);
    if (target !== undefined && target.kind !== 'text') return undefined;
    this.lastType = 'content_block_delta';
    const chunk = withTextRun(this.chunk(new TextRunDelta(taken.run)), taken.run);
    attachRelayed(chunk, 'anthropic-messages', taken.run.text);
    return { chunk, end: taken.end };
  }

  private chunk(delta: ChunkDelta, finish: FinishReason | null = null, carrier = false): ChatChunk {
    return {
      id: this.chunkId,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: carrier ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
  }

  /** A text delta of block `index`: content, unless the block is a tool's. */
  private text(index: number, text: string, batch: ChatChunk[]): void {
    const target = this.blocks.get(index);
    if ((target === undefined || target.kind === 'text') && text !== '')
      batch.push(this.chunk({ content: text }));
  }

  private translate(data: string, name: string | undefined, batch: ChatChunk[]): 'end' | undefined {
    const { provider } = this;
    // Most events are text deltas: read in their usual spelling without a parse.
    const textDelta = this.chunkId === '' ? undefined : anthropicTextDelta(data);
    if (textDelta !== undefined) {
      this.lastType = 'content_block_delta';
      this.text(textDelta.index, textDelta.text, batch);
      return undefined;
    }
    const json = eventJson(provider, data);
    const type = (json as { type?: unknown } | null)?.type;
    this.lastType = typeof type === 'string' ? type : 'message';
    const result = anthropicStreamEventSchema.safeParse(json);
    // Not parseUpstream: the message is built only when it is needed, not once per event.
    if (!result.success) {
      throw invalidUpstreamResponse(provider, `a malformed '${name ?? 'message'}' event`);
    }
    const event = result.data;
    if (event.type === 'error') throw anthropicStreamError(provider, event.error);
    if (event.type !== 'message_start' && this.chunkId === '') {
      if (event.type === 'ping' || event.type === 'unknown') return undefined;
      throw invalidUpstreamResponse(provider, `'${event.type}' before message_start`);
    }
    switch (event.type) {
      case 'message_start':
        this.chunkId = `chatcmpl-${event.message.id ?? ''}`;
        this.model = event.message.model || this.model;
        this.usage = event.message.usage ?? {};
        batch.push(this.chunk({ role: 'assistant', content: '' }));
        break;
      case 'content_block_start': {
        const { content_block: block, index } = event;
        if (block.type === 'text') {
          this.blocks.set(index, { kind: 'text' });
          if (block.text !== '') batch.push(this.chunk({ content: block.text }));
        } else if (block.type === 'tool_use' && block.name === this.jsonTool) {
          this.blocks.set(index, { kind: 'json' });
          this.jsonAnswered = true;
        } else if (block.type === 'tool_use') {
          const toolIndex = this.toolCalls++;
          this.blocks.set(index, { kind: 'tool', index: toolIndex });
          const call = { name: block.name, arguments: '' };
          batch.push(
            this.chunk({
              tool_calls: [{ index: toolIndex, id: block.id, type: 'function', function: call }],
            }),
          );
        }
        break;
      }
      case 'content_block_delta': {
        const target = this.blocks.get(event.index);
        const { delta } = event;
        if (delta.type === 'text_delta') {
          this.text(event.index, delta.text, batch);
        } else if (delta.type === 'input_json_delta' && delta.partial_json !== '') {
          if (target?.kind === 'json') batch.push(this.chunk({ content: delta.partial_json }));
          else if (target?.kind === 'tool') {
            batch.push(
              this.chunk({
                tool_calls: [{ index: target.index, function: { arguments: delta.partial_json } }],
              }),
            );
          }
        } else if (delta.type === 'thinking_delta' && delta.thinking !== '') {
          batch.push(this.chunk({ reasoning_content: delta.thinking }));
        }
        break;
      }
      case 'message_delta':
        this.stopReason = event.delta?.stop_reason ?? this.stopReason;
        // message_delta counts are cumulative: they replace what message_start said.
        this.usage = mergeUsage(this.usage, event.usage);
        break;
      case 'message_stop': {
        this.finished = true;
        batch.push(this.chunk({}, finishReason(this.stopReason, this.jsonAnswered, this.toolCalls)));
        const total = toUsage(this.usage);
        if (total) batch.push({ ...this.chunk({}), choices: [], usage: total });
        return 'end';
      }
      default:
        // content_block_stop, ping, and event types newer than this code: nothing to translate.
        break;
    }
    return undefined;
  }
}
