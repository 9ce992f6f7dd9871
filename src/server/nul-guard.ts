// U+0000 in a stored or queried string: PostgreSQL's text cannot hold it (the query fails), and no name,
// note, id or filter needs it. Refused up front with the parameter named, for the admin and self-service
// routes (the chat body is not stored; its model id has a grammar of its own).
import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../core/errors.js';

/** The path of the first string holding U+0000 (`name`, `models[1]`), or undefined. */
function nulPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'body' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000')) return path || 'body';
      const found = nulPath(child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

/** A preHandler hook: refuses a request with U+0000 in its query or body (400, the parameter named). */
export function refuseNul(request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void {
  const param = nulPath(request.query) ?? nulPath(request.body);
  if (param === undefined) done();
  else done(invalidRequest(`Invalid '${param}': it contains the character U+0000.`, param, 'invalid_value'));
}
