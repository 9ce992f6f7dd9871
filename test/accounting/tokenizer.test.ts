// The byte bound admission reserves with must never be below the tokenizer's count: if it were, a request
// could be admitted for less than it may cost.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { countTokens as cl100kTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200kTokens } from 'gpt-tokenizer/encoding/o200k_base';
import {
  countPromptTokens,
  countSegmented,
  countTextTokens,
  MAX_SEGMENT,
  promptTokenBound,
  warmTokenizers,
} from '../../src/accounting/tokenizer.js';
import type { ChatMessage } from '../../src/core/types.js';

const TEXTS = [
  '',
  'hi',
  'The quick brown fox jumps over the lazy dog.',
  'Ünïcödé, 日本語のテキスト, emoji 👩‍👩‍👧‍👦🚀, and Ελληνικά',
  '    indented\n\tcode() { return 42; }\n',
  'a'.repeat(5_000),
  'x'.repeat(200_000),
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

// gpt-tokenizer in one call, special tokens as text: what the segmented count must match.
const PLAIN = { disallowedSpecial: new Set<string>() };
const o200k = (text: string) => o200kTokens(text, PLAIN);
const cl100k = (text: string) => cl100kTokens(text, PLAIN);

describe('linear counting', () => {
  before(() => warmTokenizers());

  const runs = {
    x: 'x'.repeat(6_000),
    letters: Array.from({ length: 6_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join(''),
    base64: Buffer.from(Array.from({ length: 4_500 }, (_, i) => (i * 7919) % 256)).toString('base64'),
    json: JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i, name: `n${i}` }))),
    japanese: '日本語のテキストは、空白を使わずに書かれることが多い。'.repeat(150),
  };

  test('BPE never sees more than MAX_SEGMENT characters at once, and sees every character once', () => {
    for (const text of [
      ...Object.values(runs),
      'x'.repeat(1 << 20),
      ' '.repeat(100_000),
      TEXTS[3]!.repeat(50),
    ]) {
      let seen = 0;
      let longest = 0;
      countSegmented(
        (segment) => {
          seen += segment.length;
          longest = Math.max(longest, segment.length);
          return 1;
        },
        text,
        'estimate',
      );
      assert.equal(seen, text.length);
      assert.ok(longest <= MAX_SEGMENT, `a segment of ${longest}`);
    }
  });

  test('ordinary text counts exactly as in one call', () => {
    const prose = 'The quick brown fox jumps over the lazy dog, and then it runs away.\n'.repeat(300);
    const code =
      'function f(a, b) {\n  return a + b; // add\n}\nconst x = [1, 2, 3].map((v) => v * 2);\n'.repeat(100);
    const mixed = `${TEXTS[3]} `.repeat(100);
    for (const [name, whole] of [
      ['o200k_base', o200k],
      ['cl100k_base', cl100k],
    ] as const) {
      for (const text of [prose, code, mixed, TEXTS[4]!.repeat(100)]) {
        assert.equal(countTextTokens(text, name, 'upper'), whole(text));
        assert.equal(countTextTokens(text, name, 'estimate'), whole(text));
      }
    }
  });

  test('a long run cut in segments counts at least what one call counts, for admission', () => {
    for (const [name, whole] of [
      ['o200k_base', o200k],
      ['cl100k_base', cl100k],
    ] as const) {
      for (const [kind, text] of Object.entries(runs)) {
        const upper = countTextTokens(text, name, 'upper');
        assert.ok(upper >= whole(text), `${name} ${kind}: ${upper} < ${whole(text)}`);
        assert.ok(upper <= Buffer.byteLength(text), `${name} ${kind}: above the byte bound`);
      }
    }
  });

  test('special-token text is counted as text, not refused', () => {
    assert.ok(countTextTokens('say <|endoftext|> now', 'cl100k_base') > 3);
  });
});
