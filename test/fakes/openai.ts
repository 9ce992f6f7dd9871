// A fake OpenAI-compatible upstream: a real node:http server on 127.0.0.1 (port 0) that speaks OpenAI's wire
// format for `POST /v1/chat/completions`, `POST /v1/responses` (see responses-api.ts), `POST /v1/embeddings`
// (and Jina's or Voyage's `/v1/rerank`, see retrieval.ts) and `GET /v1/models`, records every request and
// can be told to fail.
//
// The fake's "tokenizer": a token is a word of the reply split on single spaces, emitted with its trailing
// space, so the tokens concatenate back to the reply exactly ('Hi there.' → 'Hi ', 'there.').
// - completion_tokens = tokens emitted (summed over the `n` choices);
// - prompt_tokens = for each message, 3 + the whitespace-separated words of its content (a string, or the
//   `text` of its text parts); nothing else (names, tool calls, images) counts.
//
// Faithful details of the real API that it reproduces:
// - non-stream answers carry `refusal: null`, `annotations: []`, `logprobs: null`, full usage details,
//   `service_tier` and `system_fingerprint`;
// - stream chunks carry `logprobs: null`, `usage: null` (only when `stream_options.include_usage` is true;
//   the key is absent otherwise) and an `obfuscation` padding string (random characters, as OpenAI sends by
//   default; omitted when `stream_options.include_obfuscation` is false);
// - `stream_options` on a request without `stream: true` is a 400 `invalid_request_error` (param
//   `stream_options`), as OpenAI answers;
// - every answer carries an `x-request-id: req_...` header.
//
// Faults (`fake.faults`) are shifted one per request, whatever its path, before authentication or any
// validation, and the request is recorded first.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatChunk, ChatResponse, ChunkChoice, Usage } from '../../src/core/types.js';
import { Exchange, parseBody, readBody } from './exchange.js';
import { DEFAULT_REPLY, generate, tokenize } from './generation.js';
import { fakeResponsesAnswer, responsesEvent } from './responses-api.js';
import { fakeEmbeddings, fakeRerank, type RetrievalDialect } from './retrieval.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the raw string if not JSON (the empty string for a request without a body). */
  body: unknown;
  /** The body's text as it came (this fake's requests; the others do not keep it). */
  raw?: string;
}

export type Fault =
  /** Answers with this status; the default body is an OpenAI error body `{error:{message,type,param,code}}`
   * fitting the status. A string body is sent as is. `headers` are added (e.g. `retry-after`). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 200 with `content-type: application/json` and a body that is not JSON (non-stream), or a stream whose
   * second event is a `data:` line with broken JSON, after which the response ends (no `[DONE]`). With
   * `afterChunks`, the broken event comes after the role chunks and that many content chunks. */
  | { kind: 'invalid-json'; afterChunks?: number }
  /** Stream: the role chunks and `afterChunks` content chunks, then an in-band error event
   * (`data: {"error":{...}}`, as OpenAI sends when it fails mid-stream) and the end. Non-stream: a 500. */
  | { kind: 'error-event'; afterChunks: number }
  /** Stream: the role chunks, then `afterChunks` content chunks, then the socket is destroyed. Non-stream: the
   * socket is destroyed before answering. */
  | { kind: 'drop-mid-stream'; afterChunks: number }
  /** Accepts the request and never answers (until the client aborts, which counts in `aborted`). */
  | { kind: 'hang' }
  /** Destroys the connection before sending anything (a connection reset before the headers). */
  | { kind: 'reset' }
  /** Waits `ms` before the first byte, then answers normally. */
  | { kind: 'slow-first-byte'; ms: number }
  /** Stream: the role chunks and `afterChunks` content chunks, then silence (the connection stays open until the
   * client aborts). Non-stream: like `hang`. */
  | { kind: 'stall-mid-stream'; afterChunks: number }
  /** Stream: a 200 event stream with only `data: [DONE]`. Non-stream: a 200 JSON answer with no choices. */
  | { kind: 'empty-stream' }
  /** Stream: every chunk but the finish chunks (no `finish_reason` ever), then usage if asked and [DONE].
   * Non-stream: the answer with `finish_reason: null`. */
  | { kind: 'no-finish' }
  /** Holds the request until `open` settles (or the client leaves), then answers normally, or with `then`. */
  | { kind: 'gate'; open: Promise<unknown>; then?: Fault };

export interface FakeOpenAIOptions {
  /** Text of every answer; default 'Hello from the fake upstream. It speaks the OpenAI wire format.' */
  reply?: string;
  /** `/v1/embeddings` and `/v1/rerank` answers written in this many writes, 2 ms apart (default one): the
   * gateway then reads them in as many pieces. */
  answerWrites?: number;
  /** Delay before each stream chunk, ms (default 0: chunks are written immediately). */
  chunkDelayMs?: number;
  /** Delay before the first byte of any answer, ms. */
  firstByteDelayMs?: number;
  /** Model ids listed by GET /v1/models (default ['gpt-4o', 'gpt-4o-mini']). Chat answers echo the
   * request's model. */
  models?: string[];
  /** Whose `/v1/embeddings` and `/v1/rerank` the fake speaks (see retrieval.ts); default OpenAI's (no rerank). */
  retrieval?: RetrievalDialect;
  /** Asked for a fault for each request when `faults` is empty (e.g. a seeded random failure rate). */
  chaos?: () => Fault | undefined;
  /** When the request has tools (and tool_choice is not 'none') and does not end with a tool result, answer
   * with this function call (after the reply text when `text` is set), finish_reason 'tool_calls';
   * streamed, the arguments come in 3 pieces. */
  toolCall?: { name?: string; arguments: string; text?: string };
  /** Reasoning text sent beside the answer as `reasoning_content` (as DeepSeek and vLLM do), first; in
   * the Responses API, a reasoning item with this summary. */
  reasoning?: string;
  /** Input tokens the Responses API reports as cached. */
  cachedTokens?: number;
  /** How an OpenAI-compatible vendor departs from OpenAI (see VendorBehaviour); OpenAI's own by default. */
  vendor?: VendorBehaviour;
  /**
   * How prompt_tokens is counted: `words` (the default, see the header), or `o200k` as OpenAI counts a
   * gpt-4o prompt: 3 per message plus the o200k_base tokens of its role and of its text, 3 to prime the reply.
   */
  promptTokens?: 'words' | 'o200k';
}

/**
 * What an OpenAI-compatible vendor does differently, as its API reference says: what it refuses with a 400,
 * how it reports a stream's usage and how its error bodies look. The gateway's vendor table
 * (src/config/vendors.ts) says what tokgate does about it; tests run one against the other.
 */
export interface VendorBehaviour {
  /** Parameters answered with a 400 naming them. */
  rejects?: readonly string[];
  /** `n` above 1 is a 400. */
  singleChoice?: boolean;
  /** More stop sequences than this are a 400. */
  maxStops?: number;
  /** `stream_options` is a 400 (a vendor that does not document it). */
  rejectsStreamOptions?: boolean;
  /**
   * A stream's usage: OpenAI's usage-only chunk when asked (`on-request`, the default), on every chunk
   * unasked (`every-chunk`: Perplexity), on the finish chunk unasked (`finish-chunk`: AI21, Zhipu), or
   * inside the last choice (`in-choice`: Moonshot).
   */
  streamUsage?: 'on-request' | 'every-chunk' | 'finish-chunk' | 'in-choice';
  /** A local server started without a key: requests without Authorization are served. */
  keyless?: boolean;
  /** Error bodies: OpenAI's, Cloudflare's `{errors:[{message,code}],success:false}`, `{error:"..."}`, FastAPI's `{detail:"..."}`. */
  errors?: 'openai' | 'cloudflare' | 'string' | 'detail';
}

/** An OpenAI error body in a vendor's error shape. */
export function inVendorShape(body: ErrorBody, shape: VendorBehaviour['errors']): unknown {
  const { message, code } = body.error;
  switch (shape) {
    case 'cloudflare':
      return { errors: [{ message, code: 5000 }], success: false, result: null, messages: [] };
    case 'string':
      return { error: message };
    case 'detail':
      return { detail: message };
    default:
      return { error: { ...body.error, code } };
  }
}

export { DEFAULT_REPLY, generate, tokenize };

export interface FakeOpenAI {
  /** Base URL including /v1, like OPENAI_BASE_URL: http://127.0.0.1:PORT/v1 */
  url: string;
  requests: RecordedRequest[];
  /** Faults applied to the next requests in order (shift one per request); empty = normal answers. */
  faults: Fault[];
  /** Mutable between requests. */
  options: FakeOpenAIOptions;
  /** Number of requests whose client connection was closed before the answer finished (aborted by the
   * gateway). Sockets the fake destroys itself (`drop-mid-stream`) or on `close()` do not count. */
  aborted: number;
  close(): Promise<void>;
}

const DEFAULT_MODELS = ['gpt-4o', 'gpt-4o-mini'];
const MODEL_CREATED = 1715367049;
const SYSTEM_FINGERPRINT = 'fp_fake';

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function errorBody(
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
): ErrorBody {
  return { error: { message, type, param, code } };
}

/** What OpenAI answers for a status, roughly: used when a `status` fault has no body. */
function defaultErrorBody(status: number): ErrorBody {
  switch (status) {
    case 400:
      return errorBody('Invalid request (fake fault).', 'invalid_request_error');
    case 401:
      return errorBody(
        'Incorrect API key provided (fake fault).',
        'invalid_request_error',
        null,
        'invalid_api_key',
      );
    case 403:
      return errorBody('You are not allowed to access this resource (fake fault).', 'invalid_request_error');
    case 404:
      return errorBody(
        'The model does not exist or you do not have access to it (fake fault).',
        'invalid_request_error',
        null,
        'model_not_found',
      );
    case 429:
      return errorBody(
        'Rate limit reached for requests (fake fault). Please try again in 1s.',
        'requests',
        null,
        'rate_limit_exceeded',
      );
    case 503:
      return errorBody(
        'The engine is currently overloaded, please try again later (fake fault).',
        'server_error',
      );
    default:
      return status >= 500
        ? errorBody(
            'The server had an error while processing your request. Sorry about that! (fake fault)',
            'server_error',
          )
        : errorBody(`Request failed with status ${status} (fake fault).`, 'invalid_request_error');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

/** prompt_tokens as OpenAI counts a gpt-4o chat prompt (the `promptTokens: 'o200k'` option). */
export async function countO200kPromptTokens(messages: readonly unknown[]): Promise<number> {
  // Loaded on first use only (about 70 MB): most suites never ask for it.
  const o200k = await import('gpt-tokenizer/encoding/o200k_base');
  let total = 3;
  for (const message of messages) {
    total += 3;
    if (!isRecord(message)) continue;
    if (typeof message.role === 'string') total += o200k.countTokens(message.role);
    const content = message.content;
    if (typeof content === 'string') total += o200k.countTokens(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (isRecord(part) && part.type === 'text' && typeof part.text === 'string')
          total += o200k.countTokens(part.text);
      }
    }
  }
  return total;
}

/** prompt_tokens: 3 per message plus the words of its string content or of its text parts. */
export function countPromptTokens(messages: readonly unknown[]): number {
  let total = 0;
  for (const message of messages) {
    total += 3;
    if (!isRecord(message)) continue;
    const content = message.content;
    if (typeof content === 'string') total += countWords(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (isRecord(part) && part.type === 'text' && typeof part.text === 'string')
          total += countWords(part.text);
      }
    }
  }
  return total;
}

function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function newId(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function obfuscation(): string {
  const length = 1 + Math.floor(Math.random() * 15);
  return randomBytes(16).toString('base64url').replace(/[-_]/g, 'Z').slice(0, length);
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const exchanges = new Set<Exchange>();
  let closing = false;

  const fake: FakeOpenAI = {
    url: '',
    requests: [],
    faults: [],
    options,
    aborted: 0,
    close,
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, errorBody(`fake upstream crashed: ${String(error)}`, 'server_error'));
      } else res.destroy();
    });
  });

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-request-id': newId('req_', 16),
      ...headers,
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = parseBody(raw);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    fake.requests.push({ method, path, headers: { ...req.headers }, body, raw });

    const exchange = new Exchange(res, () => {
      if (!closing) fake.aborted += 1;
    });
    exchanges.add(exchange);
    res.on('close', () => exchanges.delete(exchange));

    let fault = fake.faults.length > 0 ? fake.faults.shift() : fake.options.chaos?.();
    if (fault?.kind === 'gate') {
      const { signal } = exchange.controller;
      const left = new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      await Promise.race([fault.open, left]);
      if (exchange.gone) return;
      fault = fault.then;
    }
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      exchange.destroy();
      return;
    }
    if (fault?.kind === 'slow-first-byte' && !(await exchange.wait(fault.ms))) return;
    if (!(await exchange.wait(fake.options.firstByteDelayMs))) return;
    const wantsStream = isRecord(body) && body.stream === true;

    if (
      fault &&
      path === '/v1/responses' &&
      (fault.kind === 'error-event' || fault.kind === 'drop-mid-stream')
    ) {
      if (wantsStream) await responses(exchange, body, fault);
      else if (fault.kind === 'drop-mid-stream') exchange.destroy();
      else sendJson(res, 500, defaultErrorBody(500));
      return;
    }
    if (fault) {
      const chat = path === '/v1/chat/completions' && isRecord(body);
      switch (fault.kind) {
        case 'status':
          sendJson(
            res,
            fault.status,
            fault.body ?? inVendorShape(defaultErrorBody(fault.status), fake.options.vendor?.errors),
            fault.headers,
          );
          return;
        case 'invalid-json':
          if (wantsStream && chat && fault.afterChunks !== undefined) {
            await chatCompletion(exchange, body, { breakAfter: fault.afterChunks });
          } else if (wantsStream && path === '/v1/chat/completions') {
            await brokenStream(
              exchange,
              isRecord(body) && typeof body.model === 'string' ? body.model : 'gpt-4o',
            );
          } else sendJson(res, 200, '{"id":"chatcmpl-fake","object":"chat.completion","choices":[{"ind');
          return;
        case 'drop-mid-stream':
          if (wantsStream && chat) {
            await chatCompletion(exchange, body, { dropAfter: fault.afterChunks });
          } else exchange.destroy();
          return;
        case 'stall-mid-stream':
          if (wantsStream && chat) await chatCompletion(exchange, body, { stallAfter: fault.afterChunks });
          return;
        case 'empty-stream':
          if (wantsStream) {
            startStream(res);
            exchange.markServerEnded();
            res.end('data: [DONE]\n\n');
          } else {
            sendJson(res, 200, {
              id: newId('chatcmpl-fake', 18),
              object: 'chat.completion',
              created: Math.floor(Date.now() / 1000),
              model: isRecord(body) ? body.model : 'gpt-4o',
              choices: [],
            });
          }
          return;
        case 'error-event':
          if (wantsStream && chat) await chatCompletion(exchange, body, { errorAfter: fault.afterChunks });
          else sendJson(res, 500, defaultErrorBody(500));
          return;
        case 'no-finish':
          if (chat) {
            await chatCompletion(exchange, body, { noFinish: true });
            return;
          }
          break;
        case 'slow-first-byte':
          break;
      }
    }

    if (path === '/v1/chat/completions' && method === 'POST') {
      if (!authorized(req)) return unauthorized(res, req);
      if (!isRecord(body)) {
        sendJson(
          res,
          400,
          errorBody(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
            'invalid_request_error',
          ),
        );
        return;
      }
      await chatCompletion(exchange, body, {});
      return;
    }
    if (path === '/v1/responses' && method === 'POST') {
      if (!authorized(req)) return unauthorized(res, req);
      await responses(exchange, body, undefined);
      return;
    }
    if ((path === '/v1/embeddings' || path === '/v1/rerank') && method === 'POST') {
      if (!authorized(req)) return unauthorized(res, req);
      const dialect = fake.options.retrieval ?? 'openai';
      const answer = path === '/v1/embeddings' ? fakeEmbeddings(dialect, body) : fakeRerank(dialect, body);
      const writes = fake.options.answerWrites ?? 1;
      if (writes <= 1) {
        sendJson(res, answer.status, answer.body);
        return;
      }
      const text = Buffer.from(JSON.stringify(answer.body));
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': text.length });
      const size = Math.ceil(text.length / writes);
      for (let at = 0; at < text.length; at += size) {
        res.write(text.subarray(at, at + size));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      res.end();
      return;
    }
    if (path === '/v1/models' && method === 'GET') {
      if (!authorized(req)) return unauthorized(res, req);
      const models = fake.options.models ?? DEFAULT_MODELS;
      sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: MODEL_CREATED, owned_by: 'openai' })),
      });
      return;
    }
    sendJson(res, 404, errorBody(`Invalid URL (${method} ${path})`, 'invalid_request_error'));
  }

  function authorized(req: IncomingMessage): boolean {
    if (fake.options.vendor?.keyless && req.headers.authorization === undefined) return true;
    return /^Bearer\s+\S+/i.test(req.headers.authorization ?? '');
  }

  function unauthorized(res: ServerResponse, req: IncomingMessage): void {
    const message = req.headers.authorization
      ? 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.'
      : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
    sendJson(res, 401, errorBody(message, 'invalid_request_error', null, 'invalid_api_key'));
  }

  /**
   * The Responses API (see responses-api.ts); a stream bent by `error-event` ends with `response.failed`
   * after that many text deltas, by `drop-mid-stream` is cut there.
   */
  async function responses(
    exchange: Exchange,
    body: unknown,
    fault: Extract<Fault, { kind: 'error-event' | 'drop-mid-stream' }> | undefined,
  ): Promise<void> {
    const answer = fakeResponsesAnswer(body, fake.options);
    if (answer.kind === 'error') return sendJson(exchange.res, answer.status, answer.body);
    if (!(isRecord(body) && body.stream === true)) return sendJson(exchange.res, 200, answer.response);
    startStream(exchange.res);
    let deltas = 0;
    for (const event of answer.events) {
      if (fault && event.type === 'response.output_text.delta' && deltas++ === fault.afterChunks) {
        if (fault.kind === 'drop-mid-stream') return exchange.destroy();
        const failed = {
          type: 'response.failed',
          sequence_number: event.sequence_number,
          response: {
            ...answer.response,
            status: 'failed',
            output: [],
            usage: null,
            error: { code: 'server_error', message: 'The model failed to generate a response (fake fault).' },
          },
        };
        exchange.markServerEnded();
        exchange.res.end(responsesEvent(failed));
        return;
      }
      if (!(await exchange.wait(fake.options.chunkDelayMs))) return;
      if (!(await exchange.write(responsesEvent(event)))) return;
    }
    exchange.markServerEnded();
    exchange.res.end();
  }

  /** How a fault bends an otherwise normal answer. */
  interface Bend {
    /** Destroy the socket after this many content chunks. */
    dropAfter?: number;
    /** Go silent (connection open) after this many content chunks. */
    stallAfter?: number;
    /** Never send a finish reason. */
    noFinish?: boolean;
    /** Send a broken JSON event after this many content chunks, then end. */
    breakAfter?: number;
    /** Send an in-band error event after this many content chunks, then end. */
    errorAfter?: number;
  }

  /** Validates like OpenAI (the parts a gateway can get wrong), then answers, bent by a fault. */
  async function chatCompletion(
    exchange: Exchange,
    body: Record<string, unknown>,
    bend: Bend,
  ): Promise<void> {
    const { dropAfter, stallAfter, breakAfter, errorAfter, noFinish = false } = bend;
    const { res } = exchange;
    const vendor = fake.options.vendor ?? {};
    const bad = (message: string, param: string | null, code: string | null = null) =>
      sendJson(
        res,
        400,
        inVendorShape(errorBody(message, 'invalid_request_error', param, code), vendor.errors),
      );

    for (const param of vendor.rejects ?? []) {
      if (body[param] !== undefined) return bad(`Unsupported parameter: '${param}'.`, param);
    }
    if (vendor.singleChoice && body.n !== undefined && body.n !== 1) return bad("'n' must be 1.", 'n');
    if (vendor.rejectsStreamOptions && body.stream_options !== undefined) {
      return bad("Unsupported parameter: 'stream_options'.", 'stream_options');
    }
    if (vendor.maxStops !== undefined && Array.isArray(body.stop) && body.stop.length > vendor.maxStops) {
      return bad(`'stop' takes at most ${vendor.maxStops} sequences.`, 'stop');
    }

    if (typeof body.model !== 'string' || body.model === '')
      return bad('you must provide a model parameter', null);
    const model = body.model;
    if (!Array.isArray(body.messages)) {
      return bad("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
    }
    const stream = body.stream === true;
    const streamOptions = body.stream_options;
    if (streamOptions !== undefined && streamOptions !== null && !stream) {
      return bad(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        'stream_options',
      );
    }
    const n = body.n ?? 1;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 128) {
      return bad(`Invalid 'n': expected an integer between 1 and 128, got ${JSON.stringify(n)}.`, 'n');
    }
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (maxTokens !== undefined && maxTokens !== null && (typeof maxTokens !== 'number' || maxTokens < 1)) {
      const param = body.max_completion_tokens == null ? 'max_tokens' : 'max_completion_tokens';
      return bad(`Invalid '${param}': integer below minimum value. Expected a value >= 1.`, param);
    }
    const stop = body.stop;
    const stops =
      typeof stop === 'string'
        ? [stop]
        : Array.isArray(stop)
          ? stop.filter((s) => typeof s === 'string')
          : [];

    const generation = generate(
      fake.options.reply ?? DEFAULT_REPLY,
      typeof maxTokens === 'number' ? maxTokens : undefined,
      stops,
    );
    const prompt =
      fake.options.promptTokens === 'o200k'
        ? await countO200kPromptTokens(body.messages)
        : countPromptTokens(body.messages);
    const usage = usageOf(prompt, generation.pieces.length * n);
    const id = newId('chatcmpl-fake', 18);
    const created = Math.floor(Date.now() / 1000);

    const toolCall =
      fake.options.toolCall &&
      Array.isArray(body.tools) &&
      body.tools.length > 0 &&
      body.tool_choice !== 'none' &&
      // Given a tool's result, a model answers it (an agent loop would otherwise never end).
      (body.messages as Array<{ role?: unknown }>).at(-1)?.role !== 'tool'
        ? {
            id: newId('call_', 24),
            type: 'function' as const,
            function: {
              name:
                fake.options.toolCall.name ??
                String((body.tools[0] as { function?: { name?: unknown } }).function?.name),
              arguments: fake.options.toolCall.arguments,
            },
          }
        : undefined;
    if (toolCall) {
      generation.pieces = tokenize(fake.options.toolCall?.text ?? '');
      generation.finishReason = 'tool_calls';
    }
    const reasoning = fake.options.reasoning;

    if (!stream) {
      const content = generation.pieces.join('');
      const response: ChatResponse = {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: Array.from({ length: n }, (_, index) => ({
          index,
          message: {
            role: 'assistant',
            content: toolCall && content === '' ? null : content,
            refusal: null,
            annotations: [],
            ...(toolCall ? { tool_calls: [toolCall] } : {}),
            ...(reasoning ? { reasoning_content: reasoning } : {}),
          },
          logprobs: null,
          finish_reason: noFinish ? null : generation.finishReason,
        })),
        usage,
        service_tier: 'default',
        system_fingerprint: SYSTEM_FINGERPRINT,
      };
      sendJson(res, 200, response);
      return;
    }

    const usageMode = vendor.streamUsage ?? 'on-request';
    const includeUsage =
      usageMode === 'on-request' && isRecord(streamOptions) && streamOptions.include_usage === true;
    const obfuscate = !(isRecord(streamOptions) && streamOptions.include_obfuscation === false);
    const chunk = (choices: ChunkChoice[], chunkUsage: Usage | null): ChatChunk => {
      const c: ChatChunk = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        service_tier: 'default',
        system_fingerprint: SYSTEM_FINGERPRINT,
        choices,
      };
      if (includeUsage) c.usage = chunkUsage;
      if (obfuscate) c.obfuscation = obfuscation();
      return c;
    };

    const indexes = Array.from({ length: n }, (_, i) => i);
    const roleChunks = indexes.map((index) =>
      chunk(
        [
          {
            index,
            delta: { role: 'assistant', content: '', refusal: null },
            logprobs: null,
            finish_reason: null,
          },
        ],
        null,
      ),
    );
    const contentChunks = generation.pieces.flatMap((content) =>
      indexes.map((index) =>
        chunk([{ index, delta: { content }, logprobs: null, finish_reason: null }], null),
      ),
    );
    if (reasoning) {
      contentChunks.unshift(
        ...tokenize(reasoning).map((piece) =>
          chunk(
            [{ index: 0, delta: { reasoning_content: piece }, logprobs: null, finish_reason: null }],
            null,
          ),
        ),
      );
    }
    if (toolCall) {
      const args = toolCall.function.arguments;
      const third = Math.ceil(args.length / 3);
      const pieces = [args.slice(0, third), args.slice(third, 2 * third), args.slice(2 * third)];
      contentChunks.push(
        chunk(
          [
            {
              index: 0,
              delta: {
                tool_calls: [
                  {
                    index: 0,
                    id: toolCall.id,
                    type: 'function',
                    function: { name: toolCall.function.name, arguments: '' },
                  },
                ],
              },
              logprobs: null,
              finish_reason: null,
            },
          ],
          null,
        ),
        ...pieces.map((piece) =>
          chunk(
            [
              {
                index: 0,
                delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] },
                logprobs: null,
                finish_reason: null,
              },
            ],
            null,
          ),
        ),
      );
    }
    const finishChunks = indexes.map((index) =>
      chunk([{ index, delta: {}, logprobs: null, finish_reason: generation.finishReason }], null),
    );
    // Vendors that report a stream's usage unasked, on their own chunks.
    if (usageMode === 'every-chunk') {
      const all = [...roleChunks, ...contentChunks, ...finishChunks];
      let emitted = 0;
      for (const c of all) {
        if (c.choices[0]?.delta.content) emitted += 1;
        c.usage = usageOf(usage.prompt_tokens, emitted);
      }
    }
    const lastFinish = finishChunks.at(-1);
    if (usageMode === 'finish-chunk' && lastFinish) lastFinish.usage = usage;
    if (usageMode === 'in-choice' && lastFinish?.choices[0]) {
      (lastFinish.choices[0] as unknown as { usage: Usage }).usage = usage;
    }

    startStream(res);
    const send = async (c: ChatChunk): Promise<boolean> => {
      if (!(await exchange.wait(fake.options.chunkDelayMs))) return false;
      return exchange.write(`data: ${JSON.stringify(c)}\n\n`);
    };
    for (const c of roleChunks) if (!(await send(c))) return;
    for (const [i, c] of contentChunks.entries()) {
      if (dropAfter !== undefined && i >= dropAfter) break;
      if (stallAfter !== undefined && i >= stallAfter) return;
      if (breakAfter !== undefined && i >= breakAfter) break;
      if (errorAfter !== undefined && i >= errorAfter) break;
      if (!(await send(c))) return;
    }
    if (breakAfter !== undefined || errorAfter !== undefined) {
      const last =
        breakAfter !== undefined
          ? 'data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","choices":[{"delta":{"content":"Hel\n\n'
          : `data: ${JSON.stringify(defaultErrorBody(500))}\n\n`;
      exchange.markServerEnded();
      res.end(last);
      return;
    }
    if (dropAfter !== undefined) {
      exchange.destroy();
      return;
    }
    if (!noFinish) for (const c of finishChunks) if (!(await send(c))) return;
    if (includeUsage && !(await send(chunk([], usage)))) return;
    exchange.markServerEnded();
    res.end('data: [DONE]\n\n');
  }

  function startStream(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': newId('req_', 16),
    });
    res.flushHeaders();
  }

  async function brokenStream(exchange: Exchange, model: string): Promise<void> {
    const { res } = exchange;
    startStream(res);
    const first: ChatChunk = {
      id: newId('chatcmpl-fake', 18),
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model,
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', content: '', refusal: null },
          logprobs: null,
          finish_reason: null,
        },
      ],
    };
    if (!(await exchange.wait(fake.options.chunkDelayMs))) return;
    if (!(await exchange.write(`data: ${JSON.stringify(first)}\n\n`))) return;
    if (!(await exchange.wait(fake.options.chunkDelayMs))) return;
    res.write(
      'data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","choices":[{"delta":{"content":"Hel\n\n',
    );
    exchange.markServerEnded();
    res.end();
  }

  async function close(): Promise<void> {
    closing = true;
    for (const exchange of exchanges) exchange.markServerEnded();
    const closed = new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
    server.closeAllConnections();
    await closed;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}/v1`;
  return fake;
}
