// Runs of Anthropic text deltas taken whole (AnthropicEvents.run, when a Messages request is passed
// through) against the event-by-event relay they replace (AnthropicEvents.take), through the Messages
// door's encoder: test/support/relay-runs.ts says what must be the same.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRunTexts } from '../../src/core/relayed-chunk.js';
import { AnthropicEvents } from '../../src/providers/anthropic/anthropic-events.js';
import { anthropicTextRun } from '../../src/providers/text-delta.js';
import { MessageStreamEncoder } from '../../src/server/messages/message-stream.js';
import { assertRunsLikeEvents, type RelayCase } from '../support/relay-runs.js';

const messages: RelayCase = {
  reader: () => new AnthropicEvents('anthropic', 'claude-sonnet-4-5', undefined, true),
  encoder: () => new MessageStreamEncoder('req_0123', 'anthropic/claude-sonnet-4-5'),
  endedEarly: 'the stream ended before message_stop',
};
const assertSame = (stream: string, label: string) => assertRunsLikeEvents(messages, stream, label);

const framed = (type: string, fields: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
const start = framed('message_start', {
  message: {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 1 },
  },
});
const block = (index: number, content_block: Record<string, unknown>) =>
  framed('content_block_start', { index, content_block });
const text = (index: number, value: string) =>
  framed('content_block_delta', { index, delta: { type: 'text_delta', text: value } });
const stop = (index: number) => framed('content_block_stop', { index });
const end =
  framed('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 9 },
  }) + framed('message_stop', {});

describe('relayed runs of Anthropic text deltas', () => {
  it('give the same client bytes and figures as event by event', async () => {
    const stream = [
      start,
      framed('ping', {}),
      block(0, { type: 'text', text: '' }),
      text(0, 'Hel'),
      text(0, 'lo "quoted" \\ back\\slash \n é 😀 \u2028'),
      text(0, '"text":"x"}}'),
      text(0, ''),
      text(0, 'end'),
      stop(0),
      end,
    ].join('');
    await assertSame(stream, 'anthropic');
  });

  it('the same across blocks, tools, thinking and other spellings', async () => {
    const stream = [
      start,
      block(0, { type: 'thinking', thinking: '' }),
      framed('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } }),
      stop(0),
      block(1, { type: 'text', text: '' }),
      text(1, 'a'),
      text(1, 'b'),
      text(2, 'another block next to it'),
      text(1, 'c'),
      ': comment\n\n',
      text(1, 'd'),
      text(1, 'crlf').replaceAll('\n', '\r\n'),
      text(1, 'e'),
      text(1, 'spaced').replace('"text":', '"text": '),
      text(1, 'u\\u00e9\\n'),
      text(1, 'no event line').replace('event: content_block_delta\n', ''),
      stop(1),
      block(3, { type: 'tool_use', id: 'toolu_1', name: 'get', input: {} }),
      text(3, 'text on a tool block is not content'),
      framed('content_block_delta', {
        index: 3,
        delta: { type: 'input_json_delta', partial_json: '{"a":1}' },
      }),
      stop(3),
      end,
      text(1, 'after the end'),
    ].join('');
    await assertSame(stream, 'spellings');
  });

  it('the same when a plain-looking delta is not valid, or the stream fails or stops early', async () => {
    const bad = `${start}${block(0, { type: 'text', text: '' })}${text(0, 'fine')}${text(0, 'x').replace('"x"', '"bad \\x escape"')}${text(0, 'never')}`;
    await assertSame(bad, 'bad escape');
    const failed = `${start}${block(0, { type: 'text', text: '' })}${text(0, 'one')}${framed('error', {
      error: { type: 'overloaded_error', message: 'Overloaded' },
    })}`;
    await assertSame(failed, 'failed');
    const early = `${start}${block(0, { type: 'text', text: '' })}${text(0, 'a')}${text(0, 'cut').slice(0, -2)}`;
    await assertSame(early, 'no message_stop');
  });

  it('takes a read of plain deltas of one block as one run, and decodes its text only when asked', () => {
    const read = [text(4, 'aESC').replace('ESC', '\\u00e9'), text(4, ''), text(4, 'b'), text(5, 'c')].join(
      '',
    );
    const taken = anthropicTextRun(read, 0);
    assert.ok(taken);
    assert.equal(taken.index, 4);
    assert.equal(taken.end, read.indexOf(text(5, 'c')));
    assert.deepEqual(decodeRunTexts(taken.run.escapedTexts()), ['a\u00e9', 'b']);
    assert.equal(taken.run.hasText(), true);
    assert.equal(anthropicTextRun(text(0, ''), 0)?.run.hasText(), false);
    assert.equal(anthropicTextRun(stop(0), 0), undefined);
  });
});
