// The floor for a JSON-reading proxy built as the gateway is (`--floor`): Fastify in, undici out, the
// request's JSON parsed and serialised again, a whole answer parsed and serialised again, a stream's bytes
// relayed as they come; nothing else (no key, no limits, no routing, no ledger, no metrics). The gap between
// the bare proxy and this is what the stack costs for reading JSON at all; the gap between this and the
// gateway is what the gateway's own work costs. Run in its own child process; UPSTREAM_PORT names the fake.
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstreamPort = Number(process.env.UPSTREAM_PORT);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write('floor-proxy: UPSTREAM_PORT must be set\n');
  process.exit(2);
}

// As the gateway's own upstream pool: keep-alive connections, no pipelining.
const upstream = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, keepAliveTimeout: 60_000 });

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024, keepAliveTimeout: 120_000 });
app.server.maxRequestsPerSocket = 0;

// The request headers a JSON proxy sends on: its own content type, the client's version headers.
const FORWARDED = ['anthropic-version', 'anthropic-beta', 'openai-beta'];

app.post('/*', async (request, reply) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const name of FORWARDED) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const res = await upstream.request({
    method: 'POST',
    path: request.url,
    headers,
    body: JSON.stringify(request.body),
  });
  reply.code(res.statusCode);
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream')) {
    reply.header('content-type', type);
    // The client went away: stop the upstream's body too, as a real proxy must.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) res.body.destroy();
    });
    return reply.send(res.body);
  }
  return reply.send(await res.body.json());
});

process.on('disconnect', () => process.exit(0));

app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) }).then(() => {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ type: 'ready', port });
  else process.stdout.write(`floor proxy on http://127.0.0.1:${port} → 127.0.0.1:${upstreamPort}\n`);
});
