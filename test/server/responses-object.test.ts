// A passed-through Response made the gateway's by splicing its few members into the event's text
// (asGatewaysInText) must read, to any JSON reader, exactly as the parse-and-rewrite it stands in for
// (asGateways): the gateway's id, the client's model and conversation, all else the upstream's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponsesRequest } from '../../src/server/responses/request.js';
import {
  asGateways,
  asGatewaysInText,
  eventAsGateways,
  type ResponseContext,
  responseAsGatewaysInText,
} from '../../src/server/responses/response-object.js';

const context = (previous?: string): ResponseContext => ({
  id: 'resp_gateway01',
  request: {
    model: 'openai/gpt-4o',
    input: 'hi',
    ...(previous ? { previous_response_id: previous } : {}),
  } as ResponsesRequest,
  namespaced: new Map(),
  offeredTools: [],
});

/** What the parse-and-rewrite gives for an event's text. */
function rewritten(data: string, ctx: ResponseContext): unknown {
  const event = JSON.parse(data) as Record<string, unknown>;
  return { ...event, response: asGateways(event.response as Record<string, unknown>, ctx, undefined) };
}

const upstreamResponse = {
  id: 'resp_upstream',
  object: 'response',
  created_at: 1_741_476_542,
  status: 'in_progress',
  model: 'gpt-4o-2024-08-06',
  output: [{ id: 'msg_1', type: 'message', content: [] }],
  // Nested members named like the ones replaced: left alone.
  tools: [
    { type: 'function', name: 'id', description: 'the "id" and "model": é \u2028 😀', parameters: { id: 1 } },
  ],
  instructions: 'Be brief. {"id":"not this"}',
};

describe("a passed-through Response made the gateway's in its text", () => {
  const cases: Array<[string, string]> = [
    [
      "OpenAI's spelling",
      JSON.stringify({ type: 'response.created', sequence_number: 0, response: upstreamResponse }),
    ],
    [
      'with previous_response_id',
      JSON.stringify({
        type: 'response.in_progress',
        sequence_number: 1,
        response: { ...upstreamResponse, previous_response_id: 'resp_old' },
      }),
    ],
    [
      'spaced, escaped, response not last',
      JSON.stringify(
        { type: 'response.created', response: upstreamResponse, sequence_number: 0 },
        null,
        2,
      ).replaceAll('é', '\\u00e9'),
    ],
  ];
  for (const previous of [undefined, 'resp_client_prev']) {
    for (const [label, data] of cases) {
      it(`reads as the rewrite does: ${label}, previous_response_id ${previous ?? 'none'}`, () => {
        const ctx = context(previous);
        const spliced = asGatewaysInText(data, ctx);
        assert.ok(spliced);
        assert.deepEqual(JSON.parse(spliced.data), rewritten(data, ctx));
        assert.equal(spliced.createdAt, upstreamResponse.created_at);
      });
    }
  }

  it('with the cost in the usage of a terminal Response, and its text to store', () => {
    const ctx = context('resp_client_prev');
    const usage = {
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 1 },
      output_tokens: 7,
      total_tokens: 12,
    };
    const data = JSON.stringify({
      type: 'response.completed',
      sequence_number: 9,
      response: { ...upstreamResponse, status: 'completed', usage },
    });
    const spliced = asGatewaysInText(data, ctx, 0.0125);
    assert.ok(spliced);
    const event = JSON.parse(data) as { response: Record<string, unknown> };
    const expected = asGateways(event.response, ctx, 0.0125);
    assert.deepEqual(JSON.parse(spliced.data), { ...event, response: expected });
    assert.deepEqual(JSON.parse(spliced.response), expected);
    // Without usage, none is added (as asGateways).
    const bare = asGatewaysInText(
      JSON.stringify({ type: 'response.completed', response: upstreamResponse }),
      ctx,
      0.5,
    );
    assert.deepEqual(JSON.parse(bare!.response), asGateways(upstreamResponse, ctx, 0.5));
  });

  it('leaves a text of another shape to the parse', () => {
    const ctx = context();
    const { id: _id, ...withoutId } = upstreamResponse;
    for (const data of [
      JSON.stringify({ type: 'response.created', response: withoutId }),
      JSON.stringify({ type: 'response.created', response: null }),
      JSON.stringify({ type: 'response.created' }),
      '{"type":"response.created","response":{"\\u0069d":"resp_x","id":"resp_y","model":"m"}}',
    ])
      assert.equal(asGatewaysInText(data, ctx), undefined, data);
  });
});

describe("a whole passed-through answer made the gateway's in its text", () => {
  const usage = { input_tokens: 5, output_tokens: 7, total_tokens: 12, output_tokens_details: { x: 1 } };
  const answer = { ...upstreamResponse, status: 'completed', usage };
  const bodies: Array<[string, string]> = [
    ['compact', JSON.stringify(answer)],
    // OpenAI indents its whole answers; leading and trailing space too.
    ['indented', `\n${JSON.stringify({ ...answer, previous_response_id: null }, null, 2)}\n`],
  ];
  for (const [label, body] of bodies) {
    for (const previous of [undefined, 'resp_client_prev']) {
      it(`reads as the rewrite does, with its cost: ${label}, previous_response_id ${previous ?? 'none'}`, () => {
        const ctx = context(previous);
        const spliced = responseAsGatewaysInText(body, ctx, 0.0042);
        assert.ok(spliced);
        assert.deepEqual(JSON.parse(spliced.text), asGateways(JSON.parse(body), ctx, 0.0042));
        assert.equal(spliced.createdAt, upstreamResponse.created_at);
      });
    }
  }

  it('leaves a body of another shape to the parse', () => {
    for (const body of ['[]', '"resp"', JSON.stringify({ id: 'resp_x' }), JSON.stringify({ model: 'm' })])
      assert.equal(responseAsGatewaysInText(body, context(), 0.1), undefined, body);
  });
});

describe("a relayed event's Response made the gateway's, whatever its shape", () => {
  it('spliced where it can be; parsed and rewritten where not, with the same reading', () => {
    const ctx = context('resp_client_prev');
    const plain = JSON.stringify({ type: 'response.created', response: upstreamResponse });
    const spliced = eventAsGateways(plain, ctx);
    assert.equal(typeof spliced.response, 'string', 'the splice gives the text to store');
    assert.deepEqual(JSON.parse(spliced.data), rewritten(plain, ctx));
    // An escaped key the splice will not read: the parse takes over.
    const escaped = `{"type":"response.completed","response":{"\\u0069d":"resp_x","model":"m","created_at":7,"usage":{"input_tokens":1}}}`;
    const parsed = eventAsGateways(escaped, ctx, 0.25);
    const expected = asGateways(JSON.parse(escaped).response, ctx, 0.25);
    assert.deepEqual(JSON.parse(parsed.data), { type: 'response.completed', response: expected });
    assert.deepEqual(parsed.response, expected);
    assert.equal(parsed.createdAt, 7);
  });
});
