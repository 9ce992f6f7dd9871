// A lean OpenAI-compatible upstream for the benchmark, run in its own child process (so its CPU is counted
// apart from the server under test). Every answer is serialised once and reused:
// - `POST .../chat/completions` without `stream: true`: one canned JSON completion;
// - with `stream: true`: a role chunk, N content chunks, a finish chunk, the usage chunk (only when
//   `stream_options.include_usage` is true, as OpenAI does) and `data: [DONE]`. With `chunkIntervalMs` 0 the
//   whole stream goes out back-to-back in one write; otherwise the role chunk goes out at once and one content
//   chunk follows per tick of a single shared timer (slow streams that stay open, for the memory test).
// - `POST .../embeddings`: one vector of 1536 numbers (text-embedding-3-small's size) per input, as floats or
//   (`encoding_format: "base64"`) as OpenAI's base64 of float32s, with usage.
// The parent sets the mode over IPC ({type:'mode', streamChunks, chunkIntervalMs}) and gets {type:'mode-ok'}.
// The fake ignores the request's model and answers as gpt-4o; it does not send OpenAI's `obfuscation` field.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Mode {
  streamChunks: number;
  chunkIntervalMs: number;
}

const mode: Mode = { streamChunks: 200, chunkIntervalMs: 0 };

const ID = 'chatcmpl-bench';
const CREATED = 1715367049;
const MODEL = 'gpt-4o-2024-08-06';
const FINGERPRINT = 'fp_bench';
const REPLY = 'Hello from the benchmark upstream. It answers quickly and always the same way.';

function usageObject(completionTokens: number) {
  return {
    prompt_tokens: 14,
    completion_tokens: completionTokens,
    total_tokens: 14 + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const JSON_ANSWER = Buffer.from(
  JSON.stringify({
    id: ID,
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: REPLY, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usageObject(REPLY.split(' ').length),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  }),
);

function chunkEvent(delta: object, finishReason: string | null, withUsageKey: boolean): string {
  const chunk: Record<string, unknown> = {
    id: ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: MODEL,
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  if (withUsageKey) chunk.usage = null;
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

interface StreamParts {
  head: Buffer;
  content: Buffer;
  tail: Buffer;
}

const partsCache = new Map<string, StreamParts>();

/** The serialised pieces of a stream: role chunk, one content chunk, and finish + usage + [DONE]. */
function streamParts(chunks: number, includeUsage: boolean): StreamParts {
  const cacheKey = `${chunks}:${includeUsage}`;
  const cached = partsCache.get(cacheKey);
  if (cached) return cached;
  let tail = chunkEvent({}, 'stop', includeUsage);
  if (includeUsage) {
    const usageChunk = {
      id: ID,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: MODEL,
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
      choices: [],
      usage: usageObject(chunks),
    };
    tail += `data: ${JSON.stringify(usageChunk)}\n\n`;
  }
  tail += 'data: [DONE]\n\n';
  const parts = {
    head: Buffer.from(chunkEvent({ role: 'assistant', content: '', refusal: null }, null, includeUsage)),
    content: Buffer.from(chunkEvent({ content: 'token ' }, null, includeUsage)),
    tail: Buffer.from(tail),
  };
  partsCache.set(cacheKey, parts);
  return parts;
}

const wholeCache = new Map<string, Buffer>();

function wholeStream(chunks: number, includeUsage: boolean): Buffer {
  const cacheKey = `${chunks}:${includeUsage}`;
  const cached = wholeCache.get(cacheKey);
  if (cached) return cached;
  const parts = streamParts(chunks, includeUsage);
  const whole = Buffer.concat([parts.head, ...Array<Buffer>(chunks).fill(parts.content), parts.tail]);
  wholeCache.set(cacheKey, whole);
  return whole;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/** Slow streams: one shared timer writes the next content chunk to every open stream. */
interface PacedStream {
  res: ServerResponse;
  parts: StreamParts;
  remaining: number;
}
const paced = new Set<PacedStream>();
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  for (const stream of paced) {
    if (stream.remaining > 0) {
      stream.remaining--;
      stream.res.write(stream.parts.content);
    } else {
      paced.delete(stream);
      stream.res.end(stream.parts.tail);
    }
  }
  if (paced.size === 0 && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

function startPaced(res: ServerResponse, parts: StreamParts, chunks: number, intervalMs: number): void {
  res.writeHead(200, SSE_HEADERS);
  res.write(parts.head);
  const stream: PacedStream = { res, parts, remaining: chunks };
  paced.add(stream);
  res.once('close', () => paced.delete(stream));
  ticker ??= setInterval(tick, intervalMs);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function answer(res: ServerResponse, body: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"The body is not JSON.","type":"invalid_request_error"}}');
    return;
  }
  if (!isObject(parsed) || parsed.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_ANSWER.length });
    res.end(JSON_ANSWER);
    return;
  }
  const options = parsed.stream_options;
  const includeUsage = isObject(options) && options.include_usage === true;
  const { streamChunks, chunkIntervalMs } = mode;
  if (chunkIntervalMs > 0) {
    startPaced(res, streamParts(streamChunks, includeUsage), streamChunks, chunkIntervalMs);
    return;
  }
  res.writeHead(200, SSE_HEADERS);
  res.end(wholeStream(streamChunks, includeUsage));
}

const EMBEDDING_DIMENSIONS = 1536;
const VECTOR = Array.from({ length: EMBEDDING_DIMENSIONS }, (_, i) => Math.fround(Math.sin(i) / 10));
const VECTOR_BASE64 = (() => {
  const bytes = Buffer.alloc(EMBEDDING_DIMENSIONS * 4);
  VECTOR.forEach((v, i) => {
    bytes.writeFloatLE(v, i * 4);
  });
  return bytes.toString('base64');
})();
const embeddingsCache = new Map<string, Buffer>();

/** The answer to `inputs` inputs in one encoding, serialised once. */
function embeddingsAnswer(inputs: number, base64: boolean): Buffer {
  const key = `${inputs}:${base64}`;
  let answer = embeddingsCache.get(key);
  if (!answer) {
    const embedding = base64 ? VECTOR_BASE64 : VECTOR;
    answer = Buffer.from(
      JSON.stringify({
        object: 'list',
        data: Array.from({ length: inputs }, (_, index) => ({ object: 'embedding', index, embedding })),
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: inputs * 40, total_tokens: inputs * 40 },
      }),
    );
    embeddingsCache.set(key, answer);
  }
  return answer;
}

function embed(res: ServerResponse, body: string): void {
  const parsed: unknown = JSON.parse(body);
  const input = isObject(parsed) ? parsed.input : undefined;
  const inputs = Array.isArray(input) ? input.length : 1;
  const base64 = isObject(parsed) && parsed.encoding_format === 'base64';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(embeddingsAnswer(inputs, base64));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'POST' && req.url?.endsWith('/embeddings')) {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => embed(res, Buffer.concat(parts).toString()));
    return;
  }
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"Not found.","type":"invalid_request_error"}}');
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () =>
    answer(res, parts.length === 1 ? parts[0]!.toString() : Buffer.concat(parts).toString()),
  );
}

const server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, handle);
server.maxRequestsPerSocket = 0;

process.on('message', (message: unknown) => {
  if (!isObject(message) || message.type !== 'mode') return;
  if (typeof message.streamChunks === 'number') mode.streamChunks = message.streamChunks;
  if (typeof message.chunkIntervalMs === 'number') mode.chunkIntervalMs = message.chunkIntervalMs;
  process.send?.({ type: 'mode-ok' });
});
// The parent is gone (even killed): never outlive it.
process.on('disconnect', () => process.exit(0));

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  if (process.send) process.send({ type: 'ready', port });
  else process.stdout.write(`fake upstream on http://127.0.0.1:${port}/v1\n`);
});
