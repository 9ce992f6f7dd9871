// The clients that call /v1/responses, as a user would point them at tokgate: the AI SDK's default OpenAI
// provider (v5), the OpenAI Agents SDK running an agent with a tool, and the Codex CLI itself, each on an
// OpenAI model (passed through to the OpenAI fake's Responses API) and an Anthropic model (translated for
// the Anthropic fake), through the gateway.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { Agent, run, setDefaultOpenAIClient, setTracingDisabled, tool } from '@openai/agents';
import { generateText, streamText } from 'ai';
import { DEFAULT_REPLY as ANTHROPIC_REPLY, type FakeAnthropic } from '../fakes/anthropic.js';
import { DEFAULT_REPLY, type FakeOpenAI } from '../fakes/openai.js';
import type { TestGateway } from '../support/gateway.js';
import { startTwoUpstreams, type TwoUpstreams } from '../support/two-upstreams.js';

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;
let gw: TestGateway;
let upstreams: TwoUpstreams;
let key: string;

const CLAUDE = 'anthropic/claude-sonnet-4-5-20250929';

before(async () => {
  upstreams = await startTwoUpstreams();
  ({ openai, anthropic, gw, key } = upstreams);
});

after(async () => {
  await upstreams.close();
});

beforeEach(() => {
  upstreams.reset();
});

// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
const bodies = (fake: FakeOpenAI | FakeAnthropic): any[] => fake.requests.map((r) => r.body);

describe('the AI SDK (v5), default provider', () => {
  const provider = () => createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: key });

  test('generateText on an OpenAI model and on an Anthropic model', async () => {
    const gpt = await generateText({ model: provider()('openai/gpt-4o'), prompt: 'Hello' });
    assert.equal(gpt.text, DEFAULT_REPLY);
    assert.ok((gpt.usage.outputTokens ?? 0) > 0);
    assert.equal(bodies(openai).length, 1);

    const claude = await generateText({ model: provider()(CLAUDE), system: 'Be kind.', prompt: 'Hello' });
    assert.equal(claude.text, ANTHROPIC_REPLY);
    assert.equal(bodies(anthropic)[0].system, 'Be kind.');
  });

  test('streamText on both', async () => {
    for (const [model, reply] of [
      ['openai/gpt-4o', DEFAULT_REPLY],
      [CLAUDE, ANTHROPIC_REPLY],
    ] as const) {
      const result = streamText({ model: provider()(model), prompt: 'Hello' });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      assert.equal(text, reply);
      assert.ok(((await result.usage).outputTokens ?? 0) > 0);
      assert.equal(await result.finishReason, 'stop');
    }
  });
});

describe('the OpenAI Agents SDK', () => {
  test('an agent calls its tool and answers, streamed and not', async () => {
    const { default: OpenAI } = await import('openai');
    setTracingDisabled(true);
    // The Agents SDK bundles its own copy of openai 6: the same client, another copy of its class.
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    setDefaultOpenAIClient(client as unknown as Parameters<typeof setDefaultOpenAIClient>[0]);
    const calls: string[] = [];
    const weather = tool({
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
        additionalProperties: false,
      },
      strict: true,
      execute: async (input) => {
        calls.push((input as { city: string }).city);
        return 'Sunny, 21 C';
      },
    });
    const agent = new Agent({
      name: 'Forecaster',
      instructions: 'Answer with the weather.',
      model: 'openai/gpt-4o',
      tools: [weather],
    });
    openai.options.toolCall = { arguments: '{"city":"Paris"}' };
    const result = await run(agent, 'Weather in Paris?');
    assert.equal(result.finalOutput, DEFAULT_REPLY);
    assert.deepEqual(calls, ['Paris']);
    // Passed through to OpenAI's own Responses API: its tools and items as the SDK sent them.
    assert.ok(openai.requests.every((r) => r.path === '/v1/responses'));
    const [first, second] = bodies(openai);
    assert.equal(first.tools[0].type, 'function');
    assert.equal(first.tools[0].name, 'get_weather');
    const call = second.input.find((item: { type?: string }) => item.type === 'function_call');
    assert.equal(call.name, 'get_weather');
    const output = second.input.find((item: { type?: string }) => item.type === 'function_call_output');
    assert.equal(output.call_id, call.call_id);
    assert.equal(output.output, 'Sunny, 21 C');

    const streamed = await run(agent, 'Weather in Paris?', { stream: true });
    for await (const _event of streamed) {
      // drained
    }
    await streamed.completed;
    assert.equal(streamed.finalOutput, DEFAULT_REPLY);
    assert.deepEqual(calls, ['Paris', 'Paris']);
  });

  test('an agent with a tool on an Anthropic model', async () => {
    const calls: string[] = [];
    const lookup = tool({
      name: 'lookup',
      description: 'Looks a word up',
      parameters: {
        type: 'object',
        properties: { word: { type: 'string' } },
        required: ['word'],
        additionalProperties: false,
      },
      strict: true,
      execute: async (input) => {
        calls.push((input as { word: string }).word);
        return 'a greeting';
      },
    });
    anthropic.options.toolCall = { input: { word: 'hello' }, untilResult: true };
    const agent = new Agent({ name: 'Greeter', instructions: 'Greet.', model: CLAUDE, tools: [lookup] });
    const result = await run(agent, 'Hello');
    assert.equal(result.finalOutput, ANTHROPIC_REPLY);
    assert.deepEqual(calls, ['hello']);
    const [first, second] = bodies(anthropic);
    assert.equal(first.system, 'Greet.');
    assert.equal(first.tools[0].name, 'lookup');
    const toolResult = second.messages.at(-1).content[0];
    assert.equal(toolResult.type, 'tool_result');
    assert.equal(toolResult.content, 'a greeting');
  });
});

const CODEX = new URL('../../node_modules/.bin/codex', import.meta.url).pathname;

/** A CODEX_HOME with a config.toml pointing Codex at the gateway, offline (see the README). */
async function codexHome(model: string): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'tokgate-codex-'));
  await writeFile(
    join(home, 'config.toml'),
    [
      `model = "${model}"`,
      'model_provider = "tokgate"',
      'check_for_update_on_startup = false',
      '',
      '[model_providers.tokgate]',
      'name = "tokgate"',
      `base_url = "${gw.url}/v1"`,
      'env_key = "TOKGATE_API_KEY"',
      'wire_api = "responses"',
      '',
      '[analytics]',
      'enabled = false',
      '',
      '[feedback]',
      'enabled = false',
      '',
      '[features]',
      'plugins = false',
      'remote_plugin = false',
      'apps = false',
      '',
    ].join('\n'),
  );
  return home;
}

/** Runs `codex exec` (stdin closed: it would wait for more input) and returns what it printed. */
async function codex(model: string, prompt: string): Promise<{ stdout: string; stderr: string }> {
  const home = await codexHome(model);
  try {
    const child = spawn(
      CODEX,
      ['exec', '--strict-config', '--skip-git-repo-check', '--sandbox', 'read-only', '--cd', home, prompt],
      {
        env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, TOKGATE_API_KEY: key },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, `codex exec failed:\n${stderr}`);
    return { stdout, stderr };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

describe('the Codex CLI', () => {
  test('codex exec completes a turn on an OpenAI model and on an Anthropic model', async () => {
    const gpt = await codex('openai/gpt-4o', 'Say hello.');
    assert.match(gpt.stdout, /Hello from the fake upstream\. It speaks the OpenAI wire format\./);
    assert.ok(bodies(openai).length >= 1);
    const claude = await codex(CLAUDE, 'Say hello.');
    assert.match(claude.stdout, /It speaks the Anthropic wire format\./);
    const body = bodies(anthropic).at(-1);
    assert.equal(body.stream, true);
    assert.ok(JSON.stringify(body.messages).includes('Say hello.'));
  });

  test('codex exec runs a tool call turn: its shell tool, then the answer', async () => {
    openai.options.toolCall = { name: 'exec_command', arguments: '{"cmd":"echo tokgate-tool-ran"}' };
    const result = await codex('openai/gpt-4o', 'Run echo.');
    assert.match(result.stdout, /Hello from the fake upstream\. It speaks the OpenAI wire format\./);
    // Passed through to OpenAI's own Responses API, as Codex sent it (stateless: store false, the reasoning
    // carried as encrypted content).
    assert.ok(openai.requests.every((r) => r.path === '/v1/responses'));
    const [first, second] = bodies(openai);
    assert.equal(first.store, false);
    assert.ok(first.tools.some((t: { name?: string }) => t.name === 'exec_command'));
    const call = second.input.find((item: { type?: string }) => item.type === 'function_call');
    assert.equal(call.name, 'exec_command');
    const output = second.input.find((item: { type?: string }) => item.type === 'function_call_output');
    assert.equal(output.call_id, call.call_id);
    assert.match(JSON.stringify(output.output), /tokgate-tool-ran/);
  });

  test('codex exec runs a tool call turn on an Anthropic model', async () => {
    anthropic.options.toolCall = {
      name: 'exec_command',
      input: { cmd: 'echo tokgate-tool-ran' },
      untilResult: true,
    };
    const result = await codex(CLAUDE, 'Run echo.');
    assert.match(result.stdout, /It speaks the Anthropic wire format\./);
    const [first, second] = bodies(anthropic);
    assert.ok(first.tools.some((t: { name: string }) => t.name === 'exec_command'));
    const use = second.messages
      .flatMap((m: { content: unknown }) => (Array.isArray(m.content) ? m.content : []))
      .find((block: { type: string }) => block.type === 'tool_use');
    assert.equal(use.name, 'exec_command');
    const toolResult = second.messages
      .at(-1)
      .content.find((block: { type: string }) => block.type === 'tool_result');
    assert.equal(toolResult.tool_use_id, use.id);
    assert.match(JSON.stringify(toolResult.content), /tokgate-tool-ran/);
  });
});
