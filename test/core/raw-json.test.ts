// The raw-text shortcut must be invisible: whatever JSON a client sends, the value found is the one
// JSON.parse kept, and the spliced serialisation parses to what JSON.stringify would have produced.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AsciiPieces,
  jsonBody,
  rawTopLevelSpan,
  rawTopLevelSpans,
  rawTopLevelValue,
  rememberRawJson,
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

/** A text's bytes cut at the given offsets (sorted, within the text): the pieces an answer may arrive in. */
function cut(text: string, at: readonly number[]): Buffer[] {
  const bytes = Buffer.from(text, 'latin1');
  const pieces: Buffer[] = [];
  let from = 0;
  for (const offset of at) {
    pieces.push(bytes.subarray(from, offset));
    from = offset;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** Deterministic offsets for the multi-cut cases (a small LCG: the same cuts every run). */
function randomCuts(length: number, count: number, seed: number): number[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: count }, () => Math.floor(next() * (length + 1))).sort((a, b) => a - b);
}

describe('AsciiPieces: an ASCII text scanned as its bytes, in the pieces they arrived in', () => {
  test('every span found in a text is found the same in its bytes, whole or cut anywhere', () => {
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
    for (const [n, text] of texts.entries()) {
      const expected = rawTopLevelSpan(text, 'messages');
      assert.deepEqual(
        rawTopLevelSpan(new AsciiPieces(Buffer.from(text, 'latin1')), 'messages'),
        expected,
        text,
      );
      for (let at = 0; at <= text.length; at += 1) {
        assert.deepEqual(
          rawTopLevelSpan(new AsciiPieces(cut(text, [at])), 'messages'),
          expected,
          `${text} cut at ${at}`,
        );
      }
      for (let round = 0; round < 20; round += 1) {
        const at = randomCuts(text.length, 1 + (round % 6), n * 100 + round);
        assert.deepEqual(
          rawTopLevelSpan(new AsciiPieces(cut(text, at)), 'messages'),
          expected,
          `${text} cut at ${at}`,
        );
      }
    }
  });

  test('reads as a string does across its pieces: characters, searches, slices; NaN outside the text', () => {
    const text = '{"index":0,"a":"b\\"c","data":[{"index":1}]}';
    const searches = ['"', '"index"', 'a', '}', '"data":[', 'zz', ''];
    const cutsOf = [[], [1], [5], [text.length - 1]];
    for (let a = 0; a <= text.length; a += 1) for (let b = a; b <= text.length; b += 3) cutsOf.push([a, b]);
    for (const at of cutsOf) {
      const pieces = new AsciiPieces(cut(text, at));
      const where = `cut at ${at}`;
      assert.equal(pieces.length, text.length, where);
      for (let i = -1; i <= text.length; i += 1) {
        assert.ok(Object.is(pieces.charCodeAt(i), text.charCodeAt(i)), `${where}: charCodeAt(${i})`);
      }
      for (const search of searches) {
        for (let from = -1; from <= text.length + 1; from += 1) {
          assert.equal(
            pieces.indexOf(search, from),
            text.indexOf(search, from),
            `${where}: indexOf(${search}, ${from})`,
          );
        }
      }
      for (const [start, end] of [
        [0, text.length],
        [3, 9],
        [9, 3],
        [2, 2],
        [0, 6],
        [20, 99],
        [7, undefined],
      ] as const) {
        assert.equal(pieces.slice(start, end), text.slice(start, end), `${where}: slice(${start}, ${end})`);
        assert.equal(
          Buffer.concat(pieces.bytes(start, end)).toString('latin1'),
          text.slice(start, end),
          where,
        );
      }
    }
  });

  test('bytes are views into the pieces: nothing is copied', () => {
    const pieces = cut('{"data":[1,2,3]}', [4, 10]);
    const parts = new AsciiPieces(pieces).bytes(8, 15);
    assert.equal(parts.length, 2);
    assert.equal(parts[0]!.buffer, pieces[1]!.buffer);
    assert.equal(parts[1]!.buffer, pieces[2]!.buffer);
    assert.equal(Buffer.concat(parts).toString(), '[1,2,3]');
  });

  test('an empty text, and empty pieces, read as the empty string', () => {
    for (const pieces of [new AsciiPieces([]), new AsciiPieces([Buffer.alloc(0), Buffer.alloc(0)])]) {
      assert.equal(pieces.length, 0);
      assert.ok(Number.isNaN(pieces.charCodeAt(0)));
      assert.equal(pieces.indexOf('"'), -1);
      assert.equal(pieces.indexOf(''), 0);
      assert.equal(pieces.slice(0), '');
      assert.deepEqual(pieces.bytes(0), []);
    }
  });
});

test('rawTopLevelSpans finds in one walk what rawTopLevelSpan finds key by key', () => {
  const texts = [
    ...bodies(),
    '{"system":"s","tools":[1],"messages":[2],"tools":[3]}',
    '{"messages":[1],"m\\u0065ssages":[2]}',
    '[{"messages":[1]}]',
    '{"model":"m"}',
  ];
  const keys = ['system', 'tools', 'messages', 'model'];
  for (const text of texts) {
    const spans = rawTopLevelSpans(text, keys);
    for (const key of keys)
      assert.deepEqual(spans?.get(key), rawTopLevelSpan(text, key), `${key} in ${text}`);
  }
  assert.deepEqual(rawTopLevelSpans('{"tools":[1],"tools":[22]}', ['tools'])?.get('tools'), [21, 25]);
  assert.equal(rawTopLevelSpans('{"m\\u0065ssages":[2]}', ['messages']), undefined);
});

describe('jsonBody', () => {
  test('splices remembered values, as UTF-8 bytes that parse to what JSON.stringify gives', () => {
    for (const body of bodies()) {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      rememberRawJson(parsed.messages as object, rawTopLevelValue(body, 'messages')!);
      const upstream = { ...parsed, model: 'upstream-model', stream_options: { include_usage: true } };
      const out = jsonBody(upstream);
      assert.ok(Buffer.isBuffer(out), 'a body with raw text spliced in comes as bytes');
      assert.deepEqual(JSON.parse(out.toString('utf8')), JSON.parse(JSON.stringify(upstream)));
    }
  });

  test('several remembered values, each in its place; none: the text of JSON.stringify', () => {
    const tools = [{ name: 'ünïcödé 日本語' }];
    const messages = [{ role: 'user', content: '👩‍👩‍👧‍👦 "quoted" \\ back' }];
    rememberRawJson(tools, JSON.stringify(tools));
    rememberRawJson(messages, JSON.stringify(messages));
    const value = { model: 'm', tools, temperature: 0.5, messages, stream: true };
    assert.equal(String(jsonBody(value)), JSON.stringify(value));
    const plain = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    assert.equal(jsonBody(plain), JSON.stringify(plain));
  });

  test('a replaced value is serialised afresh', () => {
    const messages = [{ role: 'user', content: 'now' }];
    rememberRawJson(messages, '[{"role":"user","content":"then"}]');
    assert.match(String(jsonBody({ messages })), /then/);
    assert.match(String(jsonBody({ messages: [...messages] })), /now/);
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
