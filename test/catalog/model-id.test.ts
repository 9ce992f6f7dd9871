// The model id grammar: what real model ids look like passes; path tricks, control characters and
// oversized ids do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_MODEL_ID_LENGTH, modelIdProblem } from '../../src/catalog/model-id.js';

test('real model ids pass', () => {
  for (const id of [
    'openai/gpt-4o',
    'together/meta-llama/Llama-3.3-70B-Instruct-Turbo',
    'openrouter/anthropic/claude-3.5-sonnet:beta',
    'ollama/llama3.2:latest',
    'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0',
    'bedrock/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet',
    'vertex/claude-3-5-sonnet@20240620',
    'cloudflare/@cf/meta/llama-3.1-8b-instruct',
    'fireworks/accounts/fireworks/models/llama-v3p1-8b-instruct',
    'google/tunedModels/my-model',
    `x/${'a'.repeat(MAX_MODEL_ID_LENGTH - 2)}`,
  ]) {
    assert.equal(modelIdProblem(id), undefined, id);
  }
});

test('path segments, control characters, whitespace, odd characters and long ids are refused', () => {
  for (const id of [
    'google/gemini-2.0-flash/../models/gemini-2.5-pro',
    'google/..',
    'google/./x',
    'google//x',
    'openai/gpt-4o/',
    'openai/gpt\u0000-4o',
    'openai/gpt-4o\r\nx-injected: 1',
    'openai/gpt 4o',
    'openai/gpt-4o%2F..',
    'openai/gpt?x=1',
    'openai/gpt#x',
    'openai/gpt\\x',
    'openai/gpté',
    `x/${'a'.repeat(MAX_MODEL_ID_LENGTH)}`,
  ]) {
    assert.notEqual(modelIdProblem(id), undefined, JSON.stringify(id));
  }
});
