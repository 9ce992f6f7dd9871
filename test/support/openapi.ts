// Validates values against the schemas of the official OpenAI OpenAPI spec (shared/specs/openai-openapi.yaml).
//
// The spec declares OpenAPI 3.1 (JSON Schema 2020-12), so it is compiled with Ajv2020, but it still mixes in
// OpenAPI 3.0 habits that plain JSON Schema does not understand:
// - `nullable: true` (about a hundred places, e.g. the stream chunk's `usage`, `logprobs`, `finish_reason`)
//   is rewritten to `anyOf: [<schema>, { type: 'null' }]` before compiling. Rewriting (rather than a custom
//   keyword) is needed because `nullable` often stands beside a `$ref` or an `enum`, which would reject null
//   on their own.
// - `x-*` extensions, `discriminator`, `example`, `$recursiveAnchor`/`$recursiveRef` (2019-09) are ignored
//   (`strict: false`).
// - Formats the spec invents (`unixtime`, `png`) are registered as annotations.

import { AssertionError } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import YAML from 'yaml';

/**
 * OpenAI's spec as the team shares it (`../shared/specs/`, beside the checkout), or, in a checkout that
 * stands elsewhere, the copy in test/fixtures/ (refresh it from shared/ when the spec there changes).
 */
export const SPEC_URL = [
  new URL('../../../shared/specs/openai-openapi.yaml', import.meta.url),
  new URL('../fixtures/openai-openapi.yaml', import.meta.url),
].find((url) => existsSync(url))!;
/** The id the spec's `components` are registered under; `$ref: '#/components/schemas/X'` resolves inside it. */
const SPEC_ID = 'https://tokgate.test/openai-openapi.json';

/** Keywords whose value is a map of name → subschema. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keywords whose value is a list of subschemas. */
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value is one subschema (`items` may also be a list in older drafts). */
const SCHEMA_SINGLES = new Set([
  'items',
  'additionalItems',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'contentSchema',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rewrites OpenAPI 3.0 `nullable: true` into JSON Schema, walking only schema positions (not examples). */
function rewriteNullable(schema: unknown): unknown {
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable') continue;
    if (SCHEMA_MAPS.has(key) && isRecord(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, rewriteNullable(sub)]));
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map(rewriteNullable);
    } else if (SCHEMA_SINGLES.has(key)) {
      out[key] = Array.isArray(value) ? value.map(rewriteNullable) : rewriteNullable(value);
    } else {
      out[key] = value;
    }
  }
  return schema.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

function loadAjv(): Ajv2020 {
  if (ajv) return ajv;
  const spec: unknown = YAML.parse(readFileSync(SPEC_URL, 'utf8'));
  const components = isRecord(spec) ? spec.components : undefined;
  const schemas = isRecord(components) ? components.schemas : undefined;
  if (!isRecord(schemas)) throw new Error(`no components.schemas in ${SPEC_URL.pathname}`);
  const rewritten = Object.fromEntries(
    Object.entries(schemas).map(([name, s]) => [name, rewriteNullable(s)]),
  );

  const instance = new Ajv2020({ strict: false, allErrors: true, logger: false });
  ajvFormats.default(instance);
  instance.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  instance.addFormat('png', true);
  instance.addSchema({ $id: SPEC_ID, components: { schemas: rewritten } });
  ajv = instance;
  return instance;
}

function validatorFor(schemaName: string): ValidateFunction {
  const cached = validators.get(schemaName);
  if (cached) return cached;
  const instance = loadAjv();
  const validate = instance.getSchema(`${SPEC_ID}#/components/schemas/${schemaName}`);
  if (!validate) throw new Error(`schema ${schemaName} is not in the OpenAI spec`);
  validators.set(schemaName, validate);
  return validate;
}

function describe(errors: readonly ErrorObject[]): string {
  return errors
    .map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`)
    .join('\n');
}

/**
 * Throws an AssertionError (listing Ajv's errors) unless `value` matches `#/components/schemas/<schemaName>`
 * of the official spec, e.g. 'CreateChatCompletionResponse', 'CreateChatCompletionStreamResponse',
 * 'ListModelsResponse', 'ErrorResponse'. The spec is loaded and each schema compiled on first use.
 */
export function assertMatchesSchema(schemaName: string, value: unknown): void {
  const validate = validatorFor(schemaName);
  if (validate(value)) return;
  const errors = validate.errors ?? [];
  throw new AssertionError({
    message: `value does not match OpenAI schema ${schemaName}:\n${describe(errors)}\nvalue: ${JSON.stringify(value)}`,
    actual: value,
    expected: schemaName,
    operator: 'assertMatchesSchema',
  });
}
