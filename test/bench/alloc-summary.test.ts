// The allocation summary (`npm run bench -- --profile --alloc-profile`): bytes per request by allocation
// site (self) and under each gateway function (inclusive, a recursive function counted once per sample).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type HeapProfile, summariseAllocations } from '../../bench/alloc-summary.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

test('self and inclusive bytes per request; recursion counted once; only gateway frames in the second list', () => {
  const gateway = '/work/app/dist/pipeline/answer.js';
  const profile: HeapProfile = {
    head: {
      callFrame: frame('(root)'),
      selfSize: 0,
      children: [
        {
          callFrame: frame('answer', gateway, 9),
          selfSize: 1000,
          children: [
            {
              callFrame: frame('answer', gateway, 9),
              selfSize: 3000,
              children: [
                { callFrame: frame('stringify', 'node:internal/json', 4), selfSize: 6000, children: [] },
              ],
            },
          ],
        },
        { callFrame: frame('parserOnIncoming', 'node:_http_server', 1025), selfSize: 2000, children: [] },
      ],
    },
  };
  const text = summariseAllocations(profile, 10);
  assert.match(text, /^Allocated: 0\.0 MB sampled over 10 requests, 1200 B per request/);
  const [selfPart, inclusivePart] = text.split('Top 25 gateway functions');
  // Self: the recursive function's two frames add up; sites sorted by size.
  assert.deepEqual(
    selfPart!
      .split('\n')
      .filter((line) => line.includes('B/req'))
      .map((line) => line.trim()),
    [
      '600 B/req  stringify  node:internal/json:5',
      '400 B/req  answer  dist/pipeline/answer.js:10',
      '200 B/req  parserOnIncoming  node:_http_server:1026',
    ],
  );
  // Inclusive: `answer` once (1000 + 3000 + 6000), and nothing outside dist/.
  assert.deepEqual(
    inclusivePart!
      .split('\n')
      .filter((line) => line.includes('B/req'))
      .map((line) => line.trim()),
    ['1000 B/req  answer  dist/pipeline/answer.js:10'],
  );
});
