// The relay of plain text deltas (providers/openai/chunk-relay.ts, server/chat-chunks.ts): which events are
// relayed as their own text, and that the relayed text is the same JSON the parse-and-serialise path writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relayedText } from '../../src/core/relayed-chunk.js';
import type { ChatChunk } from '../../src/core/types.js';
import { ChunkRelay } from '../../src/providers/openai/chunk-relay.js';
import { chunkJson, RelayedChunkWriter } from '../../src/server/chat-chunks.js';

const GATEWAY_ID = 'chatcmpl-gw123';
const CLIENT_MODEL = 'openai/gpt-4o-$&-mini';

/** Both writers for one event: the parsed chunk serialised, and (when relayed) the spliced text. */
function written(
  relay: ChunkRelay,
  writer: RelayedChunkWriter,
  data: string,
  created: number,
  includeUsage: boolean,
) {
  const light = relay.light(data);
  const parsed = JSON.parse(data) as ChatChunk;
  if (!light) relay.learn(parsed, data);
  const expected = JSON.parse(chunkJson(parsed, GATEWAY_ID, created, CLIENT_MODEL, includeUsage));
  const relayed = light && relayedText(light);
  if (!light || !relayed) return { light: undefined, expected, actual: undefined };
  return { light, expected, actual: JSON.parse(writer.write(relayed, created)) as unknown };
}

/** Runs a stream's events through the relay; returns which were relayed, checking each against the parse path. */
function relayedIndexes(events: string[], created = 1715367049): number[] {
  const relayedAt: number[] = [];
  for (const includeUsage of [false, true]) {
    for (const streamCreated of [created, created + 1]) {
      const relay = new ChunkRelay();
      const writer = new RelayedChunkWriter(GATEWAY_ID, CLIENT_MODEL, includeUsage);
      const at: number[] = [];
      events.forEach((data, i) => {
        const { light, expected, actual } = written(relay, writer, data, streamCreated, includeUsage);
        if (!light) return;
        at.push(i);
        assert.deepEqual(actual, expected, `event ${i} (include_usage ${includeUsage})`);
        // The light chunk says what the event says, for every reader of chunks.
        const parsed = JSON.parse(data) as ChatChunk;
        assert.deepEqual(light.choices[0]!.delta, parsed.choices[0]!.delta);
        assert.equal(light.choices[0]!.finish_reason, null);
        assert.equal(light.choices.length, 1);
        assert.equal(light.usage, undefined);
      });
      if (relayedAt.length === 0) relayedAt.push(...at);
      else assert.deepEqual(at, relayedAt);
    }
  }
  return relayedAt;
}

const openaiChunk = (delta: object, finish: string | null = null, extra: object = {}) =>
  JSON.stringify({
    id: 'chatcmpl-up1',
    object: 'chat.completion.chunk',
    created: 1715367049,
    model: 'gpt-4o-2024-08-06',
    service_tier: 'default',
    system_fingerprint: 'fp_1',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
    obfuscation: 'x1y2',
  });

describe('chunk relay', () => {
  it("relays OpenAI's plain text deltas and parses the first event, the finish and the usage", () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    const events = [
      openaiChunk({ role: 'assistant', content: '', refusal: null }, null, { usage: null }),
      openaiChunk({ content: 'Hel' }, null, { usage: null }),
      openaiChunk({ content: 'lo "quoted" \\ back\\slash \n é 😀 \u2028' }, null, { usage: null }),
      openaiChunk({ content: '"finish_reason":"stop"' }, null, { usage: null }),
      openaiChunk({}, 'stop', { usage: null }),
      JSON.stringify({
        id: 'chatcmpl-up1',
        object: 'chat.completion.chunk',
        created: 1715367049,
        model: 'gpt-4o-2024-08-06',
        choices: [],
        usage,
      }),
    ];
    assert.deepEqual(relayedIndexes(events), [1, 2, 3]);
  });

  it('relays spellings without usage or fingerprint keys, and role on every delta (Ollama)', () => {
    const ollama = (content: string, finish: string | null = null) =>
      JSON.stringify({
        id: 'chatcmpl-392',
        object: 'chat.completion.chunk',
        created: 1735000000,
        model: 'llama3.2',
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: finish }],
      });
    assert.deepEqual(
      relayedIndexes([ollama('A'), ollama('B'), ollama('C'), ollama('', 'stop')], 1735000000),
      [1, 2],
    );
  });

  it('removes a null system_fingerprint and usage wherever they stand', () => {
    const first = JSON.stringify({
      usage: null,
      id: 'a',
      object: 'chat.completion.chunk',
      created: 5,
      model: 'm',
      system_fingerprint: null,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    const plain = JSON.stringify({
      usage: null,
      id: 'a',
      object: 'chat.completion.chunk',
      created: 5,
      model: 'm',
      system_fingerprint: null,
      choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }],
    });
    assert.deepEqual(relayedIndexes([first, plain, plain], 5), [1, 2]);
  });

  it('parses whatever the gateway reads or cannot splice safely', () => {
    const base = {
      id: 'chatcmpl-up1',
      object: 'chat.completion.chunk',
      created: 1715367049,
      model: 'gpt-4o',
    };
    const choice = (delta: object, more: object = {}) => ({ index: 0, delta, finish_reason: null, ...more });
    const events = [
      JSON.stringify({ ...base, choices: [choice({ role: 'assistant', content: '' })] }),
      JSON.stringify({
        ...base,
        choices: [
          choice({
            tool_calls: [
              { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } },
            ],
          }),
        ],
      }),
      JSON.stringify({ ...base, choices: [choice({ reasoning_content: 'thinking' })] }),
      JSON.stringify({ ...base, choices: [choice({ content: 'x' }, { logprobs: { content: [] } })] }),
      JSON.stringify({ ...base, choices: [choice({ refusal: 'no' })] }),
      JSON.stringify({
        ...base,
        choices: [choice({ content: 'a' }), { ...choice({ content: 'b' }), index: 1 }],
      }),
      JSON.stringify({ ...base, choices: [{ ...choice({ content: 'a' }), index: 1 }] }),
      JSON.stringify({ ...base, model: 'gpt-4o-other', choices: [choice({ content: 'x' })] }),
      JSON.stringify({ ...base, id: 'chatcmpl-other', choices: [choice({ content: 'x' })] }),
      JSON.stringify({ ...base, created: 1, choices: [choice({ content: 'x' })] }),
      JSON.stringify({
        ...base,
        choices: [choice({ content: 'x' })],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
      JSON.stringify({ ...base, choices: [choice({ content: 'x', role: 'tool' })] }),
      JSON.stringify({ ...base, choices: [choice({ content: 5 })] }),
      JSON.stringify({ ...base, choices: [choice({ content: 'x' })] }, null, 1),
      JSON.stringify({ ...base, service_tier: 'flex', choices: [choice({ content: 'x' })] }),
      JSON.stringify({ ...base, choices: [choice({ content: 'still plain' })] }),
    ];
    assert.deepEqual(relayedIndexes(events), [15]);
  });

  it('relays nothing before it has parsed an event with the id, model and created', () => {
    const relay = new ChunkRelay();
    assert.equal(relay.light(openaiChunk({ content: 'x' })), undefined);
    const empty = JSON.stringify({
      id: 'chatcmpl-up1',
      object: 'chat.completion.chunk',
      created: 1715367049,
      model: 'gpt-4o-2024-08-06',
      choices: [],
    });
    relay.learn(JSON.parse(empty) as ChatChunk, empty);
    assert.equal(relay.light(openaiChunk({ content: 'x' })), undefined);
    const first = openaiChunk({ role: 'assistant', content: '' });
    relay.learn(JSON.parse(first) as ChatChunk, first);
    assert.ok(relay.light(openaiChunk({ content: 'x' })));
  });
});
