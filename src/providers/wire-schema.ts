// What every provider's wire schemas (`*-api.ts`) share: reading an answer (or failing with a 502), and the
// fallback that keeps a tagged union open to types newer than the gateway.
import { z } from 'zod';
import { invalidUpstreamResponse } from './upstream-error.js';

/**
 * Reads an upstream answer with its wire schema. The schemas are lenient (unknown fields and types pass), so
 * a failure means a shape the gateway cannot read: a 502, like a body that is not JSON.
 */
export function parseUpstream<S extends z.ZodType>(
  provider: string,
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidUpstreamResponse(provider, what);
  return result.data;
}

/**
 * A `type`-tagged union of what the gateway reads, plus every other type read as `{type: other, raw}`
 * (block, delta and event types newer than this code). A known type that is malformed still fails: it is
 * not another type. Known types take the discriminated union's fast path; only others pay for the fallback.
 */
export function withOther<T extends z.ZodDiscriminatedUnion<z.ZodObject[]>, O extends string>(
  known: T,
  other: O,
) {
  const types = new Set(known._zod.propValues.type);
  return z.union([
    known,
    z
      .object({ type: z.string().refine((type) => !types.has(type)) })
      .transform((value) => ({ type: other, raw: value.type })),
  ]);
}
