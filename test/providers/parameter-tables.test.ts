// Every provider's parameter table covers every request parameter of OpenAI's Chat Completions API, as the
// official OpenAPI spec defines it: a parameter OpenAI adds fails here until each provider has a rule for it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ANTHROPIC_PARAMETERS } from '../../src/providers/anthropic/parameters.js';
import { AZURE_PARAMETERS } from '../../src/providers/azure/parameters.js';
import { BEDROCK_PARAMETERS } from '../../src/providers/bedrock/parameters.js';
import { COHERE_PARAMETERS } from '../../src/providers/cohere/parameters.js';
import { GOOGLE_PARAMETERS } from '../../src/providers/google/parameters.js';
import { OPENAI_CHAT_PARAMETERS } from '../../src/providers/parameter-rules.js';
import { SPEC_URL } from '../support/openapi.js';

interface Schema {
  $ref?: string;
  properties?: Record<string, unknown>;
  allOf?: Schema[];
}

function specParameters(): string[] {
  const spec = parse(readFileSync(SPEC_URL, 'utf8')) as {
    components: { schemas: Record<string, Schema> };
  };
  const schemas = spec.components.schemas;
  const props = (schema: Schema | undefined): string[] => {
    if (!schema) return [];
    if (schema.$ref) return props(schemas[schema.$ref.split('/').pop()!]);
    return [...Object.keys(schema.properties ?? {}), ...(schema.allOf ?? []).flatMap(props)];
  };
  return [...new Set(props(schemas.CreateChatCompletionRequest))].sort();
}

test('the shared parameter list is exactly the spec’s CreateChatCompletionRequest properties', () => {
  assert.deepEqual([...OPENAI_CHAT_PARAMETERS].sort(), specParameters());
});

const tables: Record<string, object> = {
  anthropic: ANTHROPIC_PARAMETERS,
  azure: AZURE_PARAMETERS,
  bedrock: BEDROCK_PARAMETERS,
  cohere: COHERE_PARAMETERS,
  google: GOOGLE_PARAMETERS,
};
for (const [provider, table] of Object.entries(tables)) {
  test(`${provider} has a rule for every parameter in the spec`, () => {
    assert.deepEqual(
      specParameters().filter((p) => !Object.hasOwn(table, p)),
      [],
    );
  });
}
