// A lean OpenAI-compatible and Anthropic-compatible upstream for the benchmark, run in its own child process
// (so its CPU is counted apart from the server under test). Every answer is serialised once and reused:
// - `POST .../chat/completions` without `stream: true`: one canned JSON completion;
// - with `stream: true`: a role chunk, N content chunks, a finish chunk, the usage chunk (only when
//   `stream_options.include_usage` is true, as OpenAI does) and `data: [DONE]`;
// - `POST .../v1/messages` (Anthropic's Messages API; `anthropic-version` required, as Anthropic does):
//   one canned message, or with `stream: true` the events of test/fakes/anthropic.ts's wire format:
//   message_start, content_block_start, ping, N content_block_delta (text_delta), content_block_stop,
//   message_delta (stop_reason, usage.output_tokens N), message_stop, each `event:` named as its `type`.
// With `chunkIntervalMs` 0 a whole stream goes out back-to-back in one write; otherwise its head (role chunk,
// or message_start to ping) goes out at once and one content chunk or delta follows per tick of a single
// shared timer (slow streams that stay open, for the memory test).
// - `POST .../v1/responses` (OpenAI's Responses API): one canned Response, or with `stream: true`
//   response.created, response.in_progress, output_item.added, content_part.added, N output_text.delta,
//   output_text.done, content_part.done, output_item.done, response.completed (sequence numbers counted over
//   the head and tail; the cached deltas all carry one, which no reader of this bench checks).
// - `POST .../rerank` (Jina's shape): every document scored, best first, cut to `top_n`, with usage.
// - `POST .../embeddings`: one vector of 1536 numbers (text-embedding-3-small's size) per input, as floats or
//   (`encoding_format: "base64"`) as OpenAI's base64 of float32s, with usage.
// The parent sets the mode over IPC ({type:'mode', streamChunks, chunkIntervalMs}) and gets {type:'mode-ok'}.
// The fake ignores the request's model and answers as gpt-4o or claude-sonnet-4-5; it does not send OpenAI's
// `obfuscation` field, nor validate more of a request than `stream`, `stream_options` and the Anthropic
// version header (it is the cheap end of the measurement, not a test fake).

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

function wholeStream(cacheKey: string, parts: StreamParts, chunks: number): Buffer {
  const cached = wholeCache.get(cacheKey);
  if (cached) return cached;
  const whole = Buffer.concat([parts.head, ...Array<Buffer>(chunks).fill(parts.content), parts.tail]);
  wholeCache.set(cacheKey, whole);
  return whole;
}

const ANTHROPIC_MODEL = 'claude-sonnet-4-5-20250929';
const MESSAGE_ID = 'msg_01Bench';

function anthropicUsage(outputTokens: number) {
  return {
    input_tokens: 14,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

const MESSAGE_ANSWER = Buffer.from(
  JSON.stringify({
    id: MESSAGE_ID,
    type: 'message',
    role: 'assistant',
    model: ANTHROPIC_MODEL,
    content: [{ type: 'text', text: REPLY }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(REPLY.split(' ').length),
  }),
);

/** One Anthropic SSE event: the `event:` name is the JSON's `type`. */
function anthropicEvent(data: { type: string } & Record<string, unknown>): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The serialised pieces of a Messages stream: message_start to ping, one text delta, and the end. */
function messageStreamParts(deltas: number): StreamParts {
  const cacheKey = `messages:${deltas}`;
  const cached = partsCache.get(cacheKey);
  if (cached) return cached;
  const start = {
    type: 'message_start',
    message: {
      id: MESSAGE_ID,
      type: 'message',
      role: 'assistant',
      model: ANTHROPIC_MODEL,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsage(1),
    },
  };
  const parts = {
    head: Buffer.from(
      anthropicEvent(start) +
        anthropicEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
        anthropicEvent({ type: 'ping' }),
    ),
    content: Buffer.from(
      anthropicEvent({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'token ' },
      }),
    ),
    tail: Buffer.from(
      anthropicEvent({ type: 'content_block_stop', index: 0 }) +
        anthropicEvent({
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: deltas },
        }) +
        anthropicEvent({ type: 'message_stop' }),
    ),
  };
  partsCache.set(cacheKey, parts);
  return parts;
}

const RESPONSE_ID = 'resp_bench';
const ITEM_ID = 'msg_bench';

/** What a Response echoes of its request, as OpenAI's do (instructions, tools and the settings asked for). */
type ResponseEcho = Record<string, unknown>;

function responseObject(
  status: string,
  text: string | undefined,
  outputTokens: number,
  echo: ResponseEcho = {},
) {
  const done = text !== undefined;
  return {
    ...echo,
    id: RESPONSE_ID,
    object: 'response',
    created_at: CREATED,
    status,
    error: null,
    incomplete_details: null,
    model: MODEL,
    output: done
      ? [
          {
            id: ITEM_ID,
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [outputText(text)],
          },
        ]
      : [],
    parallel_tool_calls: true,
    store: echo.store ?? true,
    tools: echo.tools ?? [],
    ...(done
      ? {
          usage: {
            input_tokens: 14,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 14 + outputTokens,
          },
        }
      : {}),
  };
}

const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

const RESPONSE_ANSWER = Buffer.from(
  JSON.stringify(responseObject('completed', REPLY, REPLY.split(' ').length)),
);

/** The serialised pieces of a Responses stream: created to content_part.added, one delta, and the end. */
function responseStreamParts(deltas: number, echo: ResponseEcho = {}, echoKey = ''): StreamParts {
  const cacheKey = `responses:${deltas}:${echoKey}`;
  const cached = partsCache.get(cacheKey);
  if (cached) return cached;
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`;
  const at = { item_id: ITEM_ID, output_index: 0, content_index: 0 };
  const text = 'token '.repeat(deltas);
  const head =
    event('response.created', { response: responseObject('in_progress', undefined, 0, echo) }) +
    event('response.in_progress', { response: responseObject('in_progress', undefined, 0, echo) }) +
    event('response.output_item.added', {
      output_index: 0,
      item: { id: ITEM_ID, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
    }) +
    event('response.content_part.added', { ...at, part: outputText('') });
  const content = event('response.output_text.delta', { ...at, delta: 'token ', logprobs: [] });
  const tail =
    event('response.output_text.done', { ...at, text, logprobs: [] }) +
    event('response.content_part.done', { ...at, part: outputText(text) }) +
    event('response.output_item.done', {
      output_index: 0,
      item: {
        id: ITEM_ID,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [outputText(text)],
      },
    }) +
    event('response.completed', { response: responseObject('completed', text, deltas, echo) });
  const parts = { head: Buffer.from(head), content: Buffer.from(content), tail: Buffer.from(tail) };
  partsCache.set(cacheKey, parts);
  return parts;
}

/** The members of a request a Response echoes, when it has any (an agent's tools and instructions). */
const ECHOED = ['instructions', 'tools', 'store', 'reasoning', 'prompt_cache_key'] as const;

function answerResponses(res: ServerResponse, body: Record<string, unknown>): void {
  if (body.stream !== true) {
    sendJson(res, RESPONSE_ANSWER);
    return;
  }
  const echo: ResponseEcho = {};
  for (const key of ECHOED) if (body[key] !== undefined) echo[key] = body[key];
  // Built once per distinct echo (the bench sends one body per cell), as the plain answers are.
  const echoKey = Object.keys(echo).length === 0 ? '' : JSON.stringify(echo);
  const parts = responseStreamParts(mode.streamChunks, echo, echoKey);
  sendStream(res, `responses:${echoKey}`, parts);
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

function startPaced(
  res: ServerResponse,
  parts: StreamParts,
  chunks: number,
  intervalMs: number,
  headers: Record<string, string>,
): void {
  res.writeHead(200, headers);
  res.write(parts.head);
  const stream: PacedStream = { res, parts, remaining: chunks };
  paced.add(stream);
  res.once('close', () => paced.delete(stream));
  ticker ??= setInterval(tick, intervalMs);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function badRequest(res: ServerResponse, anthropic: boolean, message: string): void {
  res.writeHead(400, { 'content-type': 'application/json' });
  const error = { type: 'invalid_request_error', message };
  res.end(JSON.stringify(anthropic ? { type: 'error', error } : { error }));
}

function sendJson(res: ServerResponse, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, ...headers });
  res.end(body);
}

function sendStream(res: ServerResponse, cacheKey: string, parts: StreamParts, headers = SSE_HEADERS): void {
  const { streamChunks, chunkIntervalMs } = mode;
  if (chunkIntervalMs > 0) {
    startPaced(res, parts, streamChunks, chunkIntervalMs, headers);
    return;
  }
  res.writeHead(200, headers);
  res.end(wholeStream(`${cacheKey}:${streamChunks}`, parts, streamChunks));
}

function answerChat(res: ServerResponse, body: Record<string, unknown>): void {
  if (body.stream !== true) {
    sendJson(res, JSON_ANSWER);
    return;
  }
  const options = body.stream_options;
  const includeUsage = isObject(options) && options.include_usage === true;
  sendStream(res, `chat:${includeUsage}`, streamParts(mode.streamChunks, includeUsage));
}

const MESSAGE_HEADERS = { 'request-id': 'req_011Bench' };
const MESSAGE_SSE_HEADERS = { ...SSE_HEADERS, ...MESSAGE_HEADERS };

function answerMessages(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
  if (typeof req.headers['anthropic-version'] !== 'string') {
    badRequest(res, true, 'anthropic-version: header is required');
    return;
  }
  if (body.stream !== true) {
    sendJson(res, MESSAGE_ANSWER, MESSAGE_HEADERS);
    return;
  }
  sendStream(res, 'messages', messageStreamParts(mode.streamChunks), MESSAGE_SSE_HEADERS);
}

type Api = 'chat' | 'messages' | 'responses';

function answer(req: IncomingMessage, res: ServerResponse, text: string, api: Api): void {
  const messages = api === 'messages';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    badRequest(res, messages, 'The body is not JSON.');
    return;
  }
  if (!isObject(parsed)) badRequest(res, messages, 'The body is not a JSON object.');
  else if (messages) answerMessages(req, res, parsed);
  else if (api === 'responses') answerResponses(res, parsed);
  else answerChat(res, parsed);
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

/** Jina's rerank answer: scores falling with the index (the fake ranks in input order), cut to top_n. */
function rerank(res: ServerResponse, body: string): void {
  const parsed: unknown = JSON.parse(body);
  const documents = isObject(parsed) && Array.isArray(parsed.documents) ? parsed.documents.length : 0;
  const topN = isObject(parsed) && typeof parsed.top_n === 'number' ? parsed.top_n : documents;
  const results = Array.from({ length: Math.min(topN, documents) }, (_, index) => ({
    index,
    relevance_score: 1 - index / (documents + 1),
  }));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      model: 'jina-reranker-v2-base-multilingual',
      usage: { total_tokens: documents * 50 },
      results,
    }),
  );
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'POST' && req.url?.endsWith('/rerank')) {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => rerank(res, Buffer.concat(parts).toString()));
    return;
  }
  if (req.method === 'POST' && req.url?.endsWith('/embeddings')) {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => embed(res, Buffer.concat(parts).toString()));
    return;
  }
  const url = req.url ?? '';
  const api: Api | undefined = url.endsWith('/v1/messages')
    ? 'messages'
    : url.endsWith('/v1/responses')
      ? 'responses'
      : url.endsWith('/chat/completions')
        ? 'chat'
        : undefined;
  if (req.method !== 'POST' || api === undefined) {
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"Not found.","type":"invalid_request_error"}}');
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () =>
    answer(req, res, parts.length === 1 ? parts[0]!.toString() : Buffer.concat(parts).toString(), api),
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
