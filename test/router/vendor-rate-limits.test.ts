// Each vendor's own way of saying "come back later", end to end: the fakes answer a 429 (or a 503) with the
// headers (or, for Gemini, the RetryInfo body) their vendor sends; the router's wait before calling the same
// deployment again, and the deployment's cool-down, come from them. The router runs on a fake clock: the
// waits are read from what it slept, the cool-down from the order the deployments are tried in, never from
// elapsed time.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic.js';
import { type FakeAzure, startFakeAzure } from '../fakes/azure.js';
import { type FakeGoogle, startFakeGoogle } from '../fakes/google.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import {
  anthropicRateLimited,
  azureRateLimited,
  cerebrasRateLimited,
  groqRateLimited,
  openAIRateLimited,
  togetherRateLimited,
} from '../fakes/rate-limits.js';
import { readJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { FakeClock } from './fake-clock.js';

let clock: FakeClock;
let gw: TestGateway;
let key: string;
let dir: string;
const fakes = {} as {
  openai: FakeOpenAI;
  groq: FakeOpenAI;
  cerebras: FakeOpenAI;
  together: FakeOpenAI;
  anthropic: FakeAnthropic;
  google: FakeGoogle;
  azure: FakeAzure;
};

before(async () => {
  fakes.openai = await startFakeOpenAI();
  fakes.groq = await startFakeOpenAI();
  fakes.cerebras = await startFakeOpenAI();
  fakes.together = await startFakeOpenAI();
  fakes.anthropic = await startFakeAnthropic();
  fakes.google = await startFakeGoogle();
  fakes.azure = await startFakeAzure();
  dir = mkdtempSync(join(tmpdir(), 'tokgate-ratelimits-'));
  const config = join(dir, 'tokgate.yaml');
  // Direct model ids get up to three attempts; waits up to 30 s are waited for (the default).
  writeFileSync(config, 'routing:\n  direct_max_attempts: 3\n');
  clock = new FakeClock(() => 0.5);
  gw = await startTestGateway(
    {
      TOKGATE_CONFIG: config,
      OPENAI_API_KEY: 'up',
      OPENAI_BASE_URL: fakes.openai.url,
      GROQ_API_KEY: 'up',
      GROQ_BASE_URL: fakes.groq.url,
      CEREBRAS_API_KEY: 'up',
      CEREBRAS_BASE_URL: fakes.cerebras.url,
      TOGETHER_API_KEY: 'up',
      TOGETHER_BASE_URL: fakes.together.url,
      ANTHROPIC_API_KEY: 'up',
      ANTHROPIC_BASE_URL: fakes.anthropic.url,
      GEMINI_API_KEY: 'up',
      GEMINI_BASE_URL: fakes.google.url,
      AZURE_OPENAI_API_KEY: 'up',
      AZURE_OPENAI_ENDPOINT: fakes.azure.url,
    },
    { routerClock: clock },
  );
  key = (await gw.createKey()).key;
});

after(async () => {
  await gw.close();
  for (const fake of Object.values(fakes)) await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const chat = (model: string, models?: string[]) =>
  gw.call('/v1/chat/completions', {
    method: 'POST',
    key,
    json: { model, messages: [{ role: 'user', content: 'Hi' }], ...(models ? { models } : {}) },
  });

/** Sends one request whose first attempt is refused; returns what the router slept before the second. */
async function waitAfter(model: string, upstream: { requests: unknown[] }): Promise<number[]> {
  const sleptBefore = clock.slept.length;
  const calls = upstream.requests.length;
  const res = await chat(model);
  assert.equal(res.status, 200, JSON.stringify(await readJson(res.clone())));
  assert.equal(res.headers.get('x-tokgate-attempts'), '2');
  assert.equal(upstream.requests.length - calls, 2, 'the same deployment, called again');
  return clock.slept.slice(sleptBefore);
}

describe('the retry delay comes from the vendor', () => {
  test("OpenAI: no Retry-After; the exhausted window's reset (`x-ratelimit-reset-requests: 20s`), not the other's", async () => {
    fakes.openai.faults.push({
      kind: 'status',
      status: 429,
      headers: openAIRateLimited({
        requestsLeft: 0,
        requestsReset: '20s',
        tokensLeft: 149_984,
        tokensReset: '6m0s',
      }),
    });
    assert.deepEqual(await waitAfter('openai/gpt-4o-mini', fakes.openai), [20_000]);
  });

  test('OpenAI: both windows exhausted: the later reset (`12.5s` over `250ms`)', async () => {
    fakes.openai.faults.push({
      kind: 'status',
      status: 429,
      headers: openAIRateLimited({
        requestsLeft: 0,
        requestsReset: '250ms',
        tokensLeft: 0,
        tokensReset: '12.5s',
      }),
    });
    assert.deepEqual(await waitAfter('openai/gpt-4o', fakes.openai), [12_500]);
  });

  test("Groq: its 429's retry-after (3 s) wins over the windows' resets", async () => {
    fakes.groq.faults.push({ kind: 'status', status: 429, headers: groqRateLimited(3) });
    assert.deepEqual(await waitAfter('groq/llama-3.3-70b-versatile', fakes.groq), [3_000]);
  });

  test('Cerebras: the per-minute token window, reset in fractional seconds', async () => {
    fakes.cerebras.faults.push({
      kind: 'status',
      status: 429,
      headers: cerebrasRateLimited({
        tokensLeft: 0,
        tokensReset: 11.382867097854614,
        requestsReset: 33011.38,
      }),
    });
    assert.deepEqual(await waitAfter('cerebras/gpt-oss-120b', fakes.cerebras), [11_383]);
  });

  test('Together AI: the token window used up, its `x-ratelimit-reset` in seconds', async () => {
    fakes.together.faults.push({
      kind: 'status',
      status: 429,
      headers: togetherRateLimited({ tokensLeft: 0, resetS: 2 }),
    });
    assert.deepEqual(
      await waitAfter('together/meta-llama/Llama-3.3-70B-Instruct-Turbo', fakes.together),
      [2_000],
    );
  });

  test('Azure OpenAI: retry-after-ms to the millisecond (not the rounded retry-after)', async () => {
    fakes.azure.faults.push({ kind: 'status', status: 429, headers: azureRateLimited(4_250) });
    assert.deepEqual(await waitAfter('azure/gpt-4o', fakes.azure), [4_250]);
  });

  test('Anthropic: retry-after when it sends one', async () => {
    const later = new Date(Date.now() + 25_000);
    fakes.anthropic.faults.push({
      kind: 'status',
      status: 429,
      headers: anthropicRateLimited({
        retryAfterS: 6,
        inputTokensLeft: 0,
        inputTokensResetAt: later,
        requestsResetAt: later,
      }),
    });
    assert.deepEqual(await waitAfter('anthropic/claude-sonnet-4-5', fakes.anthropic), [6_000]);
  });

  test('Anthropic: without retry-after, the exhausted input-token window resets at its RFC 3339 instant', async () => {
    fakes.anthropic.faults.push({
      kind: 'status',
      status: 429,
      headers: anthropicRateLimited({
        inputTokensLeft: 0,
        inputTokensResetAt: new Date(Date.now() + 20_000),
        // Not exhausted: its (later) reset is not waited for.
        requestsResetAt: new Date(Date.now() + 29_000),
      }),
    });
    const [slept] = await waitAfter('anthropic/claude-haiku-4-5', fakes.anthropic);
    // The instant is absolute: what is left of it depends on when the gateway reads it.
    assert.ok(slept !== undefined && slept > 15_000 && slept <= 20_000, `slept ${slept}`);
  });

  test("Gemini: RESOURCE_EXHAUSTED's RetryInfo retryDelay in the body (`7s`)", async () => {
    fakes.google.faults.push({ kind: 'status', status: 429 });
    assert.deepEqual(await waitAfter('google/gemini-2.0-flash', fakes.google), [7_000]);
  });

  test('Gemini: a fractional retryDelay (`2.5s`) to the millisecond', async () => {
    fakes.google.faults.push({
      kind: 'status',
      status: 429,
      body: {
        error: {
          code: 429,
          message: 'Resource has been exhausted (e.g. check quota).',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2.5s' }],
        },
      },
    });
    assert.deepEqual(await waitAfter('google/gemini-2.5-flash', fakes.google), [2_500]);
  });

  test('a 503 with Retry-After is waited for as a 429 is', async () => {
    fakes.openai.faults.push({ kind: 'status', status: 503, headers: { 'retry-after': '2' } });
    assert.deepEqual(await waitAfter('openai/gpt-4.1', fakes.openai), [2_000]);
  });

  test('a wait past what the policy allows is not waited: the client gets the 429 and the wait', async () => {
    const calls = fakes.openai.requests.length;
    fakes.openai.faults.push({
      kind: 'status',
      status: 429,
      headers: openAIRateLimited({
        requestsLeft: 0,
        requestsReset: '45s',
        tokensLeft: 10,
        tokensReset: '1s',
      }),
    });
    const sleptBefore = clock.slept.length;
    const res = await chat('openai/gpt-4.1-mini');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '45');
    assert.equal(fakes.openai.requests.length - calls, 1);
    assert.equal(clock.slept.length, sleptBefore, 'nothing slept');
  });
});

describe("the deployment's cool-down comes from the vendor", () => {
  test('a deployment that asked for 45 s is passed over for that long, then tried again first', async () => {
    const primary = 'openai/gpt-4o-2024-11-20';
    const fallback = 'groq/llama-3.1-8b-instant';
    fakes.openai.faults.push({
      kind: 'status',
      status: 429,
      headers: openAIRateLimited({ requestsLeft: 5, requestsReset: '1s', tokensLeft: 0, tokensReset: '45s' }),
    });
    const counts = (): [number, number] => [fakes.openai.requests.length, fakes.groq.requests.length];
    const sleptBefore = clock.slept.length;
    let [o, g] = counts();
    const first = await chat(primary, [fallback]);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-tokgate-deployment'), fallback, 'the fallback at once');
    assert.equal(clock.slept.length, sleptBefore, 'an untried deployment is not waited for');
    assert.deepEqual(counts(), [o + 1, g + 1]);
    const failedAt = clock.now();
    assert.equal(gw.gateway.router.health.snapshot(primary).openUntil, failedAt + 45_000);

    clock.advance(44_999);
    [o, g] = counts();
    const during = await chat(primary, [fallback]);
    assert.equal(during.headers.get('x-tokgate-deployment'), fallback);
    assert.deepEqual(counts(), [o, g + 1], 'the cooling deployment is not called');

    clock.advance(1);
    [o, g] = counts();
    const afterwards = await chat(primary, [fallback]);
    assert.equal(afterwards.headers.get('x-tokgate-deployment'), primary);
    assert.deepEqual(counts(), [o + 1, g]);
  });
});
