// JSON Schema (as OpenAI takes it in response_format and tool parameters) to Gemini's Schema, an OpenAPI 3.0
// subset. Local `$ref`s are inlined, `["x","null"]` types become `nullable`, `const` becomes a one-value
// `enum`, `oneOf` becomes `anyOf`; every keyword Gemini lacks (additionalProperties, $schema, ...) is dropped
// and reported, so the caller can warn.
import { isObject } from '../../core/is-object.js';
import type { GoogleSchema } from './google-api.js';

type SchemaType = NonNullable<GoogleSchema['type']>;

const TYPES: Record<string, SchemaType> = {
  string: 'STRING',
  number: 'NUMBER',
  integer: 'INTEGER',
  boolean: 'BOOLEAN',
  array: 'ARRAY',
  object: 'OBJECT',
  null: 'NULL',
};

/** The string/number formats Gemini accepts; other formats are dropped. */
const FORMATS = new Set(['enum', 'date-time', 'float', 'double', 'int32', 'int64']);

const COPIED_STRINGS = ['title', 'description', 'pattern'] as const;
const COPIED_NUMBERS = [
  'maxItems',
  'minItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
] as const;
/** Keywords read by the conversion itself (never reported as dropped). */
const HANDLED = new Set([
  ...COPIED_STRINGS,
  ...COPIED_NUMBERS,
  'type',
  'format',
  'nullable',
  'enum',
  'const',
  'properties',
  'required',
  'items',
  'anyOf',
  'oneOf',
  'allOf',
  'example',
  'default',
  'propertyOrdering',
  '$ref',
  '$defs',
  'definitions',
]);

/** Deeper than this, a recursive `$ref` is cut (Gemini's schemas cannot recurse). */
const MAX_DEPTH = 16;

export interface SchemaConversion {
  schema: GoogleSchema;
  /** JSON Schema keywords that had no Gemini equivalent, e.g. ['additionalProperties', '$schema']. */
  dropped: string[];
}

export function toGoogleSchema(jsonSchema: unknown): SchemaConversion {
  const dropped = new Set<string>();
  const root = isObject(jsonSchema) ? jsonSchema : {};

  function resolve(ref: string): Record<string, unknown> | undefined {
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
    if (!match?.[1] || !match[2]) return undefined;
    const defs = root[match[1]];
    const target = isObject(defs) ? defs[match[2].replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    return isObject(target) ? target : undefined;
  }

  function convert(node: unknown, depth: number): GoogleSchema {
    if (!isObject(node)) return {};
    if (typeof node.$ref === 'string') {
      const target = depth < MAX_DEPTH ? resolve(node.$ref) : undefined;
      if (!target) {
        dropped.add(depth < MAX_DEPTH ? '$ref' : '$ref (recursive)');
        return {};
      }
      // Sibling keywords (description, ...) next to a $ref refine the referenced schema.
      const { $ref: _, ...siblings } = node;
      return convert({ ...target, ...siblings }, depth + 1);
    }
    const out: GoogleSchema = {};
    for (const key of Object.keys(node)) if (!HANDLED.has(key)) dropped.add(key);

    const types = (Array.isArray(node.type) ? node.type : [node.type]).filter(
      (t): t is string => typeof t === 'string',
    );
    const nonNull = types.filter((t) => t !== 'null');
    if (types.length > nonNull.length && nonNull.length > 0) out.nullable = true;
    if (nonNull.length === 1 && nonNull[0]) {
      const type = TYPES[nonNull[0]];
      if (type) out.type = type;
      else dropped.add(`type: ${nonNull[0]}`);
    } else if (nonNull.length > 1) {
      out.anyOf = nonNull.flatMap((t) => (TYPES[t] ? [{ type: TYPES[t] }] : []));
    } else if (types.length === 1) {
      out.type = 'NULL';
    }
    if (node.nullable === true) out.nullable = true;

    for (const key of COPIED_STRINGS) if (typeof node[key] === 'string') out[key] = node[key];
    for (const key of COPIED_NUMBERS) if (typeof node[key] === 'number') out[key] = node[key];
    if (typeof node.format === 'string') {
      if (FORMATS.has(node.format)) out.format = node.format;
      else dropped.add(`format: ${node.format}`);
    }
    if ('example' in node) out.example = node.example;
    if ('default' in node) out.default = node.default;

    const values = 'const' in node ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined;
    if (values) {
      // Gemini enums are strings only.
      if (values.every((v) => typeof v === 'string')) {
        out.enum = values;
        out.type ??= 'STRING';
      } else dropped.add('enum (non-string values)');
    }

    if (isObject(node.properties)) {
      out.properties = {};
      for (const [name, child] of Object.entries(node.properties)) {
        out.properties[name] = convert(child, depth + 1);
      }
    }
    if (Array.isArray(node.required)) {
      out.required = node.required.filter((r): r is string => typeof r === 'string');
    }
    if (Array.isArray(node.propertyOrdering)) {
      out.propertyOrdering = node.propertyOrdering.filter((r): r is string => typeof r === 'string');
    }
    if (isObject(node.items)) out.items = convert(node.items, depth + 1);
    else if (node.items !== undefined) dropped.add('items (tuple form)');

    const alternatives = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : [];
    if (alternatives.length > 0) {
      // A `{type: null}` alternative is Gemini's `nullable`.
      const kept = alternatives.filter((a) => !(isObject(a) && a.type === 'null'));
      if (kept.length < alternatives.length) out.nullable = true;
      if (kept.length === 1)
        Object.assign(out, convert(kept[0], depth + 1), out.nullable ? { nullable: true } : {});
      else out.anyOf = kept.map((a) => convert(a, depth + 1));
    }
    if (Array.isArray(node.allOf)) {
      if (node.allOf.length === 1) Object.assign(out, convert(node.allOf[0], depth + 1));
      else if (node.allOf.length > 1) dropped.add('allOf');
    }
    return out;
  }

  const schema = convert(root, 0);
  return { schema, dropped: [...dropped] };
}
