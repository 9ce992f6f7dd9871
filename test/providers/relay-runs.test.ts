// Runs of plain events taken whole (providers/sse.ts translateReads, ChunkRelay.run, RelayedChunkWriter.writeRun)
// against the event-by-event relay they replace (readSseEvents, translateBatches, ChunkRelay.light): the
// same upstream bytes, cut into reads every which way, must give the client the same bytes through the
// chat door's encoder, and the pipeline the same figures (generated text, usage, finish reasons, commit
// point, batches with content, the end or the error).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventSourceMessage } from 'eventsource-parser';
import { decodeRunTexts, relayedRun } from '../../src/core/relayed-chunk.js';
import type { ChatChunk, ChatRequest } from '../../src/core/types.js';
import { StreamAnswer } from '../../src/pipeline/stream-answer.js';
import { ChunkRelay } from '../../src/providers/openai/chunk-relay.js';
import { readSseEvents, translateBatches, translateReads } from '../../src/providers/sse.js';
import { hasContent } from '../../src/router/executor.js';
import { chatStreamEncoder } from '../../src/server/chat.js';
import { cut, cutsOf } from '../support/read-cuts.js';

type Path = 'events' | 'runs';

interface Outcome {
  client: string;
  generated: string[];
  reported: unknown;
  finishReasons: string[];
  created: number;
  /** Per batch (network read): whether it has content (the executor's commit test). */
  contentful: boolean[];
  ended: boolean | undefined;
  error: string | undefined;
  /** Chunks that stood for a run (the runs path only). */
  runs: number;
}

/** What the OpenAI provider's stream() does with one event (parseChunk simplified: JSON with choices). */
function translator(relay: ChunkRelay) {
  return (event: EventSourceMessage, out: ChatChunk[]): 'end' | undefined => {
    if (event.data === '[DONE]') return 'end';
    const light = relay.light(event.data);
    if (light) {
      out.push(light);
      return undefined;
    }
    let chunk: ChatChunk;
    try {
      chunk = JSON.parse(event.data) as ChatChunk;
    } catch {
      throw new Error('a stream event is not JSON');
    }
    if (!Array.isArray(chunk.choices)) throw new Error('a stream event has no choices');
    relay.learn(chunk, event.data);
    out.push(chunk);
    return undefined;
  };
}

/** The reads through one path, then the chat door's encoder as complete-stream drives it. */
async function through(path: Path, reads: Uint8Array[], includeUsage: boolean): Promise<Outcome> {
  async function* body() {
    for (const read of reads) yield read;
  }
  const relay = new ChunkRelay();
  const translate = translator(relay);
  const batches =
    path === 'runs'
      ? translateReads(body(), translate, (text, at) => relay.run(text, at))
      : translateBatches(readSseEvents(body()), translate);
  const request = {
    model: 'openai/gpt-4o-$&-mini',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  } as ChatRequest;
  const encoder = chatStreamEncoder(request, 'req_0123');
  const answer = new StreamAnswer();
  let client = '';
  const sink = {
    data: (json: string) => {
      client += `data: ${json}\n\n`;
    },
    event: (name: string, json: string) => {
      client += `event: ${name}\ndata: ${json}\n\n`;
    },
    raw: (text: string) => {
      client += text;
    },
  };
  const contentful: boolean[] = [];
  let runs = 0;
  let ended: boolean | undefined;
  let error: string | undefined;
  try {
    for (;;) {
      const next = await batches.next();
      if (next.done) {
        ended = next.value;
        break;
      }
      contentful.push(next.value.some(hasContent));
      for (const chunk of next.value) {
        if (relayedRun(chunk)) runs++;
        if (!answer.take(chunk)) continue;
        if (!answer.committed) answer.commit(chunk);
        encoder.chunk(chunk, answer.created, sink);
      }
    }
  } catch (failure) {
    error = (failure as Error).message;
  }
  const generated = answer.generated.texts();
  if (error === undefined) {
    // The token-count fallback counts the joined text: here, its length.
    const completion = answer.generated.join('').length;
    const usage = answer.reported ?? {
      prompt_tokens: 1,
      completion_tokens: completion,
      total_tokens: completion + 1,
    };
    encoder.end(usage, answer.usageChunk, answer.created, sink);
  }
  return {
    client,
    generated,
    reported: answer.reported,
    finishReasons: answer.finishReasons,
    created: answer.created,
    contentful,
    ended,
    error,
    runs,
  };
}

async function assertSame(stream: string, label: string, minRuns = 1): Promise<void> {
  const bytes = Buffer.from(stream);
  const cuts = cutsOf(bytes.length);
  for (const includeUsage of [false, true]) {
    let runs = 0;
    for (const at of cuts) {
      const reads = cut(bytes, at);
      const expected = await through('events', reads, includeUsage);
      const actual = await through('runs', reads, includeUsage);
      runs += actual.runs;
      assert.equal(expected.runs, 0);
      const where = `${label}, include_usage ${includeUsage}, cut at [${at.slice(0, 12).join(',')}${at.length > 12 ? ',…' : ''}]`;
      assert.equal(actual.client, expected.client, where);
      assert.deepEqual({ ...actual, runs: 0 }, expected, where);
    }
    // The fast path was taken where the stream has plain events (at least when read whole).
    assert.ok(runs >= minRuns, `${label}: ${runs} runs`);
  }
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
