// Reading text deltas without a parse (providers/text-delta.ts): the usual spelling is read, and whatever
// it reads is exactly what a parse reads; any other spelling is left to the parse.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicTextDelta, responsesTextDelta } from '../../src/providers/text-delta.js';

const TEXTS = [
  'Hello',
  '',
  ' "quoted" ',
  'back\\slash\\',
  'line\nbreak\ttab',
  'é 😀 \u2028 \u0000',
  '"}}',
  '\\"',
];

describe('text deltas read without a parse', () => {
  it("reads Anthropic's text deltas as a parse would", () => {
    for (const text of TEXTS) {
      for (const index of [0, 3, 12]) {
        const data = JSON.stringify({
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text },
        });
        assert.deepEqual(anthropicTextDelta(data), { index, text }, data);
      }
    }
  });

  it('leaves other Anthropic events and spellings to the parse', () => {
    const others = [
      JSON.stringify({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: '{"a"' },
      }),
      JSON.stringify({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'hm' },
      }),
      JSON.stringify({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'x', extra: 1 },
      }),
      JSON.stringify({ type: 'content_block_delta', index: 0, delta: { text: 'x', type: 'text_delta' } }),
      JSON.stringify({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' }, index: 0 }),
      JSON.stringify(
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x' } },
        null,
        1,
      ),
      JSON.stringify({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 3 },
      }),
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bad \\q escape"}}',
    ];
    for (const data of others) assert.equal(anthropicTextDelta(data), undefined, data);
  });

  it("reads the Responses API's output_text deltas as a parse would", () => {
    for (const text of TEXTS) {
      const data = JSON.stringify({
        type: 'response.output_text.delta',
        sequence_number: 7,
        item_id: 'msg_0123',
        output_index: 0,
        content_index: 0,
        delta: text,
        logprobs: [],
        obfuscation: 'aB3',
      });
      assert.equal(responsesTextDelta(data), text, data);
    }
  });

  it('leaves other Responses events and spellings to the parse', () => {
    const others = [
      JSON.stringify({ type: 'response.function_call_arguments.delta', item_id: 'fc_1', delta: '{"a"' }),
      JSON.stringify({ type: 'response.refusal.delta', item_id: 'msg_1', delta: 'no' }),
      JSON.stringify({ type: 'response.reasoning_summary_text.delta', delta: 'hm' }),
      JSON.stringify({ sequence_number: 1, type: 'response.output_text.delta', delta: 'x' }),
      JSON.stringify({ type: 'response.output_text.delta', meta: { delta: 'inner' }, delta: 'x' }),
      JSON.stringify({ type: 'response.output_text.delta', delta: 'x' }, null, 1),
      JSON.stringify({ type: 'response.output_text.delta', delta: 5 }),
      // A second delta: JSON (and so the client) takes the last one, the parse gives the same.
      '{"type":"response.output_text.delta","delta":"first","logprobs":[],"delta":"last"}',
      '{"type":"response.output_text.delta","delta":"first","delta":"last"}',
      '{"type":"response.output_text.delta","delta":5,"delta":"last"}',
    ];
    for (const data of others) assert.equal(responsesTextDelta(data), undefined, data);
  });
});
