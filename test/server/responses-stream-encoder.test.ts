// The Responses stream encoder on its own, fed canonical chunks a provider can produce (reasoning, text, a
// refusal, tool calls in a namespace, a cut answer): every event must match the spec, in order, and the
// final Response must hold what the deltas said.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChunkDelta, FinishReason } from '../../src/core/types.js';
import type { EventSink } from '../../src/pipeline/front-door.js';
import type { ResponsesRequest } from '../../src/server/responses/request.js';
import { ResponsesStreamEncoder } from '../../src/server/responses/stream-encoder.js';
import { assertMatchesSchema } from '../support/openapi.js';

interface Event {
  type: string;
  sequence_number: number;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
  [field: string]: any;
}

function run(deltas: Array<ChunkDelta | FinishReason>, options: { fail?: boolean } = {}) {
  const events: Event[] = [];
  const sink: EventSink = {
    data: () => assert.fail('the Responses stream names every event'),
    raw: () => assert.fail('nothing is relayed raw'),
    event(name, text) {
      const event = JSON.parse(text) as Event;
      assert.equal(event.type, name);
      assertMatchesSchema('ResponseStreamEvent', event);
      events.push(event);
    },
  };
  const stored: Record<string, unknown>[] = [];
  const request = { model: 'anthropic/claude', input: 'x' } as ResponsesRequest;
  const encoder = new ResponsesStreamEncoder(
    {
      id: 'resp_0123',
      request,
      namespaced: new Map([['crm__lookup', { namespace: 'crm', name: 'lookup' }]]),
      offeredTools: [],
    },
    (response) => stored.push(typeof response === 'string' ? JSON.parse(response) : response),
  );
  const chunk = (delta: ChunkDelta, finish: FinishReason | null): ChatChunk => ({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  for (const delta of deltas)
    encoder.chunk(typeof delta === 'string' ? chunk({}, delta) : chunk(delta, null), 1_700_000_000, sink);
  if (options.fail) encoder.error(gatewayError('upstream_error', { message: 'upstream went away' }), sink);
  else
    encoder.end(
      { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, cost: 0.01 },
      undefined,
      1_700_000_000,
      sink,
    );
  assert.deepEqual(
    events.map((e) => e.sequence_number),
    events.map((_, i) => i),
  );
  return { events, types: events.map((e) => e.type), stored };
}

describe('ResponsesStreamEncoder', () => {
  test('reasoning, then text, then a namespaced tool call: each item opened and closed in turn', () => {
    const { events, types, stored } = run([
      { reasoning_content: 'Let me ' },
      { reasoning_content: 'think.' },
      { content: 'Looking ' },
      { content: 'it up.' },
      {
        tool_calls: [
          { index: 0, id: 'call_1', type: 'function', function: { name: 'crm__lookup', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"id":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '7}' } }] },
      'tool_calls',
    ]);
    assert.deepEqual(types, [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const completed = events.at(-1)!.response;
    assertMatchesSchema('Response', completed);
    assert.deepEqual(
      completed.output.map((item: { type: string }) => item.type),
      ['reasoning', 'message', 'function_call'],
    );
    assert.equal(completed.output[0].summary[0].text, 'Let me think.');
    assert.equal(completed.output[1].content[0].text, 'Looking it up.');
    assert.deepEqual(
      { ...completed.output[2], id: undefined },
      {
        id: undefined,
        type: 'function_call',
        status: 'completed',
        arguments: '{"id":7}',
        call_id: 'call_1',
        namespace: 'crm',
        name: 'lookup',
      },
    );
    assert.equal(events.find((e) => e.type === 'response.function_call_arguments.done')!.name, 'lookup');
    assert.deepEqual(completed.usage, {
      input_tokens: 3,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 7,
      cost: 0.01,
    });
    // Every output item's index is its place in the final output.
    for (const event of events.filter((e) => e.type === 'response.output_item.done'))
      assert.deepEqual(completed.output[event.output_index], event.item);
    assert.deepEqual(stored, [completed]);
  });

  test('a refusal: its own content part and events', () => {
    const { types, events } = run([{ refusal: "I can't " }, { refusal: 'help.' }, 'stop']);
    assert.ok(types.includes('response.refusal.delta'));
    assert.equal(events.find((e) => e.type === 'response.refusal.done')!.refusal, "I can't help.");
    assert.deepEqual(events.at(-1)!.response.output[0].content, [
      { type: 'refusal', refusal: "I can't help." },
    ]);
  });

  test('cut by the token limit: response.incomplete, the message incomplete', () => {
    const { events } = run([{ content: 'Half an' }, 'length']);
    const last = events.at(-1)!;
    assert.equal(last.type, 'response.incomplete');
    assert.equal(last.response.status, 'incomplete');
    assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(last.response.output[0].status, 'incomplete');
  });

  test('an upstream that said nothing: created, then completed with no output', () => {
    const { types, events } = run([]);
    assert.deepEqual(types, ['response.created', 'response.in_progress', 'response.completed']);
    assert.deepEqual(events.at(-1)!.response.output, []);
  });

  test('a failure mid-stream: an error event, then response.failed with what was written; nothing stored', () => {
    const { types, events, stored } = run([{ content: 'Hel' }], { fail: true });
    assert.deepEqual(types.slice(-2), ['error', 'response.failed']);
    assert.equal(events.at(-2)!.message, 'upstream went away');
    const failed = events.at(-1)!.response as {
      status: string;
      error: { message: string };
      output: unknown[];
    };
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.message, 'upstream went away');
    assert.equal(failed.output.length, 1);
    assert.deepEqual(stored, []);
  });
});
