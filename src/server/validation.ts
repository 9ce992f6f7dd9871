// Request validation for the OpenAI-shaped front doors: a door declares its body as a zod schema, and this
// module refuses a bad body the way the OpenAI API words it (`message`, `param` such as `messages[0].role`,
// and `code`), so clients that branch on those see what they expect. The wording comes from the schema and
// the value: a door writes plain zod and gets OpenAI's errors.
//
// The body is validated, not parsed: the client's own object goes on (identity, key order, unknown fields
// for OpenAI-compatible upstreams); whatever zod builds while checking is dropped.
import { z } from 'zod';
import { type CodeWhere, type GatewayError, invalidRequest } from '../core/errors.js';

type Path = readonly PropertyKey[];

// OpenAI reports some wrong values as a missing parameter rather than as a wrong type.
const missingRule = z.registry<{ missing: 'null' | 'invalid' }>();

/** `null` counts as absent (`content: null` is "Missing required parameter: 'messages[0].content'"). */
export function nullIsMissing<T extends z.ZodType>(schema: T): T {
  missingRule.add(schema, { missing: 'null' });
  return schema;
}

/** Any value that does not fit is reported as missing, not as a wrong type. Both mark the schema itself: pass a fresh one. */
export function invalidIsMissing<T extends z.ZodType>(schema: T): T {
  missingRule.add(schema, { missing: 'invalid' });
  return schema;
}

/** A raw issue for `.check()`: the parameter at `path` is missing, whatever it holds. */
export const missingIssue = (input: unknown, path: PropertyKey[]): z.core.$ZodRawIssue => ({
  code: 'custom',
  input,
  path,
  params: { code: 'missing_required_parameter' },
});

/** The codes a validation failure may carry. */
type InvalidRequestCode = CodeWhere<{ type: 'invalid_request_error'; status: 400 }>;

/** A raw issue for `.check()` with OpenAI's own message and code (cross-field rules). */
export const openAIIssue = (
  input: unknown,
  path: PropertyKey[],
  code: InvalidRequestCode,
  message: string,
): z.core.$ZodRawIssue => ({ code: 'custom', input, path, message, params: { code } });

/**
 * Returns `body` itself when it fits `schema`, else throws the first fault as OpenAI words it. The hot path
 * is zod's `validate` (the generated validator when the schema went through `z.compile`, no issue objects);
 * the issues are collected, by a second parse, only for a body that fails.
 */
export function validateOpenAI<T extends z.ZodType>(schema: T, body: unknown): z.input<T> {
  if (schema.validate(body)) return body;
  const result = schema.safeParse(body);
  if (result.success) return body as z.input<T>;
  throw issueError(firstFault(result.error.issues), [], schema, body);
}

/** zod checks an integer's safe range before the schema's own bounds; OpenAI names the schema's bound. */
function firstFault(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const [first, next] = issues as [z.core.$ZodIssue, z.core.$ZodIssue?];
  const safeRange = (first.code === 'too_big' || first.code === 'too_small') && first.origin === 'int';
  return safeRange && next?.code === first.code && paramOf(next.path) === paramOf(first.path) ? next : first;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

/** `messages[0].content[1].text`, as OpenAI writes `param`. */
export function paramOf(path: Path): string {
  let param = '';
  for (const key of path) {
    if (typeof key === 'number') param += `[${key}]`;
    else param += param === '' ? String(key) : `.${String(key)}`;
  }
  return param;
}

const isRecord = (value: unknown): value is Record<PropertyKey, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function valueAt(body: unknown, path: Path): unknown {
  let value = body;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) {
    inner = inner.unwrap();
  }
  return inner;
}

/** Whether `value` is of the kind `schema` takes (the branch of a union a value was meant for). */
function fits(schema: z.core.$ZodType, value: unknown): boolean {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodString) return typeof value === 'string';
  if (inner instanceof z.ZodNumber) return typeof value === 'number';
  if (inner instanceof z.ZodBoolean) return typeof value === 'boolean';
  if (inner instanceof z.ZodArray) return Array.isArray(value);
  if (inner instanceof z.ZodLiteral) return inner.values.has(value as z.core.util.Literal);
  if (inner instanceof z.ZodUnion) return inner.options.some((option) => fits(option, value));
  if (inner instanceof z.ZodObject) {
    // A union of objects is told apart by literal fields (`type: 'text'`), as in OpenAI's own schemas.
    if (!isRecord(value)) return false;
    for (const [key, field] of Object.entries(inner.shape)) {
      if (field instanceof z.ZodLiteral && !fits(field, value[key])) return false;
    }
    return true;
  }
  return false;
}

/** The union option `value` was meant for, if any. */
function optionFor(union: z.ZodUnion, value: unknown): z.core.$ZodType | undefined {
  if (union instanceof z.ZodDiscriminatedUnion) {
    if (!isRecord(value)) return undefined;
    const key = union.def.discriminator;
    return union.options.find((option) => {
      const inner = unwrap(option);
      return inner instanceof z.ZodObject && fits(inner.shape[key], value[key]);
    });
  }
  return union.options.find((option) => fits(option, value));
}

/** The schema that judged the value at `path` (unwrapped), found by walking the schema beside the body. */
function schemaAt(root: z.core.$ZodType, body: unknown, path: Path): z.core.$ZodType | undefined {
  let schema: z.core.$ZodType | undefined = unwrap(root);
  let value = body;
  for (const key of path) {
    if (schema instanceof z.ZodUnion) schema = optionFor(schema, value);
    if (schema instanceof z.ZodObject && typeof key === 'string') {
      schema = schema.shape[key] ?? schema.def.catchall;
    } else if (schema instanceof z.ZodArray && typeof key === 'number') {
      schema = schema.element;
    } else {
      return undefined;
    }
    if (schema === undefined) return undefined;
    schema = unwrap(schema);
    value = valueAt(value, [key]);
  }
  return schema;
}

/** What OpenAI says a parameter should be: "a string", "an integer", "one of a string or array of objects". */
function expected(schema: z.core.$ZodType | undefined, plural = false): string {
  const inner = schema === undefined ? undefined : unwrap(schema);
  const noun = (singular: string, article: string) => (plural ? `${singular}s` : `${article} ${singular}`);
  if (inner instanceof z.ZodString) return noun('string', 'a');
  if (inner instanceof z.ZodNumber) return inner.isInt ? noun('integer', 'an') : noun('number', 'a');
  if (inner instanceof z.ZodBoolean) return noun('boolean', 'a');
  if (inner instanceof z.ZodArray) return plural ? 'arrays' : 'an array';
  if (inner instanceof z.ZodObject) return noun('object', 'an');
  if (inner instanceof z.ZodUnion) {
    const kinds = [
      ...new Set(
        inner.options.map((option) => {
          const item = unwrap(option);
          return item instanceof z.ZodArray
            ? `array of ${expected(item.element, true)}`
            : expected(item, plural);
        }),
      ),
    ];
    return kinds.length === 1 ? kinds[0]! : `one of ${kinds.join(' or ')}`;
  }
  return plural ? 'values' : 'a value';
}

const quoteList = (values: readonly unknown[]) => {
  const quoted = values.map((value) => `'${String(value)}'`);
  return quoted.length < 3
    ? quoted.join(' and ')
    : `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}`;
};

const missingParameter = (param: string) =>
  invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');

const wrongType = (param: string, expectedType: string, value: unknown) =>
  invalidRequest(
    `Invalid type for '${param}': expected ${expectedType}, but got ${typeName(value)} instead.`,
    param,
    'invalid_type',
  );

const invalidValue = (param: string, value: unknown, values: readonly unknown[]) =>
  invalidRequest(
    `Invalid value: '${String(value)}'. Supported values are: ${quoteList(values)}.`,
    param,
    'invalid_value',
  );

function rangeError(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  param: string,
  value: unknown,
  schema: z.core.$ZodType | undefined,
) {
  const low = issue.code === 'too_small';
  const bound = low ? issue.minimum : issue.maximum;
  if (issue.origin === 'array') {
    const length = Array.isArray(value) ? value.length : 0;
    if (low && bound === 1) {
      return invalidRequest(
        `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
        param,
        'empty_array',
      );
    }
    return low
      ? invalidRequest(
          `Invalid '${param}': array too short. Expected an array with minimum length ${bound}, but got an array with length ${length} instead.`,
          param,
          'array_below_min_length',
        )
      : invalidRequest(
          `Invalid '${param}': array too long. Expected an array with maximum length ${bound}, but got an array with length ${length} instead.`,
          param,
          'array_above_max_length',
        );
  }
  // OpenAI words a range by the parameter's declared type, not the value's: presence_penalty 3 is a decimal.
  const kind = schema instanceof z.ZodNumber && schema.isInt ? 'integer' : 'decimal';
  return low
    ? invalidRequest(
        `Invalid '${param}': ${kind} below minimum value. Expected a value >= ${bound}, but got ${String(value)} instead.`,
        param,
        `${kind}_below_min_value`,
      )
    : invalidRequest(
        `Invalid '${param}': ${kind} above maximum value. Expected a value <= ${bound}, but got ${String(value)} instead.`,
        param,
        `${kind}_above_max_value`,
      );
}

function issueError(
  issue: z.core.$ZodIssue,
  prefix: Path,
  root: z.core.$ZodType,
  body: unknown,
): GatewayError {
  const path = [...prefix, ...issue.path];
  const value = valueAt(body, path);
  const param = paramOf(path);
  if (path.length === 0 && issue.code === 'invalid_type') {
    return invalidRequest(
      `The request body must be a JSON object, but got ${typeName(value)}.`,
      null,
      'invalid_type',
    );
  }
  if (issue.code === 'custom') {
    // Set by missingIssue and openAIIssue, whose signatures admit only invalid-request codes.
    const code = typeof issue.params?.code === 'string' ? (issue.params.code as InvalidRequestCode) : null;
    return code === 'missing_required_parameter'
      ? missingParameter(param)
      : invalidRequest(issue.message, param, code);
  }
  if (value === undefined) return missingParameter(param);
  const schema = schemaAt(root, body, path);
  const rule = schema === undefined ? undefined : missingRule.get(schema)?.missing;
  if (rule === 'invalid' || (rule === 'null' && value === null)) return missingParameter(param);
  switch (issue.code) {
    case 'invalid_union': {
      // A discriminated union that knows no option for this tag (`role: 'robot'`): the issue sits on the tag.
      if (issue.discriminator !== undefined && 'options' in issue && issue.options !== undefined) {
        return invalidValue(param, value, issue.options);
      }
      // Report the fault inside the option the value was meant for, else the type the union takes.
      const option = schema instanceof z.ZodUnion ? optionFor(schema, value) : undefined;
      const index =
        option === undefined || !(schema instanceof z.ZodUnion) ? -1 : schema.options.indexOf(option);
      const inner = issue.errors[index]?.[0];
      return inner === undefined
        ? wrongType(param, expected(schema), value)
        : issueError(inner, path, root, body);
    }
    case 'invalid_type':
      return wrongType(param, expected(schema), value);
    case 'invalid_value':
      return invalidValue(param, value, issue.values);
    case 'too_small':
    case 'too_big':
      return rangeError(issue, param, value, schema);
    default:
      return invalidRequest(`Invalid '${param}': ${issue.message}`, param, 'invalid_value');
  }
}
