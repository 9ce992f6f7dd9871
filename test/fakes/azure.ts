// A fake Azure OpenAI resource: a real node:http server on 127.0.0.1 (port 0) that speaks the OpenAI chat
// completions format at Azure's deployment URLs
// (`POST /openai/deployments/{deployment}/chat/completions?api-version=...`, and `/embeddings` as OpenAI's,
// see retrieval.ts) and the Responses API on its v1 surface (`POST /openai/v1/responses`, see
// responses-api.ts), records every request (with
// its query string in `path`) and can be told to fail.
//
// Faithful details of the real service that it reproduces:
// - auth by `api-key` header: 401 `{"error":{"code":"401","message":"Access denied due to invalid
//   subscription key or wrong API endpoint..."}}` without one;
// - `api-version` is required (404 `Resource not found` without it); unknown deployments are 404
//   `DeploymentNotFound`; answers name the deployed model (`gpt-4o-2024-11-20`), not the deployment;
// - content filtering: answers carry `prompt_filter_results` and per-choice `content_filter_results`;
//   streams start with a chunk that has only `prompt_filter_results` (`id: ''`, `created: 0`, `model: ''`,
//   `object: ''`, `choices: []`); a prompt containing `options.blockedWord` is refused with 400 code
//   `content_filter` and `innererror.code` `ResponsibleAIPolicyViolation`; `options.filterAfter` cuts the
//   answer after that many tokens with finish_reason `content_filter`;
// - the `developer` role is refused (400 invalid_value) before api-version 2024-12-01-preview;
// - an argument OpenAI does not define is refused: 400 "Unrecognized request argument supplied: <name>"
//   (Azure's own extensions such as `data_sources` are accepted).
//
// Tokens, stop and max_tokens work as in the OpenAI fake (same tokenizer and counting).
// Faults (`fake.faults`) are shifted one per request, before authentication or any validation.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { OPENAI_CHAT_PARAMETERS } from '../../src/providers/parameter-rules.js';
import { countPromptTokens, DEFAULT_REPLY, generate, type RecordedRequest } from './openai.js';
import { fakeResponsesAnswer, responsesEvent } from './responses-api.js';
import { fakeEmbeddings } from './retrieval.js';

export { DEFAULT_REPLY, type RecordedRequest };

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'invalid-json' }
  | { kind: 'drop-mid-stream'; afterChunks: number }
  | { kind: 'hang' };

export interface FakeAzureOptions {
  reply?: string;
  /** deployment → model (default `{ 'gpt-4o': 'gpt-4o-2024-11-20' }`). */
  deployments?: Record<string, string>;
  /** A prompt containing this word is refused by the prompt filter (default 'forbidden-topic'). */
  blockedWord?: string;
  /** The completion filter cuts the answer after this many tokens (finish_reason content_filter). */
  filterAfter?: number;
  chunkDelayMs?: number;
  firstByteDelayMs?: number;
}

export interface FakeAzure {
  /** Like AZURE_OPENAI_ENDPOINT (`https://<resource>.openai.azure.com`): http://127.0.0.1:PORT */
  url: string;
  requests: RecordedRequest[];
  faults: Fault[];
  options: FakeAzureOptions;
  aborted: number;
  close(): Promise<void>;
}

const AZURE_EXTENSIONS = ['data_sources', 'user_security_context'];
const KNOWN = new Set<string>([...OPENAI_CHAT_PARAMETERS, ...AZURE_EXTENSIONS]);
const SYSTEM_FINGERPRINT = 'fp_azure_fake';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const safe = { filtered: false, severity: 'safe' };
const notDetected = { filtered: false, detected: false };
export const PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: {
      hate: safe,
      jailbreak: notDetected,
      self_harm: safe,
      sexual: safe,
      violence: safe,
    },
  },
];
export const CONTENT_FILTER_RESULTS = {
  hate: safe,
  protected_material_code: notDetected,
  protected_material_text: notDetected,
  self_harm: safe,
  sexual: safe,
  violence: safe,
};
export const FILTERED_RESULTS = {
  ...CONTENT_FILTER_RESULTS,
  violence: { filtered: true, severity: 'medium' },
};

function azureError(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}

function openaiError(message: string, param: string | null, code: string | null) {
  return { error: { message, type: 'invalid_request_error', param, code } };
}

function defaultError(status: number) {
  switch (status) {
    case 401:
      return azureError(
        '401',
        'Access denied due to invalid subscription key or wrong API endpoint. (fake fault)',
      );
    case 404:
      return azureError(
        'DeploymentNotFound',
        'The API deployment for this resource does not exist. (fake fault)',
      );
    case 429:
      return azureError(
        '429',
        'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. (fake fault)',
      );
    default:
      return status >= 500
        ? {
            error: {
              message: 'The server had an error processing your request. (fake fault)',
              type: 'server_error',
              param: null,
              code: null,
            },
          }
        : openaiError(`Request failed with status ${status} (fake fault).`, null, null);
  }
}

const id = () => `chatcmpl-${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;

export async function startFakeAzure(options: FakeAzureOptions = {}): Promise<FakeAzure> {
  const open = new Set<ServerResponse>();
  const serverEnded = new WeakSet<ServerResponse>();
  let closing = false;
  const fake: FakeAzure = { url: '', requests: [], faults: [], options, aborted: 0, close };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, openaiError(String(error), null, null));
      else res.destroy();
    });
  });

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    res.writeHead(status, {
      'content-type': 'application/json',
      'apim-request-id': randomBytes(16).toString('hex'),
      'x-request-id': randomBytes(16).toString('hex'),
      ...headers,
    });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  async function wait(res: ServerResponse, ms: number | undefined): Promise<boolean> {
    if (ms !== undefined && ms > 0) await sleep(ms);
    return !res.destroyed && !res.writableEnded;
  }

  function write(res: ServerResponse, data: string): Promise<boolean> {
    if (res.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => res.write(data, (error) => resolve(!error && !res.destroyed)));
  }

  function endByServer(res: ServerResponse, destroy: boolean, data?: string) {
    serverEnded.add(res);
    if (destroy) res.destroy();
    else res.end(data);
  }

  function startStream(res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'apim-request-id': randomBytes(16).toString('hex'),
    });
    res.flushHeaders();
  }

  /**
   * The Responses API on Azure's v1 surface (`POST /openai/v1/responses`, no api-version needed): the
   * deployment is the body's `model`, and the answer names the deployment's model.
   */
  async function responses(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (!req.headers['api-key'])
      return sendJson(res, 401, azureError('401', 'Access denied due to invalid subscription key.'));
    const deployment = isRecord(body) ? String(body.model) : '';
    const model = (fake.options.deployments ?? { 'gpt-4o': 'gpt-4o-2024-11-20' })[deployment];
    if (!model)
      return sendJson(
        res,
        404,
        azureError('DeploymentNotFound', 'The API deployment for this resource does not exist.'),
      );
    const answer = fakeResponsesAnswer({ ...(body as Record<string, unknown>), model }, fake.options);
    if (answer.kind === 'error') return sendJson(res, answer.status, answer.body);
    if ((body as { stream?: unknown }).stream !== true) return sendJson(res, 200, answer.response);
    startStream(res);
    for (const event of answer.events) if (!(await write(res, responsesEvent(event)))) return;
    return endByServer(res, false);
  }

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
    const url = new URL(req.url ?? '/', 'http://fake');
    fake.requests.push({ method, path: url.pathname + url.search, headers: { ...req.headers }, body });
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished && !serverEnded.has(res) && !closing) fake.aborted += 1;
    });

    const fault = fake.faults.shift();
    if (fault?.kind === 'hang') return;
    if (!(await wait(res, fake.options.firstByteDelayMs))) return;
    const streaming = isRecord(body) && body.stream === true;
    if (fault?.kind === 'status')
      return sendJson(res, fault.status, fault.body ?? defaultError(fault.status), fault.headers);
    if (fault?.kind === 'invalid-json') {
      if (!streaming) return sendJson(res, 200, '{"choices":[{"content_filter_results":{},"ind');
      startStream(res);
      await write(
        res,
        `data: ${JSON.stringify({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: PROMPT_FILTER_RESULTS })}\n\n`,
      );
      await write(res, 'data: {"choices":[{"delta":{"content":"Hel\n\n');
      return endByServer(res, false);
    }
    if (fault?.kind === 'drop-mid-stream' && !streaming) return endByServer(res, true);

    if (url.pathname === '/openai/v1/responses' && method === 'POST') return responses(req, res, body);
    const route = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(url.pathname);
    const apiVersion = url.searchParams.get('api-version');
    if (method !== 'POST' || !route || !apiVersion)
      return sendJson(res, 404, azureError('404', 'Resource not found'));
    if (!req.headers['api-key'] && !/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) {
      return sendJson(
        res,
        401,
        azureError(
          '401',
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
        ),
      );
    }
    const model = (fake.options.deployments ?? { 'gpt-4o': 'gpt-4o-2024-11-20' })[
      decodeURIComponent(route[1] ?? '')
    ];
    if (!model) {
      return sendJson(
        res,
        404,
        azureError(
          'DeploymentNotFound',
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
        ),
      );
    }
    if (route[2] === 'embeddings') {
      // Azure's embeddings are OpenAI's at the deployment's URL; the answer names the deployment's model.
      const answer = fakeEmbeddings('openai', isRecord(body) ? { ...body, model } : body);
      return sendJson(res, answer.status, answer.body);
    }
    if (!isRecord(body) || !Array.isArray(body.messages)) {
      return sendJson(
        res,
        400,
        openaiError("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter'),
      );
    }
    for (const key of Object.keys(body)) {
      if (!KNOWN.has(key))
        return sendJson(res, 400, openaiError(`Unrecognized request argument supplied: ${key}`, null, null));
    }
    if (apiVersion < '2024-12-01') {
      const at = body.messages.findIndex((m) => isRecord(m) && m.role === 'developer');
      if (at >= 0) {
        return sendJson(
          res,
          400,
          openaiError(
            "Invalid value: 'developer'. Supported values are: 'system', 'assistant', 'user', 'function', and 'tool'.",
            `messages[${at}].role`,
            'invalid_value',
          ),
        );
      }
    }
    const blocked = fake.options.blockedWord ?? 'forbidden-topic';
    if (JSON.stringify(body.messages).includes(blocked)) {
      return sendJson(res, 400, {
        error: {
          message:
            "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
          type: null,
          param: 'prompt',
          code: 'content_filter',
          status: 400,
          innererror: {
            code: 'ResponsibleAIPolicyViolation',
            content_filter_result: PROMPT_FILTER_RESULTS[0]?.content_filter_results,
          },
        },
      });
    }
    await chat(res, body, model, streaming, fault);
  }

  async function chat(
    res: ServerResponse,
    body: Record<string, unknown>,
    model: string,
    streaming: boolean,
    fault: Fault | undefined,
  ): Promise<void> {
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
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
    let { pieces, finishReason } = generation;
    const filterAfter = fake.options.filterAfter;
    const filtered = filterAfter !== undefined && filterAfter < pieces.length;
    if (filtered) {
      pieces = pieces.slice(0, filterAfter);
      finishReason = 'content_filter';
    }
    const promptTokens = countPromptTokens(body.messages as unknown[]);
    // `n` choices, each the same text (interleaved by index when streaming), all billed.
    const n = typeof body.n === 'number' && body.n > 1 ? body.n : 1;
    const indexes = Array.from({ length: n }, (_, i) => i);
    const usage = {
      completion_tokens: pieces.length * n,
      completion_tokens_details: {
        accepted_prediction_tokens: 0,
        audio_tokens: 0,
        reasoning_tokens: 0,
        rejected_prediction_tokens: 0,
      },
      prompt_tokens: promptTokens,
      prompt_tokens_details: { audio_tokens: 0, cached_tokens: 0 },
      total_tokens: promptTokens + pieces.length * n,
    };
    const chatId = id();
    const created = Math.floor(Date.now() / 1000);
    const choiceFilter = filtered ? FILTERED_RESULTS : CONTENT_FILTER_RESULTS;

    if (!streaming) {
      return sendJson(res, 200, {
        choices: indexes.map((index) => ({
          content_filter_results: choiceFilter,
          finish_reason: finishReason,
          index,
          logprobs: null,
          message: { annotations: [], content: pieces.join(''), refusal: null, role: 'assistant' },
        })),
        created,
        id: chatId,
        model,
        object: 'chat.completion',
        prompt_filter_results: PROMPT_FILTER_RESULTS,
        system_fingerprint: SYSTEM_FINGERPRINT,
        usage,
      });
    }

    startStream(res);
    const send = async (chunk: Record<string, unknown>) =>
      (await wait(res, fake.options.chunkDelayMs)) &&
      (await write(res, `data: ${JSON.stringify(chunk)}\n\n`));
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      choices,
      created,
      id: chatId,
      model,
      object: 'chat.completion.chunk',
      system_fingerprint: SYSTEM_FINGERPRINT,
      ...extra,
    });
    const first = {
      choices: [],
      created: 0,
      id: '',
      model: '',
      object: '',
      prompt_filter_results: PROMPT_FILTER_RESULTS,
    };
    if (!(await send(first))) return;
    for (const index of indexes) {
      const role = {
        content_filter_results: {},
        delta: { content: '', refusal: null, role: 'assistant' },
        finish_reason: null,
        index,
        logprobs: null,
      };
      if (!(await send(chunk([role])))) return;
    }
    for (const [i, content] of pieces.entries()) {
      if (fault?.kind === 'drop-mid-stream' && i >= fault.afterChunks) return endByServer(res, true);
      const filterResults = filtered && i === pieces.length - 1 ? FILTERED_RESULTS : CONTENT_FILTER_RESULTS;
      for (const index of indexes) {
        const choice = {
          content_filter_results: filterResults,
          delta: { content },
          finish_reason: null,
          index,
          logprobs: null,
        };
        if (!(await send(chunk([choice])))) return;
      }
    }
    for (const index of indexes) {
      const finish = {
        content_filter_results: {},
        delta: {},
        finish_reason: finishReason,
        index,
        logprobs: null,
      };
      if (!(await send(chunk([finish])))) return;
    }
    const streamOptions = body.stream_options;
    if (
      isRecord(streamOptions) &&
      streamOptions.include_usage === true &&
      !(await send(chunk([], { usage })))
    )
      return;
    endByServer(res, false, 'data: [DONE]\n\n');
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
