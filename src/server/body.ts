// Admin request bodies are parsed with zod and refused in OpenAI's error shape.
import type { z } from 'zod';
import { invalidRequest } from '../core/errors.js';

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.join('.') || null;
  throw invalidRequest(`Invalid ${param ? `'${param}'` : 'body'}: ${issue.message}`, param, 'invalid_value');
}
