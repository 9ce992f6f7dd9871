// Stream answer assembly: what passes to the client, what is held back, and what is gathered for metering.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatChunk } from '../../src/core/types.js';
import { StreamAnswer } from '../../src/pipeline/stream-answer.js';

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
