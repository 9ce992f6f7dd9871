// The one check for "a JSON object" (not null, not an array), for client request fields that the
// providers translate. What upstreams answer is read with each provider's wire schemas instead.
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
