// Claude Code itself (`claude -p`, from @anthropic-ai/claude-code) through the gateway, offline: for an
// Anthropic model (passed through, thinking and tool use included) and for an OpenAI model (translated).
// It is run as a new user would, with only ANTHROPIC_BASE_URL, a gateway key and model names set, plus the
// documented switches that keep it from calling home (see the README).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DEFAULT_REPLY as ANTHROPIC_REPLY, type FakeAnthropic } from '../fakes/anthropic.js';
import { type FakeOpenAI, DEFAULT_REPLY as OPENAI_REPLY } from '../fakes/openai.js';
import type { TestGateway } from '../support/gateway.js';
import { startTwoUpstreams, type TwoUpstreams } from '../support/two-upstreams.js';

const CLAUDE = resolve('node_modules/.bin/claude');

/** Claude Code's switches for running offline (its documented environment variables). */
const OFFLINE = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  DISABLE_BUG_COMMAND: '1',
  CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: '1',
};

let anthropic: FakeAnthropic;
let openai: FakeOpenAI;
let gw: TestGateway;
let upstreams: TwoUpstreams;
let key: string;
let home: string;

before(async () => {
  upstreams = await startTwoUpstreams();
  ({ openai, anthropic, gw, key } = upstreams);
});

after(async () => {
  await upstreams.close();
});

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tokgate-claude-code-'));
  upstreams.reset();
});

interface Result {
  code: number | null;
  result: { result?: string; is_error?: boolean; num_turns?: number } | undefined;
  stderr: string;
}

/** `claude -p <prompt> --output-format json` in a fresh HOME, its working directory that HOME. */
async function claude(prompt: string, model: string, extra: string[] = []): Promise<Result> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    ANTHROPIC_BASE_URL: gw.url,
    ANTHROPIC_API_KEY: key,
    ANTHROPIC_MODEL: model,
    ANTHROPIC_SMALL_FAST_MODEL: model,
    ...OFFLINE,
  };
  const child = spawn(CLAUDE, ['-p', prompt, '--output-format', 'json', ...extra], {
    env,
    cwd: home,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  rmSync(home, { recursive: true, force: true });
  let result: Result['result'];
  try {
    result = JSON.parse(stdout) as Result['result'];
  } catch {
    result = undefined;
  }
  return { code, result, stderr: stderr + stdout };
}

describe('Claude Code through tokgate', { timeout: 120_000 }, () => {
  test('an Anthropic model: the answer, the beta flags forwarded, the ledger row', async () => {
    const run = await claude('Say hello', 'anthropic/claude-sonnet-4-5');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.result?.result, ANTHROPIC_REPLY);
    assert.equal(run.result?.is_error, false);
    const upstream = anthropic.requests.find((r) => r.path === '/v1/messages');
    assert.ok(upstream);
    const body = upstream.body as Record<string, unknown>;
    assert.equal(body.model, 'claude-sonnet-4-5');
    assert.equal(body.stream, true);
    assert.match(String(upstream.headers['anthropic-beta']), /claude-code-20250219/);
    assert.equal(upstream.headers['x-api-key'], 'sk-ant-upstream', 'the upstream key, never the client key');

    await gw.gateway.ledger.flush();
    const rows = await gw.gateway.store.listRequests({ limit: 10 });
    const row = rows.find((r) => r.model === 'anthropic/claude-sonnet-4-5' && r.status === 'ok');
    assert.ok(row);
    assert.ok((row.prompt_tokens ?? 0) > 0 && (row.cost_micros ?? 0) > 0);
  });

  test('an Anthropic model asks for a tool: Claude Code runs it and the signed thinking goes back intact', async () => {
    const file = join(home, 'notes.txt');
    writeFileSync(file, 'The secret word is avocado.\n');
    anthropic.options.toolCall = { name: 'Read', input: { file_path: file }, untilResult: true };
    const run = await claude('Read notes.txt', 'anthropic/claude-sonnet-4-5', ['--allowedTools', 'Read']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.result?.result, ANTHROPIC_REPLY);
    const calls = anthropic.requests.filter((r) => r.path === '/v1/messages');
    assert.equal(calls.length, 2, 'the tool turn, then the answer');
    const followUp = calls[1]!.body as { messages: Array<{ role: string; content: unknown }> };
    const results = JSON.stringify(followUp.messages.at(-1)?.content);
    assert.match(results, /tool_result/);
    assert.match(results, /avocado/, 'the tool ran and its output went back');
    // Claude Code asks for thinking; the fake refuses (400) an assistant turn with tool use whose thinking
    // block does not come back first and exactly as signed, so the answered second call proves it intact.
    const asked = calls[0]!.body as { thinking?: { type?: string } };
    assert.equal(asked.thinking?.type, 'enabled');
    const assistant = followUp.messages.find((m) => m.role === 'assistant');
    assert.ok(assistant && Array.isArray(assistant.content));
    assert.equal((assistant.content as Array<{ type: string }>)[0]?.type, 'thinking');
  });

  test('an OpenAI model through translation, with a tool turn', async () => {
    const file = join(home, 'notes.txt');
    writeFileSync(file, 'The secret word is avocado.\n');
    // The OpenAI fake answers a tool result with text (so Claude Code's loop ends).
    openai.options.toolCall = { name: 'Read', arguments: JSON.stringify({ file_path: file }) };
    const run = await claude('Read notes.txt', 'openai/gpt-4o', ['--allowedTools', 'Read']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.result?.result, OPENAI_REPLY);
    const calls = openai.requests.filter((r) => r.path.endsWith('/chat/completions'));
    assert.equal(calls.length, 2);
    const first = calls[0]!.body as { tools: Array<{ type: string; function: { name: string } }> };
    assert.ok(first.tools.some((t) => t.type === 'function' && t.function.name === 'Read'));
    const followUp = calls[1]!.body as { messages: Array<{ role: string; content: unknown }> };
    const toolMessage = followUp.messages.find((m) => m.role === 'tool');
    assert.ok(toolMessage);
    assert.match(JSON.stringify(toolMessage.content), /avocado/);
  });
});
