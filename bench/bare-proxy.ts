// The physical floor for a Node reverse proxy on this machine: node:http in, `http.request` out over a
// keep-alive agent, bodies piped both ways, nothing parsed. Run in its own child process; UPSTREAM_PORT names
// the fake upstream. Whatever the gateway costs beyond this is the price of its own work.

import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

const upstreamPort = Number(process.env.UPSTREAM_PORT);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write('bare-proxy: UPSTREAM_PORT must be set\n');
  process.exit(2);
}

const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: 1024 });

const server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req, res) => {
  const upstream = request(
    {
      host: '127.0.0.1',
      port: upstreamPort,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  // The client went away: stop the upstream call too, as a real proxy must.
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
});
server.maxRequestsPerSocket = 0;

process.on('disconnect', () => process.exit(0));

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  if (process.send) process.send({ type: 'ready', port });
  else process.stdout.write(`bare proxy on http://127.0.0.1:${port} → 127.0.0.1:${upstreamPort}\n`);
});
