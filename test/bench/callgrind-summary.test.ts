// The instruction summary of `npm run bench -- --instructions`: a callgrind dump read into self and inclusive
// costs per function, V8's machine code named through node's perf map, and the totals callgrind_control's
// dumps carry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  areaOf,
  parseCallgrind,
  perfMap,
  readableName,
  summariseCallgrind,
} from '../../bench/callgrind-summary.js';
import { dumpTotal } from '../../bench/instructions.js';

// Shaped as callgrind 3.19 writes it: names compressed to ids on first use, positions relative, a call's
// inclusive cost on the line after its `calls=`, and a recursive call.
const DUMP = `version: 1
creator: callgrind-3.19.0
pid: 4242
cmd:  node dist/cli/index.js serve
part: 3

positions: line
events: Ir
summary: 1650
totals: 1650

ob=(1) /usr/bin/node
fl=(1) ???
fn=(1) 0x0000000000001010
0 100
+2 50
cfn=(2) 0x0000000000002000
calls=2 0
0 700
cfn=(1)
calls=1 0
* 400
fn=(2)
0 600
cfn=(3) v8::internal::Heap::Scavenge()
calls=1 0
0 100
fn=(3)
0 100
fn=(4) uv__io_poll
0 100
cob=(2) /usr/lib/x86_64-linux-gnu/libc.so.6
cfn=(5) epoll_wait
calls=1 0
0 30
ob=(3) /srv/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node
fn=(6) sqlite3VdbeExec
0 70
ob=(2)
fn=(5)
0 30
`;

test('self costs add up to the dump; a call adds to its caller inclusive only, and a recursive one not at all', () => {
  const costs = new Map(parseCallgrind(DUMP).map((c) => [c.name, c]));
  const node = '/usr/bin/node';
  const cost = (name: string, object: string, self: number, inclusive: number) => ({
    name,
    object,
    self,
    inclusive,
  });
  assert.deepEqual(costs.get('0x0000000000001010'), cost('0x0000000000001010', node, 150, 850));
  assert.deepEqual(costs.get('0x0000000000002000'), cost('0x0000000000002000', node, 600, 700));
  assert.deepEqual(
    costs.get('v8::internal::Heap::Scavenge()'),
    cost('v8::internal::Heap::Scavenge()', node, 100, 100),
  );
  // Named first as a callee in another object (cob=), then given its own costs there.
  assert.deepEqual(
    costs.get('epoll_wait'),
    cost('epoll_wait', '/usr/lib/x86_64-linux-gnu/libc.so.6', 30, 30),
  );
  assert.equal(costs.get('uv__io_poll')?.inclusive, 130);
  assert.equal(
    costs.get('sqlite3VdbeExec')?.object,
    '/srv/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  );
  const selfTotal = [...costs.values()].reduce((sum, c) => sum + c.self, 0);
  assert.equal(selfTotal, 1050);
  assert.equal(dumpTotal(DUMP), 1650);
});

test('the perf map names an address by the newest code that covers it', () => {
  const lookup = perfMap(
    [
      '1000 100 JS:~handle /srv/app/dist/server/chat.js:12:3',
      '1000 20 JS:*handle /srv/app/dist/server/chat.js:12:3',
      '2000 40 JS:*parse node:internal/url:88:10',
      'not a line',
    ].join('\n'),
  );
  assert.equal(lookup(0x1010), 'JS:*handle /srv/app/dist/server/chat.js:12:3');
  assert.equal(lookup(0x1050), 'JS:~handle /srv/app/dist/server/chat.js:12:3');
  assert.equal(lookup(0x2039), 'JS:*parse node:internal/url:88:10');
  assert.equal(lookup(0x2040), undefined);
  assert.equal(lookup(0x0fff), undefined);
});

test('names are made readable and put in their area', () => {
  assert.equal(readableName('JS:*handle /srv/app/dist/server/chat.js:12:3'), 'handle (server/chat.js:12)');
  assert.equal(
    readableName('JS:^request file:///srv/app/node_modules/undici/lib/pool.js:40:1'),
    'request (node_modules/undici/lib/pool.js:40)',
  );
  assert.equal(
    readableName('JS:~ node:internal/main/run_main_module:1:1'),
    '(anonymous) (node:internal/main/run_main_module:1)',
  );
  assert.equal(areaOf('handle (server/chat.js:12)'), 'server/chat.js');
  assert.equal(areaOf('request (node_modules/undici/lib/pool.js:40)'), 'node_modules/undici/lib');
  assert.equal(
    areaOf('(anonymous) (node:internal/main/run_main_module:1)'),
    'node:internal/main/run_main_module',
  );
  assert.equal(areaOf('v8::internal::Heap::Scavenge()'), '(V8 GC)');
  assert.equal(areaOf('node::Start(int, char**)'), '(node C++)');
  assert.equal(areaOf('Builtins_LoadIC'), '(V8 builtins)');
  assert.equal(areaOf('RegExp:[\\u0000-\\u001f]'), '(compiled regular expressions)');
  assert.equal(areaOf('uv__io_poll'), '(libuv)');
  const addon = '/srv/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  assert.equal(areaOf('sqlite3VdbeExec', addon), '(SQLite, in better-sqlite3)');
  assert.equal(areaOf('balance_nonroot', addon), '(SQLite, in better-sqlite3)');
  assert.equal(areaOf('__memcpy_avx_unaligned_erms', '/usr/lib/x86_64-linux-gnu/libc.so.6'), '(libc)');
});

test('the summary gives each function per request, the gateway functions inclusive, and the areas', () => {
  const map =
    '1000 100 JS:*answer /srv/app/dist/pipeline/answer.js:9:1\n2000 100 JS:*parse node:internal/url:88:10\n';
  const summary = summariseCallgrind(DUMP, map, 10);
  assert.match(summary, /^Instructions per request: 105 \(10 requests\)/);
  assert.match(summary, /\| 60 \| 57\.1 % \| parse \(node:internal\/url:88\) \|/);
  assert.match(summary, /\| 85 \| 81\.0 % \| answer \(pipeline\/answer\.js:9\) \|/);
  assert.match(summary, /\| 7 \| 6\.7 % \| \(SQLite, in better-sqlite3\) \|/);
  assert.match(summary, /\| 3 \| 2\.9 % \| \(libc\) \|/);
  assert.doesNotMatch(summary, /gateway function \|\n\|---:\|---:\|---\|\n\| \d+ \| [\d.]+ % \| parse/);
  assert.match(summary, /\| 10 \| 9\.5 % \| \(V8 GC\) \|/);
});
