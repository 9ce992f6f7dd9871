// Runs of plain events of an OpenAI chat stream taken whole (ChunkRelay.run, RelayedChunkWriter.writeRun)
// against the event-by-event relay they replace (ChunkRelay.light), through the chat door's encoder, for a
// client that asked for usage and one that did not: test/support/relay-runs.ts says what must be the same.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRunTexts, relayedRun } from '../../src/core/relayed-chunk.js';
import type { ChatChunk, ChatRequest } from '../../src/core/types.js';
import { ChunkRelay } from '../../src/providers/openai/chunk-relay.js';
import { chatStreamEncoder } from '../../src/server/chat.js';
import { assertRunsLikeEvents, type EventReader, type RelayCase } from '../support/relay-runs.js';

/** What the OpenAI provider's stream() does with one event (parseChunk simplified: JSON with choices). */
function reader(): EventReader {
  const relay = new ChunkRelay();
  return {
    take(data: string, _name: string | undefined, out: ChatChunk[]): 'end' | undefined {
      if (data === '[DONE]') return 'end';
      const light = relay.light(data);
      if (light) {
        out.push(light);
        return undefined;
      }
      let chunk: ChatChunk;
      try {
        chunk = JSON.parse(data) as ChatChunk;
      } catch {
        throw new Error('a stream event is not JSON');
      }
      if (!Array.isArray(chunk.choices)) throw new Error('a stream event has no choices');
      relay.learn(chunk, data);
      out.push(chunk);
      return undefined;
    },
    run: (text, at) => relay.run(text, at),
  };
}

/** The chat door, for a client that asked for usage or not. */
function chat(includeUsage: boolean): RelayCase {
  const request = {
    model: 'openai/gpt-4o-$&-mini',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  } as ChatRequest;
  return {
    reader,
    encoder: () => chatStreamEncoder(request, 'req_0123'),
    endedEarly: 'the stream ended before [DONE]',
  };
}

async function assertSame(stream: string, label: string): Promise<void> {
  for (const includeUsage of [false, true])
    await assertRunsLikeEvents(chat(includeUsage), stream, `${label}, include_usage ${includeUsage}`);
}

const ID = 'chatcmpl-up1';
const CREATED = 1715367049;
const MODEL = 'gpt-4o-2024-08-06';

/** An event as OpenAI writes it, `"usage":null` after the choices when `usageNull`. */
function openai(delta: object, finish: string | null = null, usageNull = true, extra: object = {}) {
  return JSON.stringify({
    id: ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: MODEL,
    service_tier: 'default',
    system_fingerprint: 'fp_1',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usageNull ? { usage: null } : {}),
    ...extra,
    obfuscation: 'x1y2',
  });
}

const usageEvent = JSON.stringify({
  id: ID,
  object: 'chat.completion.chunk',
  created: CREATED,
  model: MODEL,
  service_tier: 'default',
  system_fingerprint: 'fp_1',
  choices: [],
  usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 },
});

const data = (json: string) => `data: ${json}\n\n`;

describe('relayed runs', () => {
  it('give the same client bytes and figures as event by event: an OpenAI stream', async () => {
    const stream = [
      openai({ role: 'assistant', content: '', refusal: null }),
      openai({ content: 'Hel' }),
      openai({ content: 'lo "quoted" \\ back\\slash \n é 😀 \u2028' }),
      openai({ content: '"finish_reason":"stop"' }),
      openai({ content: '' }),
      openai({ content: 'x' }),
      openai({}, 'stop'),
      usageEvent,
    ]
      .map(data)
      .join('')
      .concat('data: [DONE]\n\n');
    await assertSame(stream, 'openai');
  });

  it('the same without usage (the token-count fallback), with role on every delta (Ollama)', async () => {
    const ollama = (content: string, finish: string | null = null) =>
      JSON.stringify({
        id: 'chatcmpl-392',
        object: 'chat.completion.chunk',
        created: 1735000000,
        model: 'llama3.2',
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: finish }],
      });
    const stream = [
      ollama(''),
      ollama(''),
      ollama('A\\"'),
      ollama('B RAWTAB').replace('RAWTAB', '\t'),
      ollama('C'),
      ollama('', 'stop'),
    ]
      .map(data)
      .join('')
      .concat('data: [DONE]\n\n');
    await assertSame(stream, 'ollama');
  });

  it('the same for every other spelling of SSE, in order with runs', async () => {
    const plain = (content: string, usageNull = true) => openai({ content }, null, usageNull);
    const stream = [
      data(openai({ role: 'assistant', content: '' })),
      data(plain('a')),
      ': keep-alive comment\n\n',
      data(plain('b')),
      `event: delta\ndata: ${plain('c')}\n\n`,
      data(plain('d', false)),
      data(plain('e', false)),
      `data:${plain('no space')}\n\n`,
      `data: ${plain('crlf')}\r\n\r\n`,
      data(plain('f')),
      `data: ${plain('cr')}\r\r`,
      `id: 7\ndata: ${plain('with id')}\n\n`,
      `data: ${openai({ content: 'multi' }).slice(0, 40)}\ndata: ${openai({ content: 'multi' }).slice(40)}\n\n`,
      '\n',
      data(plain('g')),
      data(plain('other id').replace(ID, 'chatcmpl-other')),
      data(plain('h')),
      data(
        plain('two choices').replace(
          '"choices":[',
          '"choices":[{"index":0,"delta":{"content":"first"},"logprobs":null,"finish_reason":null},',
        ),
      ),
      data(plain('u\\u00e9\\n')),
      data(openai({}, 'stop')),
      data(usageEvent),
      'data: [DONE]\n\n',
      data(plain('after the end')),
    ].join('');
    await assertSame(stream, 'spellings');
  });

  it('the same for tool calls and for content that comes only after empty deltas', async () => {
    const call = (args: string, name?: string) =>
      openai({
        tool_calls: [
          {
            index: 0,
            ...(name ? { id: 'c1', type: 'function' } : {}),
            function: { ...(name ? { name } : {}), arguments: args },
          },
        ],
      });
    const stream = [
      openai({ role: 'assistant', content: '' }),
      openai({ content: '' }),
      openai({ content: '' }),
      openai({ content: 'late' }),
      call('', 'get'),
      call('{"a":'),
      call('1}'),
      openai({}, 'tool_calls'),
    ]
      .map(data)
      .join('')
      .concat('data: [DONE]\n\n');
    await assertSame(stream, 'tools');
  });

  it('the same when a plain-looking event is not valid (the error comes at the same place)', async () => {
    const stream = [
      openai({ role: 'assistant', content: '' }),
      openai({ content: 'fine' }),
      openai({ content: 'TAB and escape \n' }).replace('TAB', '\t'),
      openai({ content: 'never' }),
    ]
      .map(data)
      .join('');
    // The third event holds a raw tab and an escape: light() parses it, and so the stream fails there.
    await assertSame(stream, 'invalid');
    const bad = [openai({ role: 'assistant', content: '' }), openai({ content: 'ok' })]
      .map(data)
      .join('')
      .concat(
        `data: ${openai({ content: 'x' }).replace('"x"', '"bad \\x escape"')}\n\n`,
        data(openai({ content: 'y' })),
      );
    await assertSame(bad, 'bad escape');
  });

  it('the same when the stream ends without [DONE]', async () => {
    const stream = [
      openai({ role: 'assistant', content: '' }),
      openai({ content: 'a' }),
      openai({ content: 'b' }),
    ]
      .map(data)
      .join('')
      .concat(`data: ${openai({ content: 'unterminated' })}`);
    await assertSame(stream, 'no [DONE]');
  });

  it('takes a read of plain events as one chunk, and decodes its text only when asked', async () => {
    const relay = new ChunkRelay();
    const first = openai({ role: 'assistant', content: '' });
    relay.learn(JSON.parse(first) as ChatChunk, first);
    const text = [
      openai({ content: 'aESC' }).replace('ESC', '\\u00e9'),
      openai({ content: '' }),
      openai({ content: 'b' }),
      openai({}, 'stop'),
    ]
      .map(data)
      .join('');
    const taken = relay.run(text, 0);
    assert.ok(taken);
    const run = relayedRun(taken.chunk)!;
    assert.equal(taken.end, text.indexOf(data(openai({}, 'stop'))));
    assert.equal(run.text, text.slice(0, taken.end));
    assert.equal(run.usageNull, true);
    assert.equal(run.hasText(), true);
    assert.deepEqual(decodeRunTexts(run.escapedTexts()), ['a\u00e9', 'b']);
    assert.equal(taken.chunk.choices[0]!.delta.content, 'a\u00e9b');
    assert.equal(relay.run(text, taken.end), undefined, 'a finish is not plain');
    const empty = relay.run(data(openai({ content: '' })), 0);
    assert.equal(empty && relayedRun(empty.chunk)!.hasText(), false);
  });
});
