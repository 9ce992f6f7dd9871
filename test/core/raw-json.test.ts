// The raw-text shortcut must be invisible: whatever JSON a client sends, the value found is the one
// JSON.parse kept, and the spliced serialisation parses to what JSON.stringify would have produced.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AsciiBytes,
  rawTopLevelSpan,
  rawTopLevelValue,
  rememberRawJson,
  stringifyJson,
} from '../../src/core/raw-json.js';

const TRICKY = [
  'plain',
  'quote " and \\ backslash',
  'ends with backslash \\',
  '\\"\\\\"',
  'control \u0001 \n \t \r',
  'ünïcödé 日本語 👩‍👩‍👧‍👦',
  '\ud800 lone surrogate',
  '{"looks":["like",{"json":1}]}',
  '',
];

function bodies(): string[] {
  const out: string[] = [];
  for (const text of TRICKY) {
    const messages = [
      { role: 'user', content: text },
      { role: 'assistant', content: null, tool_calls: [{ function: { name: text, arguments: text } }] },
      { role: 'user', content: [{ type: 'text', text }], extra: [1, -2.5e-3, true, false, null, {}] },
    ];
    const body = { model: 'm', temperature: 0.5, messages, stop: [text], n: 1 };
    out.push(JSON.stringify(body));
    out.push(JSON.stringify(body, null, 2));
    out.push(JSON.stringify(body, null, '\t').replace(/\n/g, '\r\n'));
    // key order and repeats: JSON.parse keeps the last
    out.push(
      `{"messages":[{"role":"user","content":"first"}],"model":"m",${JSON.stringify({ messages }).slice(1)}`,
    );
    out.push(`{ "messages" : ${JSON.stringify(messages)} , "messages":[] }`);
  }
  return out;
}

describe('rawTopLevelValue', () => {
  test('finds the text of the value JSON.parse kept', () => {
    for (const body of bodies()) {
      const found = rawTopLevelValue(body, 'messages');
      assert.ok(found !== undefined, body);
      assert.deepEqual(JSON.parse(found), JSON.parse(body).messages, body);
    }
  });

  test('is undefined when the key is absent or any top-level key is spelled with escapes', () => {
    assert.equal(rawTopLevelValue('{"model":"m"}', 'messages'), undefined);
    assert.equal(
      rawTopLevelValue('{"content":{"messages":[1]}}', 'messages'),
      undefined,
      'nested, not top level',
    );
    assert.equal(rawTopLevelValue('{"messages":[1],"m\\u0065ssages":[2]}', 'messages'), undefined);
    assert.equal(rawTopLevelValue('[{"messages":[1]}]', 'messages'), undefined);
  });
});

describe('AsciiBytes: an ASCII text scanned as its bytes', () => {
  test('every span found in a text is found the same in its bytes', () => {
    // Non-ASCII characters written as JSON escapes: the same JSON, all ASCII.
    const ascii = (text: string) =>
      text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const texts = [
      ...bodies().map(ascii),
      '{"model":"m"}',
      '{"content":{"messages":[1]}}',
      '{"messages":[1],"m\\u0065ssages":[2]}',
      '[{"messages":[1]}]',
      '{"messages":"unterminated',
      '{"messages":[1,2',
    ];
    for (const text of texts) {
      const bytes = new AsciiBytes(Buffer.from(text, 'latin1'));
      assert.deepEqual(rawTopLevelSpan(bytes, 'messages'), rawTopLevelSpan(text, 'messages'), text);
    }
  });

  test('reads as a string does, NaN outside the text', () => {
    const bytes = new AsciiBytes(Buffer.from('{"a":1}'));
    assert.equal(bytes.length, 7);
    assert.equal(bytes.charCodeAt(1), '"'.charCodeAt(0));
    assert.ok(Number.isNaN(bytes.charCodeAt(7)));
    assert.ok(Number.isNaN(bytes.charCodeAt(-1)));
    assert.equal(bytes.indexOf('"a"', 0), 1);
    assert.equal(bytes.indexOf('"a"', 2), -1);
    assert.equal(bytes.slice(1, 4), '"a"');
    assert.equal(bytes.slice(5), '1}');
  });
});

describe('stringifyJson', () => {
  test('splices remembered values and parses to what JSON.stringify gives', () => {
    for (const body of bodies()) {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      rememberRawJson(parsed.messages as object, rawTopLevelValue(body, 'messages')!);
      const upstream = { ...parsed, model: 'upstream-model', stream_options: { include_usage: true } };
      assert.deepEqual(JSON.parse(stringifyJson(upstream)), JSON.parse(JSON.stringify(upstream)));
    }
  });

  test('a replaced value is serialised afresh', () => {
    const messages = [{ role: 'user', content: 'now' }];
    rememberRawJson(messages, '[{"role":"user","content":"then"}]');
    assert.match(stringifyJson({ messages }), /then/);
    assert.match(stringifyJson({ messages: [...messages] }), /now/);
  });
});

test('arrays of numbers (embedding vectors) are skipped whole, nested and mixed arrays walked', () => {
  const text = JSON.stringify({
    a: [1, 2, [3, 4], { x: [5] }],
    b: [
      { index: 0, embedding: [0.5, -1e-7, 3] },
      { index: 1, embedding: [2, 1] },
    ],
    c: [1, '2]', 3],
    d: [-1, 2],
    e: 'end',
  });
  const parsed = JSON.parse(text) as Record<string, unknown>;
  for (const key of ['a', 'b', 'c', 'd', 'e']) {
    assert.deepEqual(JSON.parse(rawTopLevelValue(text, key)!), parsed[key], key);
  }
  const spaced = '{"v" : [ 1 , 2 ] , "w": [ 3, "x" ], "z": 1}';
  assert.equal(rawTopLevelValue(spaced, 'v'), '[ 1 , 2 ]');
  assert.equal(rawTopLevelValue(spaced, 'w'), '[ 3, "x" ]');
});
