// The chat schema and the shared OpenAI wording, without a server: exact messages, what passes untouched,
// and how a door's own schema is worded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { GatewayError } from '../../src/core/errors.js';
import { validateChatRequest } from '../../src/server/validate-chat.js';
import { validateOpenAI } from '../../src/server/validation.js';

const user = [{ role: 'user', content: 'hi' }];
const base = { model: 'openai/gpt-4o', messages: user };

function refusal(run: () => unknown): { param: string | null; code: string | null; message: string } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    return { param: error.param, code: error.code, message: error.message };
  }
  assert.fail('accepted');
}

describe('chat request: OpenAI wording', () => {
  const cases: Array<[unknown, string | null, string, string]> = [
    [[1, 2], null, 'invalid_type', 'The request body must be a JSON object, but got an array.'],
    [{ messages: user }, 'model', 'missing_required_parameter', "Missing required parameter: 'model'."],
    [
      { ...base, model: 5 },
      'model',
      'invalid_type',
      "Invalid type for 'model': expected a string, but got an integer instead.",
    ],
    [
      { ...base, messages: [] },
      'messages',
      'empty_array',
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    ],
    [
      { ...base, messages: ['hi'] },
      'messages[0]',
      'invalid_type',
      "Invalid type for 'messages[0]': expected an object, but got a string instead.",
    ],
    [
      { ...base, messages: [{ role: 'robot', content: 'x' }] },
      'messages[0].role',
      'invalid_value',
      "Invalid value: 'robot'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.",
    ],
    [
      { ...base, messages: [{ content: 'x' }] },
      'messages[0].role',
      'missing_required_parameter',
      "Missing required parameter: 'messages[0].role'.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: null }] },
      'messages[0].content',
      'missing_required_parameter',
      "Missing required parameter: 'messages[0].content'.",
    ],
    [
      { ...base, messages: [{ role: 'assistant' }] },
      'messages[0].content',
      'missing_required_parameter',
      "Missing required parameter: 'messages[0].content'.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: 3 }] },
      'messages[0].content',
      'invalid_type',
      "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an integer instead.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: [] }] },
      'messages[0].content',
      'empty_array',
      "Invalid 'messages[0].content': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, 'b'] }] },
      'messages[0].content[1]',
      'invalid_type',
      "Invalid type for 'messages[0].content[1]': expected an object, but got a string instead.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      'messages[0].content[0].text',
      'missing_required_parameter',
      "Missing required parameter: 'messages[0].content[0].text'.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] },
      'messages[0].content[0].text',
      'invalid_type',
      "Invalid type for 'messages[0].content[0].text': expected a string, but got an integer instead.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: [{ type: 5 }] }] },
      'messages[0].content[0].type',
      'missing_required_parameter',
      "Missing required parameter: 'messages[0].content[0].type'.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'u' }] }] },
      'messages[0].content[0].image_url',
      'missing_required_parameter',
      "Missing required parameter: 'messages[0].content[0].image_url'.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 1 } }] }] },
      'messages[0].content[0].image_url.url',
      'missing_required_parameter',
      "Missing required parameter: 'messages[0].content[0].image_url.url'.",
    ],
    [
      { ...base, messages: [{ role: 'tool', content: 'x', tool_call_id: 7 }] },
      'messages[0].tool_call_id',
      'missing_required_parameter',
      "Missing required parameter: 'messages[0].tool_call_id'.",
    ],
    [
      { ...base, messages: [{ role: 'user', content: 'x', tool_calls: {} }] },
      'messages[0].tool_calls',
      'invalid_type',
      "Invalid type for 'messages[0].tool_calls': expected an array, but got an object instead.",
    ],
    [
      { ...base, stream: 'yes' },
      'stream',
      'invalid_type',
      "Invalid type for 'stream': expected a boolean, but got a string instead.",
    ],
    [
      { ...base, stream: false, stream_options: { include_usage: true } },
      'stream_options',
      'invalid_value',
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    ],
    [
      { ...base, stream: true, stream_options: { include_usage: null } },
      'stream_options.include_usage',
      'invalid_type',
      "Invalid type for 'stream_options.include_usage': expected a boolean, but got null instead.",
    ],
    [
      { ...base, temperature: 2.5 },
      'temperature',
      'decimal_above_max_value',
      "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5 instead.",
    ],
    [
      { ...base, presence_penalty: 3 },
      'presence_penalty',
      'decimal_above_max_value',
      "Invalid 'presence_penalty': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
    ],
    [
      { ...base, top_p: 'hot' },
      'top_p',
      'invalid_type',
      "Invalid type for 'top_p': expected a number, but got a string instead.",
    ],
    [
      { ...base, n: 0 },
      'n',
      'integer_below_min_value',
      "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    ],
    [
      { ...base, n: 1e21 },
      'n',
      'integer_above_max_value',
      "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 1e+21 instead.",
    ],
    [
      { ...base, n: 'two' },
      'n',
      'invalid_type',
      "Invalid type for 'n': expected an integer, but got a string instead.",
    ],
    [
      { ...base, max_completion_tokens: 2.5 },
      'max_completion_tokens',
      'invalid_type',
      "Invalid type for 'max_completion_tokens': expected an integer, but got a decimal instead.",
    ],
    [
      { ...base, max_tokens: 1e21 },
      'max_tokens',
      'integer_above_max_value',
      "Invalid 'max_tokens': integer above maximum value. Expected a value <= 9007199254740991, but got 1e+21 instead.",
    ],
    [
      { ...base, stop: ['a', 'b', 'c', 'd', 'e'] },
      'stop',
      'array_above_max_length',
      "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 instead.",
    ],
    [
      { ...base, stop: 5 },
      'stop',
      'invalid_type',
      "Invalid type for 'stop': expected one of a string or array of strings, but got an integer instead.",
    ],
    [
      { ...base, stop: ['a', 1] },
      'stop[1]',
      'invalid_type',
      "Invalid type for 'stop[1]': expected a string, but got an integer instead.",
    ],
  ];
  for (const [body, param, code, message] of cases) {
    test(`${param ?? 'body'} → ${code}`, () => {
      assert.deepEqual(
        refusal(() => validateChatRequest(body)),
        { param, code, message },
      );
    });
  }

  test('the first fault in request order is the one reported', () => {
    const body = { ...base, messages: [{ role: 'user' }, { role: 'robot' }], temperature: 9 };
    assert.equal(refusal(() => validateChatRequest(body)).param, 'messages[0].content');
  });

  test('a wrong type is reported before a rule between parameters', () => {
    // stream_options without stream, and of the wrong type: the type is the fault named.
    assert.equal(refusal(() => validateChatRequest({ ...base, stream_options: 0 })).code, 'invalid_type');
    assert.equal(
      refusal(() => validateChatRequest({ ...base, stream_options: {}, temperature: 9 })).param,
      'temperature',
    );
  });
});

describe('chat request: what passes, untouched', () => {
  const accepted: Array<[string, Record<string, unknown>]> = [
    ['nulls for the optional parameters', { ...base, stream: null, temperature: null, n: null, stop: null }],
    ['the boundaries', { ...base, temperature: 2, top_p: 0, n: 128, stop: ['a', 'b', 'c', 'd'] }],
    ['max_tokens at the largest safe integer', { ...base, max_tokens: Number.MAX_SAFE_INTEGER }],
    ['stream_options with stream', { ...base, stream: true, stream_options: { include_usage: true } }],
    [
      'assistant turns without content',
      {
        ...base,
        messages: [
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'r' },
          { role: 'assistant', refusal: 'no' },
          { role: 'assistant', function_call: { name: 'f' } },
          { role: 'assistant', content: [] },
        ],
      },
    ],
    [
      'part types the gateway does not know',
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'input_audio', input_audio: { data: 'x', format: 'wav' } },
              { type: 'video_url', video_url: { url: 'v' } },
              { type: 'image_url', image_url: { url: 'u', detail: 'low' } },
            ],
          },
        ],
      },
    ],
    [
      'unknown fields everywhere',
      {
        vendor_flag: { deep: [1] },
        ...base,
        messages: [{ role: 'user', content: 'hi', name: 'n', cache_control: { type: 'ephemeral' } }],
      },
    ],
  ];
  for (const [name, body] of accepted) {
    test(name, () => {
      const before = JSON.stringify(body);
      const chat = validateChatRequest(body);
      assert.equal(chat, body, 'the very same object');
      assert.equal(chat.messages, body.messages, 'the same messages array (raw JSON is keyed by it)');
      assert.equal(JSON.stringify(chat), before, 'nothing added, dropped or reordered');
    });
  }
});

describe('the shared wording, for other doors', () => {
  // An embeddings-like body: what a door gets from plain zod.
  const schema = z.looseObject({
    input: z.union([z.string(), z.array(z.string()).min(2).max(3)]),
    dimensions: z.int().min(1).nullish(),
    encoding_format: z.enum(['float', 'base64']).optional(),
    extra: z.array(z.looseObject({ id: z.string() })).optional(),
  });
  const check = (body: unknown) => refusal(() => validateOpenAI(schema, body));

  test('the body itself comes back', () => {
    const body = { input: 'x', other: 1 };
    assert.equal(validateOpenAI(schema, body), body);
  });

  test('types, enums, ranges and nested params', () => {
    assert.deepEqual(check({ input: 1 }), {
      param: 'input',
      code: 'invalid_type',
      message:
        "Invalid type for 'input': expected one of a string or array of strings, but got an integer instead.",
    });
    assert.deepEqual(check({ input: ['a'] }), {
      param: 'input',
      code: 'array_below_min_length',
      message:
        "Invalid 'input': array too short. Expected an array with minimum length 2, but got an array with length 1 instead.",
    });
    assert.deepEqual(check({ input: 'a', encoding_format: 'hex' }), {
      param: 'encoding_format',
      code: 'invalid_value',
      message: "Invalid value: 'hex'. Supported values are: 'float' and 'base64'.",
    });
    assert.deepEqual(check({ input: 'a', dimensions: 0 }), {
      param: 'dimensions',
      code: 'integer_below_min_value',
      message: "Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    });
    assert.deepEqual(check({ input: 'a', extra: [{ id: 'a' }, {}] }), {
      param: 'extra[1].id',
      code: 'missing_required_parameter',
      message: "Missing required parameter: 'extra[1].id'.",
    });
  });
});

test('tool calls in the history have the shape the gateway may translate: an id, a name, string arguments', () => {
  const history = (calls: unknown) => ({
    model: 'anthropic/claude-sonnet-4-5',
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: null, tool_calls: calls },
      { role: 'tool', tool_call_id: 'a', content: 'r' },
    ],
  });
  const refusal = (calls: unknown) => {
    try {
      validateChatRequest(history(calls));
    } catch (error) {
      const { status, param, code } = error as { status: number; param: string; code: string };
      return { status, param, code };
    }
    return undefined;
  };
  assert.deepEqual(refusal([1]), { status: 400, param: 'messages[1].tool_calls[0]', code: 'invalid_type' });
  assert.deepEqual(refusal([{}]), {
    status: 400,
    param: 'messages[1].tool_calls[0].id',
    code: 'missing_required_parameter',
  });
  assert.deepEqual(refusal([{ id: 'a', type: 'function', function: { name: 'f', arguments: { x: 1 } } }]), {
    status: 400,
    param: 'messages[1].tool_calls[0].function.arguments',
    code: 'invalid_type',
  });
  assert.equal(refusal([{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }]), undefined);
  assert.equal(refusal([{ id: 'a', type: 'custom', custom: { name: 'x', input: 'y' } }]), undefined);
});
