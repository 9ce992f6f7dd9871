// A fake Amazon Bedrock Runtime: a real node:http server on 127.0.0.1 (port 0) that speaks the Converse API
// (`POST /model/{modelId}/converse` and `/converse-stream`), records every request and can be told to fail.
//
// Faithful details of the real service that it reproduces:
// - every request must carry a valid SigV4 `authorization` header (service `bedrock`, the fake's region):
//   the fake recomputes the signature with the AWS SDK's own signer and the known test secret, and answers
//   403 `InvalidSignatureException` when it differs (403 `UnrecognizedClientException` for an unknown key,
//   403 `MissingAuthenticationTokenException` without one);
// - errors: the status, `x-amzn-errortype: <Type>:http://internal.amazon.com/coral/...` and `{"message"}`;
// - streams are `application/vnd.amazon.eventstream` frames (`:event-type`, `:content-type`,
//   `:message-type` headers, CRC-checked) with the events messageStart, contentBlockStart (tool use only),
//   contentBlockDelta, contentBlockStop, messageStop and metadata, each JSON payload padded with a random
//   `p` field as Bedrock does; failures mid-stream are `exception` frames (`:exception-type`);
// - every answer carries `x-amzn-requestid`;
// - validation the gateway could get wrong: the conversation starts with a user turn, turns alternate,
//   text is never blank, tool blocks need `toolConfig`, temperature/topP within 0..1, maxTokens >= 1.
//
// Tokens: the reply is cut with the OpenAI fake's tokenizer (words split on single spaces); inputTokens =
// for each message 3 + the words of its text and toolResult text blocks, plus the words of the system texts.
//
// Faults (`fake.faults`) are shifted one per request, before authentication or any validation, and the
// request is recorded first.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { DEFAULT_REPLY, generate, type RecordedRequest } from './openai.js';
import { fakeRelevance, fakeTokens, fakeVector } from './retrieval.js';

export { DEFAULT_REPLY, type RecordedRequest };

export const TEST_REGION = 'us-east-1';
export const TEST_ACCESS_KEY_ID = 'AKIAFAKEBEDROCKTEST1';
export const TEST_SECRET_ACCESS_KEY = 'fake/Secret+Access/Key0123456789abcdefghij';

export type BedrockExceptionType =
  | 'internalServerException'
  | 'modelStreamErrorException'
  | 'validationException'
  | 'throttlingException'
  | 'serviceUnavailableException';

export type Fault =
  /** Answers with this status; the default body and `x-amzn-errortype` fit the status (e.g. 429 →
   * ThrottlingException). A string body is sent as is. `headers` are added. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Non-stream: 200 with a body that is not JSON. Stream: messageStart, then a frame whose CRC is wrong. */
  | { kind: 'invalid-json' }
  /** Stream: messageStart and `afterChunks` text deltas, then the socket is destroyed. Non-stream: the socket
   * is destroyed before answering. */
  | { kind: 'drop-mid-stream'; afterChunks: number }
  /** Accepts the request and never answers (until the client aborts, which counts in `aborted`). */
  | { kind: 'hang' }
  /** Stream: messageStart and `afterChunks` text deltas, then an exception frame, then the end. */
  | { kind: 'stream-exception'; exception: BedrockExceptionType; message?: string; afterChunks: number };

export interface FakeBedrockOptions {
  /** Text of every answer; default DEFAULT_REPLY. */
  reply?: string;
  /** When set and the request offers a tool of this name (and the last user turn is not a tool result),
   * the answer is this tool call (stopReason tool_use) instead of text. */
  toolCall?: { name: string; input: Record<string, unknown>; toolUseId?: string };
  /** Delay before each stream event, ms. */
  chunkDelayMs?: number;
  /** Delay before the first byte of any answer, ms. */
  firstByteDelayMs?: number;
}

export interface FakeBedrock {
  /** Like `https://bedrock-runtime.us-east-1.amazonaws.com`: http://127.0.0.1:PORT */
  url: string;
  region: string;
  requests: RecordedRequest[];
  faults: Fault[];
  options: FakeBedrockOptions;
  aborted: number;
  close(): Promise<void>;
}

const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** What InvokeModel's Claude thinks when thinking is on, and the signature it gives that block. */
export const INVOKE_THINKING = 'Bedrock thinks before it answers.';
export const INVOKE_SIGNATURE = 'bedrock-signature-1';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

/** Bedrock pads each event payload with a random run of letters so sizes do not reveal the tokens. */
function padding(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const length = 1 + Math.floor(Math.random() * 40);
  return Array.from(randomBytes(length), (b) => letters[b % letters.length]).join('');
}

export function eventFrame(type: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ ...payload, p: padding() })),
  });
}

export function exceptionFrame(type: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

function defaultError(status: number): { type: string; message: string } {
  switch (status) {
    case 400:
      return { type: 'ValidationException', message: 'Malformed input request (fake fault).' };
    case 403:
      return {
        type: 'AccessDeniedException',
        message: "You don't have access to the model with the specified model ID.",
      };
    case 404:
      return {
        type: 'ResourceNotFoundException',
        message: 'The specified model was not found (fake fault).',
      };
    case 408:
      return {
        type: 'ModelTimeoutException',
        message: 'Model has timed out in processing the request (fake fault).',
      };
    case 424:
      return { type: 'ModelErrorException', message: 'The model returned an error (fake fault).' };
    case 429:
      return { type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' };
    case 503:
      return { type: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' };
    default:
      return status >= 500
        ? {
            type: 'InternalServerException',
            message: 'The server encountered an internal error (fake fault).',
          }
        : { type: 'ValidationException', message: `Request failed with status ${status} (fake fault).` };
  }
}

/** `20240101T120000Z` → Date. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

type AuthResult = { ok: true } | { ok: false; status: number; type: string; message: string };

const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Recomputes the SigV4 signature of the request exactly as AWS does, with the SDK's signer. */
async function verifySignature(
  req: IncomingMessage,
  rawPath: string,
  rawBody: string,
  region: string,
): Promise<AuthResult> {
  const authorization = req.headers.authorization;
  if (!authorization)
    return {
      ok: false,
      status: 403,
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  const m = AUTH_PATTERN.exec(authorization);
  const amzDate = typeof req.headers['x-amz-date'] === 'string' ? req.headers['x-amz-date'] : '';
  const signingDate = parseAmzDate(amzDate);
  if (!m || !signingDate) {
    return {
      ok: false,
      status: 403,
      type: 'IncompleteSignatureException',
      message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, and an 'X-Amz-Date' header. Authorization=${authorization}`,
    };
  }
  const [, accessKeyId, date, scopeRegion, service, signedList] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (accessKeyId !== TEST_ACCESS_KEY_ID) {
    return {
      ok: false,
      status: 403,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  if (service !== 'bedrock') {
    return {
      ok: false,
      status: 403,
      type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'bedrock'.",
    };
  }
  if (scopeRegion !== region || date !== amzDate.slice(0, 8)) {
    return {
      ok: false,
      status: 403,
      type: 'InvalidSignatureException',
      message: 'Credential should be scoped to a valid region.',
    };
  }
  const signedHeaders = signedList.split(';');
  if (!signedHeaders.includes('host')) {
    return {
      ok: false,
      status: 403,
      type: 'InvalidSignatureException',
      message: "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    };
  }
  const contentHash = req.headers['x-amz-content-sha256'];
  if (typeof contentHash === 'string' && contentHash !== createHash('sha256').update(rawBody).digest('hex')) {
    return {
      ok: false,
      status: 400,
      type: 'InvalidSignatureException',
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = req.headers[name];
    headers[name] = Array.isArray(value) ? value.join(',') : (value ?? '');
  }
  const sessionToken = req.headers['x-amz-security-token'];
  const signer = new SignatureV4({
    service,
    region,
    credentials: {
      accessKeyId,
      secretAccessKey: TEST_SECRET_ACCESS_KEY,
      ...(typeof sessionToken === 'string' ? { sessionToken } : {}),
    },
    sha256: Sha256,
    applyChecksum: false,
  });
  const [host, port] = (req.headers.host ?? '').split(':');
  const signed = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: host ?? '',
      ...(port ? { port: Number(port) } : {}),
      path: rawPath,
      query: {},
      headers,
      body: rawBody,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  if (signed.headers.authorization !== authorization) {
    return {
      ok: false,
      status: 403,
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true };
}

/** Converse validation, with Bedrock's own words; undefined when the request is valid. */
function validate(body: Record<string, unknown>): string | undefined {
  const messages = body.messages;
  if (
    !Array.isArray(messages) ||
    messages.length === 0 ||
    !isRecord(messages[0]) ||
    messages[0].role !== 'user'
  ) {
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  }
  let usesTools = false;
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      return `1 validation error detected: Value at 'messages.${i + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`;
    }
    const previous = messages[i - 1];
    if (i > 0 && isRecord(previous) && previous.role === message.role) {
      return 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';
    }
    if (!Array.isArray(message.content) || message.content.length === 0) {
      return `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`;
    }
    for (const [j, block] of message.content.entries()) {
      if (!isRecord(block) || Object.keys(block).length !== 1) {
        return `The ContentBlock object at messages.${i}.content.${j} must set exactly one of its members.`;
      }
      if (typeof block.text === 'string' && block.text.trim() === '') {
        return `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`;
      }
      if ('toolUse' in block || 'toolResult' in block) usesTools = true;
    }
  }
  if (usesTools && !isRecord(body.toolConfig)) {
    return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  }
  const config = isRecord(body.inferenceConfig) ? body.inferenceConfig : {};
  for (const key of ['temperature', 'topP'] as const) {
    const value = config[key];
    if (typeof value === 'number' && (value < 0 || value > 1)) {
      return `1 validation error detected: Value '${value}' at 'inferenceConfig.${key}' failed to satisfy constraint: Member must have value ${value < 0 ? 'greater than or equal to 0' : 'less than or equal to 1'}`;
    }
  }
  if (typeof config.maxTokens === 'number' && config.maxTokens < 1) {
    return `1 validation error detected: Value '${config.maxTokens}' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1`;
  }
  return undefined;
}

function countInputTokens(body: Record<string, unknown>): number {
  let total = 0;
  for (const block of Array.isArray(body.system) ? body.system : []) {
    if (isRecord(block) && typeof block.text === 'string') total += countWords(block.text);
  }
  for (const message of body.messages as unknown[]) {
    total += 3;
    for (const block of (isRecord(message) && Array.isArray(message.content)
      ? message.content
      : []) as unknown[]) {
      if (!isRecord(block)) continue;
      if (typeof block.text === 'string') total += countWords(block.text);
      const result = block.toolResult;
      if (isRecord(result) && Array.isArray(result.content)) {
        for (const part of result.content)
          if (isRecord(part) && typeof part.text === 'string') total += countWords(part.text);
      }
    }
  }
  return total;
}

/** The tool call to answer with, if the options ask for one and the request allows it. */
function chosenToolCall(body: Record<string, unknown>, options: FakeBedrockOptions) {
  const call = options.toolCall;
  if (!call || !isRecord(body.toolConfig) || !Array.isArray(body.toolConfig.tools)) return undefined;
  const offered = body.toolConfig.tools.some(
    (t) => isRecord(t) && isRecord(t.toolSpec) && t.toolSpec.name === call.name,
  );
  const last = (body.messages as unknown[]).at(-1);
  const answeringResult =
    isRecord(last) &&
    Array.isArray(last.content) &&
    last.content.some((b) => isRecord(b) && 'toolResult' in b);
  return offered && !answeringResult
    ? { ...call, toolUseId: call.toolUseId ?? `tooluse_${randomBytes(11).toString('base64url')}` }
    : undefined;
}

export async function startFakeBedrock(options: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  const open = new Set<ServerResponse>();
  const serverEnded = new WeakSet<ServerResponse>();
  let closing = false;
  const fake: FakeBedrock = {
    url: '',
    region: TEST_REGION,
    requests: [],
    faults: [],
    options,
    aborted: 0,
    close,
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed)
        sendError(res, 500, 'InternalServerException', `fake upstream crashed: ${String(error)}`);
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
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  function sendError(
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    extra: Record<string, string> = {},
  ) {
    sendJson(res, status, { message }, { 'x-amzn-errortype': `${type}:${ERROR_NAMESPACE}`, ...extra });
  }

  /** Resolves false when the client went away meanwhile. */
  async function wait(res: ServerResponse, ms: number | undefined): Promise<boolean> {
    if (ms !== undefined && ms > 0) await sleep(ms);
    return !res.destroyed && !res.writableEnded;
  }

  function write(res: ServerResponse, frame: Uint8Array): Promise<boolean> {
    if (res.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => res.write(frame, (error) => resolve(!error && !res.destroyed)));
  }

  function endByServer(res: ServerResponse, destroy: boolean) {
    serverEnded.add(res);
    if (destroy) res.destroy();
    else res.end();
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
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    fake.requests.push({ method, path: rawPath, headers: { ...req.headers }, body });
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished && !serverEnded.has(res) && !closing) fake.aborted += 1;
    });

    const fault = fake.faults.shift();
    if (fault?.kind === 'hang') return;
    if (!(await wait(res, fake.options.firstByteDelayMs))) return;
    const route = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/.exec(
      rawPath,
    );
    const streaming = route?.[2] === 'converse-stream' || route?.[2] === 'invoke-with-response-stream';

    if (fault) {
      switch (fault.kind) {
        case 'status': {
          const { type, message } = defaultError(fault.status);
          if (fault.body !== undefined)
            sendJson(res, fault.status, fault.body, {
              'x-amzn-errortype': `${type}:${ERROR_NAMESPACE}`,
              ...fault.headers,
            });
          else sendError(res, fault.status, type, message, fault.headers);
          return;
        }
        case 'invalid-json':
          if (!streaming)
            return sendJson(res, 200, '{"output":{"message":{"role":"assistant","content":[{"te');
          startStream(res);
          if (!(await write(res, eventFrame('messageStart', { role: 'assistant' })))) return;
          {
            const bad = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } });
            bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff; // the message CRC no longer matches
            await write(res, bad);
          }
          return endByServer(res, false);
        case 'drop-mid-stream':
        case 'stream-exception':
          if (!streaming) return endByServer(res, true);
          break;
      }
    }

    if (method !== 'POST' || !route) {
      return sendError(res, 404, 'UnknownOperationException', `Unknown operation ${method} ${rawPath}`);
    }
    const auth = await verifySignature(req, rawPath, raw, fake.region);
    if (!auth.ok) return sendError(res, auth.status, auth.type, auth.message);
    if (!isRecord(body))
      return sendError(
        res,
        400,
        'ValidationException',
        'Malformed input request, please reformat your input and try again.',
      );
    if (route[2]?.startsWith('invoke'))
      return invoke(res, decodeURIComponent(route[1] ?? ''), body, streaming);
    const invalid = validate(body);
    if (invalid) return sendError(res, 400, 'ValidationException', invalid);
    await converse(res, body, streaming, fault);
  }

  /**
   * InvokeModel for the embedding and rerank models, in each family's body: Titan Text Embeddings (one
   * `inputText`; `dimensions` 256/512/1024 on v2), Cohere Embed (`texts` up to 96, `input_type` required),
   * Cohere Rerank (`api_version` 2 or above). Unknown keys are refused as Bedrock does; the input token
   * count comes in `x-amzn-bedrock-input-token-count` (and Titan's `inputTextTokenCount`). Vectors are the
   * shared fake's (retrieval.ts), 1024 numbers.
   */
  function retrieval(res: ServerResponse, modelId: string, body: Record<string, unknown>) {
    const malformed = (why: string) =>
      sendError(
        res,
        400,
        'ValidationException',
        `Malformed input request: ${why}, please reformat your input and try again.`,
      );
    const allowed = (keys: readonly string[]) => Object.keys(body).find((key) => !keys.includes(key));
    const counted = (tokens: number) => ({ 'x-amzn-bedrock-input-token-count': String(tokens) });
    if (modelId.includes('titan-embed')) {
      const v2 = modelId.includes('-v2');
      const extra = allowed(v2 ? ['inputText', 'dimensions', 'normalize', 'embeddingTypes'] : ['inputText']);
      if (extra) return malformed(`#: extraneous key [${extra}] is not permitted`);
      if (typeof body.inputText !== 'string') return malformed('#: required key [inputText] not found');
      const dims = body.dimensions ?? 1024;
      if (![256, 512, 1024].includes(dims as number))
        return malformed(`#/dimensions: ${String(dims)} is not a valid enum value`);
      const tokens = fakeTokens(body.inputText);
      const embedding = fakeVector(body.inputText, dims as number);
      return sendJson(
        res,
        200,
        { embedding, embeddingsByType: { float: embedding }, inputTextTokenCount: tokens },
        counted(tokens),
      );
    }
    if (modelId.includes('cohere.embed')) {
      const extra = allowed([
        'texts',
        'images',
        'input_type',
        'truncate',
        'embedding_types',
        'output_dimension',
        'max_tokens',
      ]);
      if (extra) return malformed(`#: extraneous key [${extra}] is not permitted`);
      if (!Array.isArray(body.texts) || body.texts.some((t) => typeof t !== 'string'))
        return malformed('#: required key [texts] not found');
      if (body.texts.length > 96)
        return malformed(`#/texts: expected maximum item count: 96, found: ${body.texts.length}`);
      if (typeof body.input_type !== 'string') return malformed('#: required key [input_type] not found');
      const texts = body.texts as string[];
      const vectors = texts.map((t) => fakeVector(t, 1024));
      const byType = Array.isArray(body.embedding_types);
      return sendJson(
        res,
        200,
        {
          id: randomUUID(),
          embeddings: byType ? { float: vectors } : vectors,
          response_type: byType ? 'embeddings_by_type' : 'embeddings_floats',
          texts,
        },
        counted(texts.reduce((n, t) => n + fakeTokens(t), 0)),
      );
    }
    const extra = allowed(['query', 'documents', 'top_n', 'api_version', 'max_tokens_per_doc']);
    if (extra) return malformed(`#: extraneous key [${extra}] is not permitted`);
    if (typeof body.api_version !== 'number' || body.api_version < 2)
      return malformed(`#/api_version: ${String(body.api_version ?? 1)} is not greater or equal to 2`);
    if (typeof body.query !== 'string' || !Array.isArray(body.documents))
      return malformed('#: required key [query] not found');
    const documents = body.documents.map(String);
    const results = documents
      .map((document, index) => ({ index, relevance_score: fakeRelevance(body.query as string, document) }))
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, typeof body.top_n === 'number' ? body.top_n : documents.length);
    return sendJson(res, 200, { id: randomUUID(), results });
  }

  /**
   * InvokeModel for Anthropic models: Anthropic's Messages API with Bedrock's rules (the version in the
   * body, no `model`, beta flags as `anthropic_beta`); streamed as `chunk` events whose `bytes` hold each
   * of Anthropic's events, base64-encoded. Thinking, when enabled, comes first with a signature.
   */
  async function invoke(
    res: ServerResponse,
    modelId: string,
    body: Record<string, unknown>,
    streaming: boolean,
  ) {
    if (
      modelId.includes('titan-embed') ||
      modelId.includes('cohere.embed') ||
      modelId.includes('cohere.rerank')
    )
      return retrieval(res, modelId, body);
    if (!modelId.includes('anthropic.'))
      return sendError(
        res,
        400,
        'ValidationException',
        'This fake serves InvokeModel for Anthropic, Titan Embeddings and Cohere Embed/Rerank models only.',
      );
    if (body.anthropic_version !== 'bedrock-2023-05-31')
      return sendError(
        res,
        400,
        'ValidationException',
        'Malformed input request: #: required key [anthropic_version] not found',
      );
    for (const key of ['model', 'stream']) {
      if (body[key] !== undefined)
        return sendError(
          res,
          400,
          'ValidationException',
          `Malformed input request: #: extraneous key [${key}] is not permitted`,
        );
    }
    if (typeof body.max_tokens !== 'number' || !Array.isArray(body.messages))
      return sendError(
        res,
        400,
        'ValidationException',
        'Malformed input request: #: required key [max_tokens] not found',
      );
    const reply = fake.options.reply ?? DEFAULT_REPLY;
    const thinking =
      isRecord(body.thinking) && body.thinking.type === 'enabled' ? INVOKE_THINKING : undefined;
    const pieces = reply.split(/(?<= )/);
    const usage = { input_tokens: countWords(JSON.stringify(body.messages)), output_tokens: pieces.length };
    const id = `msg_bdrk_${randomBytes(9).toString('hex')}`;
    const model = 'claude-sonnet-4-5-20250929';
    const content: unknown[] = [];
    if (thinking) content.push({ type: 'thinking', thinking, signature: INVOKE_SIGNATURE });
    content.push({ type: 'text', text: reply });
    if (!streaming) {
      return sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage,
      });
    }
    startStream(res);
    const events: Array<Record<string, unknown>> = [
      {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
    ];
    let index = 0;
    if (thinking) {
      events.push(
        {
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        },
        { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } },
        {
          type: 'content_block_delta',
          index,
          delta: { type: 'signature_delta', signature: INVOKE_SIGNATURE },
        },
        { type: 'content_block_stop', index },
      );
      index += 1;
    }
    events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const piece of pieces)
      events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    events.push(
      { type: 'content_block_stop', index },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: pieces.length },
      },
      {
        type: 'message_stop',
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: usage.input_tokens,
          outputTokenCount: pieces.length,
        },
      },
    );
    for (const event of events) {
      const bytes = Buffer.from(JSON.stringify(event)).toString('base64');
      if (!(await write(res, eventFrame('chunk', { bytes })))) return;
    }
    endByServer(res, false);
  }

  function startStream(res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': randomUUID(),
    });
    res.flushHeaders();
  }

  async function converse(
    res: ServerResponse,
    body: Record<string, unknown>,
    streaming: boolean,
    fault: Fault | undefined,
  ): Promise<void> {
    const started = Date.now();
    const config = isRecord(body.inferenceConfig) ? body.inferenceConfig : {};
    const stops = Array.isArray(config.stopSequences)
      ? config.stopSequences.filter((s) => typeof s === 'string')
      : [];
    const reply = fake.options.reply ?? DEFAULT_REPLY;
    const generation = generate(
      reply,
      typeof config.maxTokens === 'number' ? config.maxTokens : undefined,
      stops,
    );
    const toolCall = chosenToolCall(body, fake.options);
    const stopReason = toolCall
      ? 'tool_use'
      : generation.finishReason === 'length'
        ? 'max_tokens'
        : generation.pieces.join('') === reply
          ? 'end_turn'
          : 'stop_sequence';
    const inputTokens = countInputTokens(body);
    const outputTokens = toolCall ? countWords(JSON.stringify(toolCall.input)) : generation.pieces.length;
    const usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };

    if (!streaming) {
      const content = toolCall
        ? [{ toolUse: { toolUseId: toolCall.toolUseId, name: toolCall.name, input: toolCall.input } }]
        : [{ text: generation.pieces.join('') }];
      return sendJson(res, 200, {
        output: { message: { role: 'assistant', content } },
        stopReason,
        usage,
        metrics: { latencyMs: Date.now() - started },
      });
    }

    startStream(res);
    const send = async (frame: Uint8Array) =>
      (await wait(res, fake.options.chunkDelayMs)) && (await write(res, frame));
    if (!(await send(eventFrame('messageStart', { role: 'assistant' })))) return;
    if (toolCall) {
      const { toolUseId, name } = toolCall;
      if (
        !(await send(
          eventFrame('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId, name } } }),
        ))
      )
        return;
      const input = JSON.stringify(toolCall.input);
      const half = Math.ceil(input.length / 2);
      for (const piece of [input.slice(0, half), input.slice(half)]) {
        if (
          !(await send(
            eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: piece } } }),
          ))
        )
          return;
      }
    } else {
      for (const [i, text] of generation.pieces.entries()) {
        if (
          (fault?.kind === 'drop-mid-stream' || fault?.kind === 'stream-exception') &&
          i >= fault.afterChunks
        )
          break;
        if (!(await send(eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })))) return;
      }
    }
    if (fault?.kind === 'drop-mid-stream') return endByServer(res, true);
    if (fault?.kind === 'stream-exception') {
      const message = fault.message ?? `${fault.exception} (fake fault)`;
      await send(exceptionFrame(fault.exception, message));
      return endByServer(res, false);
    }
    if (!(await send(eventFrame('contentBlockStop', { contentBlockIndex: 0 })))) return;
    if (!(await send(eventFrame('messageStop', { stopReason })))) return;
    if (!(await send(eventFrame('metadata', { usage, metrics: { latencyMs: Date.now() - started } }))))
      return;
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
