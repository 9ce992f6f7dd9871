// Preloaded (`node --import`) into Portkey's gateway by `--peer=portkey`. Portkey 1.15.2 appends its
// x-portkey-* headers to the upstream's fetch Response, whose headers are immutable; with @hono/node-server
// above 1.14.2 (this checkout has 1.19.x) its lightweight Response shares that Headers object, so every
// streamed answer fails with "TypeError: immutable" and a 500 (Portkey-AI/gateway issues #1389 and #1550,
// fixes proposed in PRs #1390 and #1551). This hands Portkey a copy with mutable headers for event streams
// only, which is what those fixes do; JSON answers are left as they are. One Response object per stream.
const upstreamFetch = globalThis.fetch;
const NativeResponse = globalThis.Response;
globalThis.fetch = async (input, init) => {
  const res = await upstreamFetch(input, init);
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return res;
  return new NativeResponse(res.body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
};
