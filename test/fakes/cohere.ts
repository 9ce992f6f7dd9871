// A fake Cohere API: a real node:http server on 127.0.0.1 (port 0) that speaks the v2 Chat API
// (`POST /v2/chat`, JSON and SSE), v2 Embed and Rerank (see retrieval.ts), records every request and can be told to fail.
//
// Faithful details of the real API that it reproduces:
// - `Authorization: Bearer <key>`; 401 `{"id","message":"invalid api token"}` otherwise;
// - errors are `{"id", "message"}` with the status;
// - unknown request fields are refused (400 "invalid request: unknown field: ..."), as are `p` outside
//   0.01..0.99, penalties outside 0..1, more than 5 stop sequences, a tool_choice other than REQUIRED/NONE
//   or without tools, a tool message without tool_call_id;
// - answers: `{id, message:{role, content:[{type:'text', text}]} | {role, tool_plan, tool_calls}, finish_reason,
//   usage:{billed_units:{input_tokens, output_tokens}, tokens:{input_tokens, output_tokens}}}`;
// - streams: `event: <type>` + `data: {"type": <type>, ...}` for message-start (with the id), content-start,
//   content-delta, content-end, tool-plan-delta, tool-call-start/delta/end and message-end (finish_reason
//   and usage); no `[DONE]`.
//
// Tokens: the reply is cut with the OpenAI fake's tokenizer; billed input tokens = for each message 3 + the
// words of its text; `tokens.input_tokens` adds 7 for Cohere's own prompt template (seen, not billed).
//
// Faults (`fake.faults`) are shifted one per request, before authentication or any validation.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { countPromptTokens, DEFAULT_REPLY, generate, type RecordedRequest } from './openai.js';
import { fakeCohereEmbed, fakeCohereRerank } from './retrieval.js';

export { DEFAULT_REPLY, type RecordedRequest };

/** Tokens Cohere adds for its prompt template: counted in `tokens`, not in `billed_units`. */
export const TEMPLATE_TOKENS = 7;

export type Fault =
  /** Answers with this status; the default body `{id, message}` fits the status. A string body is sent as is. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Non-stream: 200 with a body that is not JSON. Stream: message-start, then a `data:` line of broken JSON. */
  | { kind: 'invalid-json' }
  /** Stream: message-start, content-start and `afterChunks` deltas, then the socket is destroyed. Non-stream:
   * the socket is destroyed before answering. */
  | { kind: 'drop-mid-stream'; afterChunks: number }
  /** Accepts the request and never answers (until the client aborts, which counts in `aborted`). */
  | { kind: 'hang' }
  /** The generation fails after `afterChunks` deltas: message-end with finish_reason ERROR and `error`
   * (non-stream: an answer with finish_reason ERROR). */
  | { kind: 'generation-error'; afterChunks: number; error?: string };

export interface FakeCohereOptions {
  reply?: string;
  /** When set and the request offers a tool of this name (and the last message is not a tool result), the
   * answer is this tool call (finish_reason TOOL_CALL). */
  toolCall?: { name: string; arguments: Record<string, unknown>; id?: string };
  chunkDelayMs?: number;
  firstByteDelayMs?: number;
}

export interface FakeCohere {
  /** Like COHERE_BASE_URL (`https://api.cohere.com`): http://127.0.0.1:PORT */
  url: string;
  requests: RecordedRequest[];
  faults: Fault[];
  options: FakeCohereOptions;
  aborted: number;
  close(): Promise<void>;
}

const FIELDS = new Set([
  'model',
  'messages',
  'tools',
  'strict_tools',
  'documents',
  'citation_options',
  'response_format',
  'safety_mode',
  'max_tokens',
  'stop_sequences',
  'temperature',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'k',
  'p',
  'logprobs',
  'tool_choice',
  'thinking',
  'priority',
  'stream',
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function defaultMessage(status: number): string {
  switch (status) {
    case 400:
      return 'invalid request: fake fault.';
    case 401:
      return 'invalid api token';
    case 404:
      return "model 'fake' not found, make sure the correct model ID was used and that you have access to the model.";
    case 429:
      return 'You are using a Trial key, which is limited to 10 API calls / minute. (fake fault)';
    case 503:
      return 'service unavailable (fake fault)';
    default:
      return status >= 500
        ? 'internal server error, this has been reported to our developers (fake fault)'
        : `request failed with status ${status} (fake fault)`;
  }
}

function validate(body: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) return `invalid request: unknown field: parameter ${key} is not a valid field`;
  }
  if (typeof body.model !== 'string' || body.model === '') return 'invalid request: model must be specified';
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return 'invalid request: messages must contain at least one message';
  }
  for (const [i, m] of body.messages.entries()) {
    if (!isRecord(m) || !['system', 'user', 'assistant', 'tool'].includes(String(m.role))) {
      return `invalid request: messages[${i}].role must be one of system, user, assistant, tool`;
    }
    if (m.role === 'tool' && (typeof m.tool_call_id !== 'string' || m.tool_call_id === '')) {
      return `invalid request: messages[${i}].tool_call_id is required for tool messages`;
    }
  }
  if (typeof body.p === 'number' && (body.p < 0.01 || body.p > 0.99)) {
    return 'invalid request: p must be between 0.01 and 0.99, inclusive';
  }
  if (typeof body.k === 'number' && (body.k < 0 || body.k > 500)) {
    return 'invalid request: k must be between 0 and 500, inclusive';
  }
  for (const key of ['frequency_penalty', 'presence_penalty']) {
    const v = body[key];
    if (typeof v === 'number' && (v < 0 || v > 1))
      return `invalid request: ${key} must be between 0 and 1, inclusive`;
  }
  if (typeof body.temperature === 'number' && body.temperature < 0) {
    return 'invalid request: temperature must be a non-negative number';
  }
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 5) {
    return 'invalid request: stop_sequences must contain at most 5 sequences';
  }
  if (body.tool_choice !== undefined) {
    if (body.tool_choice !== 'REQUIRED' && body.tool_choice !== 'NONE') {
      return "invalid request: tool_choice must be one of 'REQUIRED', 'NONE'";
    }
    if (!Array.isArray(body.tools) || body.tools.length === 0) {
      return 'invalid request: tool_choice can only be specified when tools are provided';
    }
  }
  return undefined;
}

function chosenToolCall(body: Record<string, unknown>, options: FakeCohereOptions) {
  const call = options.toolCall;
  if (!call || body.tool_choice === 'NONE' || !Array.isArray(body.tools)) return undefined;
  const offered = body.tools.some(
    (t) => isRecord(t) && isRecord(t.function) && t.function.name === call.name,
  );
  const last = (body.messages as unknown[]).at(-1);
  if (!offered || (isRecord(last) && last.role === 'tool')) return undefined;
  return {
    id: call.id ?? `${call.name}_${randomUUID().slice(0, 12)}`,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  };
}

export async function startFakeCohere(options: FakeCohereOptions = {}): Promise<FakeCohere> {
  const open = new Set<ServerResponse>();
  const serverEnded = new WeakSet<ServerResponse>();
  let closing = false;
  const fake: FakeCohere = { url: '', requests: [], faults: [], options, aborted: 0, close };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed)
        sendJson(res, 500, { id: randomUUID(), message: String(error) });
      else res.destroy();
    });
  });

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    res.writeHead(status, { 'content-type': 'application/json', 'x-trace-id': randomUUID(), ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  const sendError = (
    res: ServerResponse,
    status: number,
    message: string,
    headers?: Record<string, string>,
  ) => sendJson(res, status, { id: randomUUID(), message }, headers);

  async function wait(res: ServerResponse, ms: number | undefined): Promise<boolean> {
    if (ms !== undefined && ms > 0) await sleep(ms);
    return !res.destroyed && !res.writableEnded;
  }

  function write(res: ServerResponse, data: string): Promise<boolean> {
    if (res.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => res.write(data, (error) => resolve(!error && !res.destroyed)));
  }

  function endByServer(res: ServerResponse, destroy: boolean) {
    serverEnded.add(res);
    if (destroy) res.destroy();
    else res.end();
  }

  function startStream(res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-trace-id': randomUUID(),
    });
    res.flushHeaders();
  }

  const sse = (event: Record<string, unknown> & { type: string }) =>
    `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const raw = Buffer.concat(parts).toString('utf8');
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Kept as the raw string.
    }
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    fake.requests.push({ method, path, headers: { ...req.headers }, body });
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished && !serverEnded.has(res) && !closing) fake.aborted += 1;
    });

    const fault = fake.faults.shift();
    if (fault?.kind === 'hang') return;
    if (!(await wait(res, fake.options.firstByteDelayMs))) return;
    const streaming = isRecord(body) && body.stream === true;
    if (fault?.kind === 'status') {
      if (fault.body !== undefined) return sendJson(res, fault.status, fault.body, fault.headers);
      return sendError(res, fault.status, defaultMessage(fault.status), fault.headers);
    }
    if (fault?.kind === 'invalid-json') {
      if (!streaming) return sendJson(res, 200, '{"id":"x","message":{"role":"assistant","content":[{"ty');
      startStream(res);
      await write(
        res,
        sse({ id: randomUUID(), type: 'message-start', delta: { message: { role: 'assistant' } } }),
      );
      await write(res, 'event: content-delta\ndata: {"type":"content-delta","index":0,"delta":{"mess\n\n');
      return endByServer(res, false);
    }
    if (fault?.kind === 'drop-mid-stream' && !streaming) return endByServer(res, true);

    const retrieval = path === '/v2/embed' || path === '/v2/rerank';
    if (method !== 'POST' || (path !== '/v2/chat' && !retrieval))
      return sendError(res, 404, `no route for ${method} ${path}`);
    const auth = req.headers.authorization ?? '';
    if (!/^Bearer\s+\S+/i.test(auth)) {
      return sendError(res, 401, auth ? 'invalid api token' : 'no api key supplied');
    }
    if (retrieval) {
      const answer = path === '/v2/embed' ? fakeCohereEmbed(body) : fakeCohereRerank(body);
      return sendJson(res, answer.status, answer.body);
    }
    if (!isRecord(body)) return sendError(res, 400, 'invalid request: could not parse the JSON body');
    const invalid = validate(body);
    if (invalid) return sendError(res, 400, invalid);
    await chat(res, body, streaming, fault);
  }

  async function chat(
    res: ServerResponse,
    body: Record<string, unknown>,
    streaming: boolean,
    fault: Fault | undefined,
  ): Promise<void> {
    const stops = Array.isArray(body.stop_sequences)
      ? body.stop_sequences.filter((s) => typeof s === 'string')
      : [];
    const reply = fake.options.reply ?? DEFAULT_REPLY;
    const generation = generate(
      reply,
      typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
      stops,
    );
    const toolCall = chosenToolCall(body, fake.options);
    const failing = fault?.kind === 'generation-error' ? fault : undefined;
    const finishReason = failing
      ? 'ERROR'
      : toolCall
        ? 'TOOL_CALL'
        : generation.finishReason === 'length'
          ? 'MAX_TOKENS'
          : generation.pieces.join('') === reply
            ? 'COMPLETE'
            : 'STOP_SEQUENCE';
    const billedInput = countPromptTokens(body.messages as unknown[]);
    const output = toolCall ? 3 : generation.pieces.length;
    const usage = {
      billed_units: { input_tokens: billedInput, output_tokens: output },
      tokens: { input_tokens: billedInput + TEMPLATE_TOKENS, output_tokens: output },
    };
    const id = randomUUID();
    const toolPlan = toolCall ? `I will use the ${toolCall.function.name} tool.` : '';

    if (!streaming) {
      const message = toolCall
        ? { role: 'assistant', tool_plan: toolPlan, tool_calls: [toolCall] }
        : { role: 'assistant', content: [{ type: 'text', text: generation.pieces.join('') }] };
      return sendJson(res, 200, { id, message, finish_reason: finishReason, usage });
    }

    startStream(res);
    const send = async (event: Record<string, unknown> & { type: string }) =>
      (await wait(res, fake.options.chunkDelayMs)) && (await write(res, sse(event)));
    const start = { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] };
    if (!(await send({ id, type: 'message-start', delta: { message: start } }))) return;
    if (toolCall) {
      for (const word of toolPlan.split(/(?= )/)) {
        if (!(await send({ type: 'tool-plan-delta', delta: { message: { tool_plan: word } } }))) return;
      }
      const first = { ...toolCall, function: { ...toolCall.function, arguments: '' } };
      if (!(await send({ type: 'tool-call-start', index: 0, delta: { message: { tool_calls: first } } })))
        return;
      const args = toolCall.function.arguments;
      const half = Math.ceil(args.length / 2);
      for (const piece of [args.slice(0, half), args.slice(half)]) {
        const delta = { message: { tool_calls: { function: { arguments: piece } } } };
        if (!(await send({ type: 'tool-call-delta', index: 0, delta }))) return;
      }
      if (!(await send({ type: 'tool-call-end', index: 0 }))) return;
    } else {
      const contentStart = { message: { content: { type: 'text', text: '' } } };
      if (!(await send({ type: 'content-start', index: 0, delta: contentStart }))) return;
      const cutAt =
        fault?.kind === 'drop-mid-stream' || fault?.kind === 'generation-error'
          ? fault.afterChunks
          : undefined;
      for (const [i, text] of generation.pieces.entries()) {
        if (cutAt !== undefined && i >= cutAt) break;
        if (!(await send({ type: 'content-delta', index: 0, delta: { message: { content: { text } } } })))
          return;
      }
      if (fault?.kind === 'drop-mid-stream') return endByServer(res, true);
      if (!(await send({ type: 'content-end', index: 0 }))) return;
    }
    const end = failing
      ? {
          finish_reason: 'ERROR',
          error: failing.error ?? 'internal error during generation (fake fault)',
          usage,
        }
      : { finish_reason: finishReason, usage };
    if (!(await send({ type: 'message-end', delta: end }))) return;
    endByServer(res, false);
  }

  async function close(): Promise<void> {
    closing = true;
    const closed = new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
    for (const res of open) serverEnded.add(res);
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
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
