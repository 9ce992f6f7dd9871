// Runs of Responses API text deltas taken whole (ResponsesEvents.run) against the event-by-event relay
// they replace (ResponsesEvents.take), through the Responses door's encoder (sequence numbers of an in-band
// error included) and its stored Response: test/support/relay-runs.ts says what must be the same.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relayedOf } from '../../src/core/native.js';
import { decodeRunTexts } from '../../src/core/relayed-chunk.js';
import type { ChatChunk } from '../../src/core/types.js';
import { ResponsesEvents } from '../../src/providers/openai/openai-responses.js';
import { responsesTextRun } from '../../src/providers/text-delta.js';
import { hasContent } from '../../src/router/executor.js';
import type { ResponsesRequest } from '../../src/server/responses/request.js';
import { ResponsesStreamEncoder } from '../../src/server/responses/stream-encoder.js';
import { assertRunsLikeEvents, type RelayCase, through } from '../support/relay-runs.js';

const responses: RelayCase = {
  reader: () => new ResponsesEvents('openai', 'gpt-4o'),
  encoder: (stored) =>
    new ResponsesStreamEncoder(
      {
        id: 'resp_gateway',
        request: { model: 'openai/gpt-4o', input: 'hi', stream: true } as ResponsesRequest,
        namespaced: new Map(),
        offeredTools: [],
      },
      (response) => stored.push(response),
    ),
  // As the provider's stream() says.
  endedEarly: 'the stream ended before response.completed',
};
const assertSame = (stream: string, label: string) => assertRunsLikeEvents(responses, stream, label);

const ITEM = 'msg_0a1b2c';

/** A Responses stream as OpenAI writes it, numbered in order. */
function upstream() {
  let sequence = 0;
  const framed = (type: string, fields: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`;
  const response = (status: string, extra: Record<string, unknown> = {}) => ({
    id: 'resp_upstream',
    object: 'response',
    created_at: 1_741_476_542,
    status,
    model: 'gpt-4o-2024-08-06',
    output: [],
    ...extra,
  });
  const at = { item_id: ITEM, output_index: 0, content_index: 0 };
  const delta = (text: string, extra: Record<string, unknown> = {}) =>
    framed('response.output_text.delta', { ...at, delta: text, logprobs: [], ...extra });
  return { framed, response, at, delta };
}

function head(u: ReturnType<typeof upstream>): string {
  return (
    u.framed('response.created', { response: u.response('in_progress') }) +
    u.framed('response.in_progress', { response: u.response('in_progress') }) +
    u.framed('response.output_item.added', {
      output_index: 0,
      item: { id: ITEM, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
    }) +
    u.framed('response.content_part.added', {
      ...u.at,
      part: { type: 'output_text', text: '', annotations: [] },
    })
  );
}

function tail(u: ReturnType<typeof upstream>, text: string): string {
  return (
    u.framed('response.output_text.done', { ...u.at, text, logprobs: [] }) +
    u.framed('response.completed', {
      response: u.response('completed', {
        output: [
          {
            id: ITEM,
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ],
        usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 },
      }),
    })
  );
}

describe('relayed runs of Responses text deltas', () => {
  it('give the same client bytes, stored Response and figures as event by event', async () => {
    const u = upstream();
    const texts = ['Hel', 'lo "quoted" \\ back\\slash \n é 😀 \u2028', '"delta":"x"}', '', 'end'];
    const stream =
      head(u) +
      texts.map((text) => u.delta(text, { obfuscation: 'x1y2' })).join('') +
      tail(u, texts.join(''));
    await assertSame(stream, 'openai');
  });

  it('the same for every other spelling, in order with runs', async () => {
    const u = upstream();
    const stream = [
      head(u),
      u.delta('a'),
      ': keep-alive comment\n\n',
      u.delta('b'),
      u.delta('no event line').replace('event: response.output_text.delta\n', ''),
      u.delta('c'),
      u.delta('crlf').replaceAll('\n', '\r\n'),
      u.delta('d'),
      `id: 7\n${u.delta('with id')}`,
      u.delta('e'),
      u.delta('nested logprobs', { logprobs: [{ token: 'x', logprob: -0.1, top_logprobs: [] }] }),
      u.delta('f'),
      u.delta('spaced').replace('"delta":', '"delta": '),
      u.delta('first').replace('"logprobs":[]', '"logprobs":[],"delta":"second"'),
      u.delta('i'),
      u.delta('last').replace('"item_id"', '"delta":"earlier","item_id"'),
      u.delta('j'),
      u.delta('u\\u00e9\\n'),
      u.framed('response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 1, delta: '{}' }),
      u.delta('g'),
      '\n',
      u.delta('h'),
      tail(u, 'whatever'),
      u.delta('after the end'),
    ].join('');
    await assertSame(stream, 'spellings');
  });

  it('the same when a plain-looking delta is not valid, or the stream fails or stops early', async () => {
    const u = upstream();
    const bad = `${head(u)}${u.delta('fine')}${u.delta('x').replace('"x"', '"bad \\x escape"')}${u.delta('never')}`;
    await assertSame(bad, 'bad escape');
    const v = upstream();
    const failed = `${head(v)}${v.delta('one')}${v.delta('two')}${v.framed('response.failed', {
      response: v.response('failed', { error: { code: 'server_error', message: 'boom' } }),
    })}`;
    await assertSame(failed, 'failed');
    // The failed Response the gateway tells names the upstream's creation time, as response.created did.
    const told = (await through(responses, 'runs', [Buffer.from(failed)])).client;
    assert.match(
      told,
      /"type":"response\.failed","sequence_number":7,"response":\{[^\n]*"created_at":1741476542,/,
    );
    const w = upstream();
    const early = `${head(w)}${w.delta('a')}${w.delta('b')}${w.delta('unterminated').slice(0, -2)}`;
    await assertSame(early, 'no response.completed');
  });

  it('takes a read of plain deltas as one run, and decodes its text only when asked', () => {
    const u = upstream();
    const text = [u.delta('aESC').replace('ESC', '\\u00e9'), u.delta(''), u.delta('b'), tail(u, 'ab')].join(
      '',
    );
    const taken = responsesTextRun(text, 0);
    assert.ok(taken);
    assert.equal(taken.end, text.indexOf('event: response.output_text.done'));
    assert.equal(taken.run.text, text.slice(0, taken.end));
    assert.equal(taken.run.hasText(), true);
    assert.deepEqual(decodeRunTexts(taken.run.escapedTexts()), ['a\u00e9', 'b']);
    assert.equal(responsesTextRun(text, taken.end), undefined, 'a done event is not a delta');
    assert.equal(responsesTextRun(u.delta(''), 0)?.run.hasText(), false);
    // The key is looked for where it was in the event before; events of other layouts are read right.
    const layouts = [
      u.delta('one'),
      u.delta('two', { sequence_number: 1_000_000 }),
      u.delta('three').replace('"item_id":"msg_0a1b2c",', ''),
      u.delta('four', { obfuscation: 'a1b2c3' }),
    ].join('');
    const all = responsesTextRun(layouts, 0);
    assert.equal(all?.end, layouts.length);
    assert.deepEqual(decodeRunTexts(all!.run.escapedTexts()), ['one', 'two', 'three', 'four']);
  });
});

describe('Responses events the translation does not read', () => {
  const u = upstream();
  const created = u.framed('response.created', { response: u.response('in_progress') });
  const dataOf = (framed: string) => framed.slice(framed.indexOf('data: ') + 6, -2);

  it('are relayed as they came, without a parse (a done event repeats the whole text)', () => {
    const events = new ResponsesEvents('openai', 'gpt-4o');
    const batch: ChatChunk[] = [];
    events.take(dataOf(created), 'response.created', batch);
    // Not JSON past its type: nothing reads it, so nothing fails on it; the client gets it as it came.
    const done = '{"type":"response.output_text.done","text":"the whole text", not json';
    assert.equal(events.take(done, 'response.output_text.done', batch), undefined);
    const carrier = batch.at(-1)!;
    assert.deepEqual(carrier.choices, []);
    assert.equal(
      relayedOf(carrier, 'openai-responses'),
      `event: response.output_text.done\ndata: ${done}\n\n`,
    );
    assert.equal(hasContent(carrier), false);
  });

  it('are parsed when the data names another type than the SSE name, or when the event has none', () => {
    const events = new ResponsesEvents('openai', 'gpt-4o');
    const batch: ChatChunk[] = [];
    events.take(dataOf(created), 'response.created', batch);
    const completed = dataOf(tail(u, 'ab').slice(tail(u, 'ab').indexOf('event: response.completed')));
    assert.equal(events.take(completed, 'response.output_text.done', batch), 'end');
    assert.equal(events.finished, true);
    const broken = '{"type":"response.output_text.done", not json';
    assert.throws(() => new ResponsesEvents('openai', 'm').take(broken, undefined, []), /not JSON/);
  });
});
