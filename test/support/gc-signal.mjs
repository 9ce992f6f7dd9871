// Test-only preload for a gateway child started with `--expose-gc` (see `collectGarbage` in rss.ts): on
// SIGWINCH it runs a full garbage collection and says so on stderr, so a memory test can measure from a
// base that holds no earlier request's garbage.
let collections = 0;
if (typeof globalThis.gc === 'function') {
  process.on('SIGWINCH', () => {
    globalThis.gc();
    collections += 1;
    process.stderr.write(`tokgate-test: gc ${collections}\n`);
  });
}
