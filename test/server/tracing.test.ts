// Traces: a gateway with OTEL_EXPORTER_OTLP_ENDPOINT set exports its spans to an in-process OTLP/HTTP
// receiver. One server span per request (GenAI attributes, the gateway's own), a client span per upstream
// attempt, the client's traceparent continued and the attempt's sent upstream.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

// Spans leave in batches every 5 s by default: sooner here, so the receiver sees them while the test waits.
process.env.OTEL_BSP_SCHEDULE_DELAY = '20';

import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
  startOtlpReceiver,
} from '../support/otlp-receiver.js';

let fake: FakeOpenAI;
let receiver: OtlpReceiver;
let gw: TestGateway;
let key: string;
let keyId: string;

before(async () => {
  fake = await startFakeOpenAI();
  receiver = await startOtlpReceiver();
  gw = await startTestGateway({
    OPENAI_API_KEY: 'sk-upstream',
    OPENAI_BASE_URL: fake.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_SERVICE_NAME: 'tokgate-test',
  });
  const created = await gw.createKey({ models: ['openai/gpt-4o', 'openai/gpt-4o-mini'] });
  key = created.key;
  keyId = created.id;
});

after(async () => {
  await gw.close();
  await receiver.close();
  await fake.close();
});

/** The request's server span and its attempts' client spans, once all of them have been exported. */
async function spansOf(requestId: string, attempts: number) {
  const spans = await receiver.waitFor((all) => {
    const server = all.find((s) => s.attributes['tokgate.request.id'] === requestId);
    return server !== undefined && all.filter((s) => s.parentSpanId === server.spanId).length >= attempts;
  });
  const server = spans.find((s) => s.attributes['tokgate.request.id'] === requestId)!;
  const children = spans.filter((s) => s.parentSpanId === server.spanId);
  return { server, children };
}

const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  gw.call('/v1/chat/completions', {
    method: 'POST',
    key,
    json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'Say hello' }], ...body },
    headers,
  });

describe('traces', () => {
  test('a JSON chat: a server span with the GenAI attributes, and one client span for its attempt', async () => {
    fake.requests.length = 0;
    const res = await chat({ max_tokens: 50, temperature: 0.5 });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    const { server, children } = await spansOf(res.headers.get('x-request-id')!, 1);

    assert.equal(server.name, 'chat openai/gpt-4o');
    assert.equal(server.kind, SPAN_KIND_SERVER);
    assert.equal(server.serviceName, 'tokgate-test');
    const a = server.attributes;
    assert.equal(a['gen_ai.operation.name'], 'chat');
    assert.equal(a['gen_ai.provider.name'], 'openai');
    assert.equal(a['gen_ai.request.model'], 'openai/gpt-4o');
    assert.equal(a['gen_ai.response.model'], 'gpt-4o');
    assert.equal(a['gen_ai.request.max_tokens'], 50);
    assert.equal(a['gen_ai.request.temperature'], 0.5);
    assert.equal(a['gen_ai.request.stream'], false);
    assert.equal(a['gen_ai.usage.input_tokens'], body.usage.prompt_tokens);
    assert.equal(a['gen_ai.usage.output_tokens'], body.usage.completion_tokens);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(a['tokgate.key.id'], keyId);
    assert.equal(a['tokgate.account.id'], 'acct_default');
    assert.equal(typeof a['tokgate.cost_usd'], 'number');
    assert.ok((a['tokgate.cost_usd'] as number) > 0);
    assert.equal(a['tokgate.door'], 'chat completion');
    assert.equal(a['http.request.method'], 'POST');
    assert.equal(a['http.route'], '/v1/chat/completions');
    assert.equal(a['http.response.status_code'], 200);
    assert.equal(a['client.address'], '127.0.0.1');
    // No content unless opted in.
    assert.equal(a['gen_ai.input.messages'], undefined);
    assert.equal(a['gen_ai.output.messages'], undefined);
    assert.ok(!JSON.stringify(server).includes('Say hello'));

    assert.equal(children.length, 1);
    const [attempt] = children as [ReceivedSpan];
    assert.equal(attempt.name, 'chat gpt-4o');
    assert.equal(attempt.kind, SPAN_KIND_CLIENT);
    assert.equal(attempt.traceId, server.traceId);
    assert.equal(attempt.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(attempt.attributes['gen_ai.request.model'], 'gpt-4o');
    assert.equal(attempt.attributes['server.address'], '127.0.0.1');
    assert.equal(attempt.attributes['server.port'], Number(new URL(fake.url).port));
    assert.equal(attempt.attributes['http.response.status_code'], 200);
    assert.equal(attempt.attributes['tokgate.attempt.outcome'], 'ok');
    assert.equal(attempt.attributes['tokgate.attempt.kind'], 'first');
    // The upstream got the attempt's context.
    const traceparent = String(fake.requests.at(-1)!.headers.traceparent);
    assert.equal(traceparent, `00-${attempt.traceId}-${attempt.spanId}-01`);
    // OTLP/JSON, as the http exporter sends it.
    assert.ok(receiver.contentTypes.every((type) => type.startsWith('application/json')));
  });

  test('a stream: time to first chunk, usage and finish reasons on the server span', async () => {
    const res = await chat({ stream: true, stream_options: { include_usage: true } });
    assert.equal(res.status, 200);
    await res.text();
    const { server, children } = await spansOf(res.headers.get('x-request-id')!, 1);
    const a = server.attributes;
    assert.equal(server.name, 'chat openai/gpt-4o');
    assert.equal(a['gen_ai.request.stream'], true);
    assert.equal(typeof a['gen_ai.response.time_to_first_chunk'], 'number');
    assert.ok((a['gen_ai.response.time_to_first_chunk'] as number) > 0);
    assert.ok((a['gen_ai.usage.output_tokens'] as number) > 0);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(a['http.response.status_code'], 200);
    assert.equal(children.length, 1);
    assert.equal(children[0]!.attributes['tokgate.attempt.outcome'], 'ok');
  });

  test('a refused request: its span says the status and the error', async () => {
    const res = await chat({ model: 'openai/gpt-3.5-turbo' });
    assert.equal(res.status, 403);
    const { server, children } = await spansOf(res.headers.get('x-request-id')!, 0);
    assert.equal(server.name, 'chat openai/gpt-3.5-turbo');
    assert.equal(server.attributes['gen_ai.request.model'], 'openai/gpt-3.5-turbo');
    assert.equal(server.attributes['http.response.status_code'], 403);
    assert.equal(server.attributes['error.type'], 'model_not_allowed');
    assert.equal(server.kind, SPAN_KIND_SERVER);
    assert.equal(children.length, 0);
    // A 4xx is the client's: the server span is not in error (HTTP semantic conventions).
    assert.notEqual(server.status, 2);
  });

  test('a fallback: two attempt spans, the failed one in error with its status', async () => {
    fake.faults.push({ kind: 'status', status: 500 });
    const res = await chat({ models: ['openai/gpt-4o-mini'] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-tokgate-attempts'), '2');
    const { server, children } = await spansOf(res.headers.get('x-request-id')!, 2);
    assert.equal(server.attributes['tokgate.attempts'], 2);
    const [failed, served] = [
      children.find((s) => s.attributes['tokgate.attempt.kind'] === 'first')!,
      children.find((s) => s.attributes['tokgate.attempt.kind'] === 'fallback')!,
    ];
    assert.equal(failed.name, 'chat gpt-4o');
    assert.equal(failed.attributes['http.response.status_code'], 500);
    assert.equal(failed.attributes['tokgate.attempt.status'], 502);
    assert.equal(failed.attributes['tokgate.attempt.outcome'], 'error');
    assert.equal(typeof failed.attributes['error.type'], 'string');
    assert.equal(failed.status, 2);
    assert.equal(served.name, 'chat gpt-4o-mini');
    assert.equal(served.attributes['tokgate.attempt.outcome'], 'ok');
    assert.equal(served.attributes['http.response.status_code'], 200);
    // Each attempt sent its own span's context upstream.
    const sent = fake.requests.slice(-2).map((r) => String(r.headers.traceparent));
    assert.deepEqual(sent, [
      `00-${server.traceId}-${failed.spanId}-01`,
      `00-${server.traceId}-${served.spanId}-01`,
    ]);
  });

  test("a client's traceparent: the request span is its child, and the upstream call stays in its trace", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const res = await chat({}, { traceparent: `00-${traceId}-${parentId}-01` });
    assert.equal(res.status, 200);
    const { server, children } = await spansOf(res.headers.get('x-request-id')!, 1);
    assert.equal(server.traceId, traceId);
    assert.equal(server.parentSpanId, parentId);
    assert.equal(children[0]!.traceId, traceId);
    const sent = String(fake.requests.at(-1)!.headers.traceparent);
    assert.match(sent, new RegExp(`^00-${traceId}-${children[0]!.spanId}-01$`));
  });
});

describe('embeddings', () => {
  test('an embeddings request: spans named for the embeddings operation', async () => {
    const res = await gw.call('/v1/embeddings', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'openai/text-embedding-3-small', input: ['one', 'two'] },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { usage: { prompt_tokens: number } };
    const { server, children } = await spansOf(res.headers.get('x-request-id')!, 1);
    assert.equal(server.name, 'embeddings openai/text-embedding-3-small');
    assert.equal(server.attributes['gen_ai.operation.name'], 'embeddings');
    assert.equal(server.attributes['gen_ai.usage.input_tokens'], body.usage.prompt_tokens);
    assert.equal(server.attributes['tokgate.account.id'], 'acct_default');
    assert.equal(server.attributes['tokgate.key.id'], undefined);
    assert.equal(children[0]!.name, 'embeddings text-embedding-3-small');
    assert.equal(children[0]!.attributes['gen_ai.operation.name'], 'embeddings');
  });
});

describe('off', () => {
  test('nothing of OpenTelemetry is imported unless tracing is on (only otel-tracing.ts, only dynamically)', () => {
    const src = new URL('../../src/', import.meta.url).pathname;
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const importsOtel: string[] = [];
    const importsModule: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(src, file), 'utf8');
      // Static imports that are not type-only.
      for (const [, what] of text.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)) {
        if (what!.startsWith('@opentelemetry/')) importsOtel.push(file);
        if (what!.endsWith('/otel-tracing.js')) importsModule.push(file);
      }
    }
    assert.deepEqual([...new Set(importsOtel)], [join('pipeline', 'otel-tracing.ts')]);
    assert.deepEqual(importsModule, []);
    assert.match(
      readFileSync(join(src, 'pipeline', 'tracing.ts'), 'utf8'),
      /await import\('\.\/otel-tracing\.js'\)/,
    );
  });
});

describe('shutdown', () => {
  test('spans still buffered are exported when the gateway closes', async () => {
    // A batch delay no test waits out: only the close can export this gateway's spans.
    process.env.OTEL_BSP_SCHEDULE_DELAY = '600000';
    const local = await startTestGateway({
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    });
    process.env.OTEL_BSP_SCHEDULE_DELAY = '20';
    const res = await local.call('/v1/chat/completions', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(res.status, 200);
    await res.text();
    const id = res.headers.get('x-request-id')!;
    assert.ok(!receiver.spans.some((s) => s.attributes['tokgate.request.id'] === id));
    await local.close();
    assert.ok(
      receiver.spans.some((s) => s.attributes['tokgate.request.id'] === id && s.kind === SPAN_KIND_SERVER),
    );
  });
});

describe('content capture', () => {
  test('TOKGATE_OTEL_CAPTURE_CONTENT=true records the prompt and the answer as GenAI messages', async () => {
    const local = await startTestGateway({
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      TOKGATE_OTEL_CAPTURE_CONTENT: 'true',
    });
    try {
      fake.options = { reply: 'Bonjour.' };
      const res = await local.call('/v1/chat/completions', {
        method: 'POST',
        key: (await local.createKey()).key,
        json: { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'Say hello in French' }] },
      });
      assert.equal(res.status, 200);
      const { server } = await spansOf(res.headers.get('x-request-id')!, 1);
      assert.deepEqual(JSON.parse(String(server.attributes['gen_ai.input.messages'])), [
        { role: 'user', parts: [{ type: 'text', content: 'Say hello in French' }] },
      ]);
      assert.deepEqual(JSON.parse(String(server.attributes['gen_ai.output.messages'])), [
        { role: 'assistant', parts: [{ type: 'text', content: 'Bonjour.' }], finish_reason: 'stop' },
      ]);
    } finally {
      fake.options = {};
      await local.close();
    }
  });
});
