// /console: the web console, a static single-page app that Vite builds into console/dist (npm ci runs the
// build). Hashed assets are cached forever; index.html is revalidated, and answers every client route.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gatewayError, notFound } from '../core/errors.js';

/** console/dist of this checkout: the same two levels up from src/server/ and from dist/server/. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

// The console talks only to this origin; nothing is loaded from elsewhere. The playground shows the images
// it makes from data: URLs and plays the speech it gets from blob: URLs.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; media-src 'self' blob:; " +
    "style-src 'self' 'unsafe-inline'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const notBuilt = () => gatewayError('console_not_built');

interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
}

async function findFile(path: string): Promise<FoundFile | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? { path, size: info.size, mtimeMs: info.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/** `rel` resolved inside `dir`, or undefined if it would escape it. */
function inside(dir: string, rel: string): string | undefined {
  if (rel.includes('\0')) return undefined;
  const full = resolve(dir, rel);
  return full.startsWith(dir + sep) ? full : undefined;
}

function sendFile(reply: FastifyReply, file: FoundFile, cacheControl: string): FastifyReply {
  return reply
    .headers({
      'content-type': CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream',
      'content-length': String(file.size),
      'cache-control': cacheControl,
      'x-content-type-options': 'nosniff',
    })
    .send(createReadStream(file.path));
}

export function registerConsoleRoutes(app: FastifyInstance, distDir: string): void {
  const root = resolve(distDir);
  const assets = join(root, 'assets');

  const sendIndex = async (request: FastifyRequest, reply: FastifyReply) => {
    const index = await findFile(join(root, 'index.html'));
    if (!index) throw notBuilt();
    const etag = `W/"${index.size.toString(16)}-${Math.trunc(index.mtimeMs).toString(16)}"`;
    reply.headers({ ...SECURITY_HEADERS, etag });
    if (request.headers['if-none-match'] === etag) {
      return reply.code(304).header('cache-control', 'no-cache').send();
    }
    return sendFile(reply, index, 'no-cache');
  };

  app.get('/console', sendIndex);
  // The gateway's root is the console's address for a person with a browser.
  app.get('/', (_request, reply) => reply.redirect('/console', 302));

  app.get<{ Params: { '*': string } }>('/console/*', async (request, reply) => {
    const rel = request.params['*'];
    if (rel.startsWith('assets/')) {
      // A missing asset is a 404, never index.html: a stale page must not parse HTML as a script.
      const path = inside(assets, rel.slice('assets/'.length));
      const file = path ? await findFile(path) : undefined;
      if (!file) throw notFound(`No console asset '${rel}'.`);
      return sendFile(reply, file, IMMUTABLE);
    }
    // Unhashed files at the top of dist (the icon) are revalidated; anything else is a client route.
    const path = rel.includes('/') || rel === '' ? undefined : inside(root, rel);
    const file = path && path !== join(root, 'index.html') ? await findFile(path) : undefined;
    if (file) return sendFile(reply, file, 'no-cache');
    return sendIndex(request, reply);
  });
}
