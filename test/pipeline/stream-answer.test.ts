// Stream answer assembly: what passes to the client, what is held back, and what is gathered for metering.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withTextRun } from '../../src/core/relayed-chunk.js';
import type { ChatChunk } from '../../src/core/types.js';
import { HELD_RUN_CHARS, StreamAnswer } from '../../src/pipeline/stream-answer.js';
import { SseTextRun } from '../../src/providers/text-delta.js';

const chunk = (delta: ChatChunk['choices'][number]['delta'], extra: Partial<ChatChunk> = {}): ChatChunk => ({
  id: 'up',
  object: 'chat.completion.chunk',
  created: 123,
  model: 'upstream-model',
  choices: [{ index: 0, delta, finish_reason: null }],
  ...extra,
});

test('text and tool calls are gathered for counting; the first chunk commits with its created time', () => {
  const answer = new StreamAnswer();
  const first = chunk({ role: 'assistant', content: 'Hel' });
  assert.equal(answer.take(first), true);
  assert.equal(answer.committed, false, 'commit is the caller’s decision');
  answer.commit(first);
  assert.equal(answer.committed, true);
  assert.equal(answer.created, 123);
  answer.take(chunk({ content: 'lo' }));
  answer.take(
    chunk({
      tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'get', arguments: '{"a"' } }],
    }),
  );
  answer.take(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }));
  answer.take(chunk({ content: '' }));
  assert.deepEqual(answer.generated.texts(), ['Hel', 'lo', 'get', '{"a"', ':1}']);
  assert.equal(answer.reported, undefined);
});

test('a usage-only chunk is held back and its usage kept; usage on a choice chunk is kept and passed on', () => {
  const answer = new StreamAnswer();
  const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
  const withChoice = chunk({ content: 'x' }, { usage });
  assert.equal(answer.take(withChoice), true);
  assert.deepEqual(answer.reported, usage);
  assert.equal(answer.usageChunk, undefined);

  const final = { ...chunk({}), choices: [], usage: { ...usage, completion_tokens: 4, total_tokens: 7 } };
  assert.equal(answer.take(final), false, 'not for the client as it is');
  assert.equal(answer.usageChunk, final);
  assert.equal(answer.reported?.completion_tokens, 4);
});

test('relayed runs are held as they came while small, then by their texts: the same texts, the reads let go', () => {
  const event = (text: string) =>
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}\n\n`;
  const answer = new StreamAnswer();
  const expected: string[] = [];
  let runs = 0;
  // Runs of 50 events, some text escaped, until well past the bound.
  while (runs * 50 * 100 < HELD_RUN_CHARS * 3) {
    let text = '';
    for (let i = 0; i < 50; i++) {
      const word = i % 7 === 0 ? `"q${runs}.${i}"\n` : ` w${runs}.${i}`;
      expected.push(word);
      text += event(word);
    }
    const run = new SseTextRun(text, '"text":"');
    answer.take(withTextRun(chunk({}), run));
    runs += 1;
    assert.ok(answer.generated.heldRunChars <= HELD_RUN_CHARS, `run ${runs}`);
    if (runs === 1) assert.equal(answer.generated.heldRunChars, text.length, 'a short stream holds its runs');
  }
  assert.deepEqual(answer.generated.texts(), expected);
  assert.equal(answer.generated.join(''), expected.join(''));
});
