// Claude on Bedrock through /v1/messages: the Messages body goes to InvokeModel as the client sent it (in
// Bedrock's shape: the version and beta flags in the body, the model in the URL), and the answer and its
// events (InvokeModelWithResponseStream's base64 chunks) come back as Anthropic's, with thinking intact.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import {
  DEFAULT_REPLY,
  type FakeBedrock,
  INVOKE_SIGNATURE,
  INVOKE_THINKING,
  startFakeBedrock,
  TEST_ACCESS_KEY_ID,
  TEST_REGION,
  TEST_SECRET_ACCESS_KEY,
} from '../fakes/bedrock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const MODEL = 'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0';

let fake: FakeBedrock;
let gw: TestGateway;
let client: Anthropic;

before(async () => {
  fake = await startFakeBedrock();
  gw = await startTestGateway({
    AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY,
    AWS_REGION: TEST_REGION,
    BEDROCK_BASE_URL: fake.url,
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: (await gw.createKey()).key, maxRetries: 0 });
});

after(async () => {
  await gw.close();
  await fake.close();
});

beforeEach(() => {
  fake.requests.length = 0;
});

const params = {
  model: MODEL,
  max_tokens: 2000,
  thinking: { type: 'enabled' as const, budget_tokens: 1024 },
  system: [{ type: 'text' as const, text: 'Be brief.', cache_control: { type: 'ephemeral' as const } }],
  messages: [{ role: 'user' as const, content: 'Hi' }],
};
const headers = { 'anthropic-beta': 'interleaved-thinking-2025-05-14' };

describe('Claude on Bedrock through /v1/messages', () => {
  test('InvokeModel gets the body as sent, in Bedrock shape; the Message comes back as Bedrock gave it', async () => {
    const message = await client.messages.create(params, { headers });
    const upstream = fake.requests.at(-1)!;
    assert.equal(
      upstream.path,
      `/model/${encodeURIComponent('anthropic.claude-sonnet-4-5-20250929-v1:0')}/invoke`,
    );
    const { model: _model, ...sent } = params;
    assert.deepEqual(upstream.body, {
      ...sent,
      anthropic_version: 'bedrock-2023-05-31',
      anthropic_beta: ['interleaved-thinking-2025-05-14'],
    });
    assert.equal(message.model, MODEL);
    assert.deepEqual(message.content, [
      { type: 'thinking', thinking: INVOKE_THINKING, signature: INVOKE_SIGNATURE },
      { type: 'text', text: DEFAULT_REPLY },
    ]);
  });

  test('a stream: the base64 chunks relayed as Anthropic events, thinking and its signature included', async () => {
    const message = await client.messages.stream(params, { headers }).finalMessage();
    assert.match(fake.requests.at(-1)!.path, /\/invoke-with-response-stream$/);
    assert.deepEqual(message.content, [
      { type: 'thinking', thinking: INVOKE_THINKING, signature: INVOKE_SIGNATURE },
      { type: 'text', text: DEFAULT_REPLY },
    ]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 1);
  });
});
