// The byte bound admission reserves with must never be below the tokenizer's count: if it were, a request
// could be admitted for less than it may cost.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { countPromptTokens, promptTokenBound, warmTokenizers } from '../../src/accounting/tokenizer.js';
import type { ChatMessage } from '../../src/core/types.js';

const TEXTS = [
  '',
  'hi',
  'The quick brown fox jumps over the lazy dog.',
  'Ünïcödé, 日本語のテキスト, emoji 👩‍👩‍👧‍👦🚀, and Ελληνικά',
  '    indented\n\tcode() { return 42; }\n',
  'a'.repeat(5_000),
  Array.from({ length: 2_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join(''),
];

describe('prompt token bound', () => {
  before(() => warmTokenizers());

  test('is at least the exact count, for every encoding and kind of text', () => {
    for (const tokenizer of ['o200k_base', 'cl100k_base'] as const) {
      for (const text of TEXTS) {
        const messages: ChatMessage[] = [
          { role: 'system', content: text },
          { role: 'user', content: [{ type: 'text', text }], name: 'ann' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'f', arguments: `{"q":"${text}"}` } },
            ],
          },
        ];
        const exact = countPromptTokens(messages, tokenizer);
        const bound = promptTokenBound(messages);
        assert.ok(bound >= exact, `${tokenizer}: bound ${bound} < exact ${exact} for ${text.slice(0, 20)}`);
      }
    }
  });

  test('is the framing of the exact count plus the bytes of the text', () => {
    // 3 to prime the reply, 3 per message, then "user\nhi" (the role and the content): 7 bytes.
    assert.equal(promptTokenBound([{ role: 'user', content: 'hi' }]), 13);
    assert.equal(promptTokenBound([{ role: 'user', content: 'hi', name: 'ann' }]), 3 + 3 + 11 + 1);
  });
});
