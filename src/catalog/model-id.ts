// The model id grammar: `provider/name`, where the name may have `/`-separated segments of its own
// (`together/meta-llama/Llama-3-8b`, `bedrock/arn:aws:...:inference-profile/us.anthropic...`). Model ids
// come from clients and end up in upstream URLs, the ledger and logs, so they are held to a safe
// character set and length, and no segment may be `.` or `..` (which would climb out of an upstream's
// path, e.g. Gemini's `/v1beta/models/`).

export const MAX_MODEL_ID_LENGTH = 256;

/** Letters, digits and the punctuation real model ids use (`:` versions, `@` Vertex and Cloudflare). */
const SAFE = /^[A-Za-z0-9._:@+~=-]+$/;

/** Safe segments separated by single slashes, none of them `.` or `..`: the whole grammar in one test. */
const MODEL_ID = /^(?!\.\.?(?:\/|$))(?!.*\/\.\.?(?:\/|$))[A-Za-z0-9._:@+~=-]+(?:\/[A-Za-z0-9._:@+~=-]+)*$/;

/** Why a model id is not acceptable, or undefined when it is. */
export function modelIdProblem(id: string): string | undefined {
  // The common case in one regular expression test; the reason is worked out only for a refusal.
  if (id.length <= MAX_MODEL_ID_LENGTH && MODEL_ID.test(id)) return undefined;
  if (id.length > MAX_MODEL_ID_LENGTH) return `it is longer than ${MAX_MODEL_ID_LENGTH} characters`;
  for (const segment of id.split('/')) {
    if (segment === '') return 'it has an empty path segment';
    if (segment === '.' || segment === '..') return "it has a '.' or '..' path segment";
    if (!SAFE.test(segment))
      return 'it may contain only letters, digits, and the characters . _ - : @ + ~ = separated by /';
  }
  return 'it is not a model id';
}
