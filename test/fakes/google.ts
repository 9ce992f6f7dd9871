// A fake Gemini API upstream: a real node:http server on 127.0.0.1 (port 0) that speaks the Gemini API wire
// format (https://ai.google.dev/api/generate-content) for `POST /v1beta/models/{model}:generateContent` and
// `:streamGenerateContent` (`?alt=sse` for server-sent events, else a JSON array), `:embedContent` and
// `:batchEmbedContents` (see retrieval.ts), records every request and
// can be told to fail. Gemini's image models answer images when asked (see google-image-output.ts).
//
// The fake's "tokenizer" is the OpenAI fake's: a token is a word of the reply split on single spaces, with its
// trailing space ('Hi there.' → 'Hi ', 'there.').
// - candidatesTokenCount = tokens emitted, summed over the candidates (a function call counts 5);
// - promptTokenCount = for each content (and the systemInstruction), 3 + the whitespace-separated words of
//   its text parts;
// - thoughtsTokenCount / cachedContentTokenCount only when set in the options (and then in totalTokenCount).
//
// Faithful details of the real API that it reproduces:
// - the key is read from `x-goog-api-key` (or `?key=`); none → 403 PERMISSION_DENIED; a wrong one (when
//   `options.apiKey` is set) → 400 INVALID_ARGUMENT with reason API_KEY_INVALID, as Gemini answers;
// - unknown fields are refused (`Invalid JSON payload received. Unknown name "x"...`), at the top level, in
//   generationConfig, in contents and parts, so an OpenAI field leaking through fails loudly;
// - roles must be user or model; parts must not be empty; each functionCall turn must be answered by as
//   many functionResponse parts; Gemini 3 models refuse candidateCount > 1 and current-turn function calls
//   without a thoughtSignature;
// - stop sequences are cut (not included), maxOutputTokens ends with MAX_TOKENS, candidateCount gives that
//   many candidates (1-8);
// - JSON answers are pretty-printed; SSE events are `data: {json}` separated by CRLF CRLF; stream events
//   carry a partial candidate each (no finishReason but the last), the usage running on every event
//   (candidatesTokenCount only on the last).
//
// Faults (`fake.faults`) are shifted one per request, before authentication or any validation, and the
// request is recorded first.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Exchange, parseBody, readBody } from './exchange.js';
import {
  IMAGE_INPUT_TOKENS,
  IMAGE_OUTPUT_TOKENS,
  imageParts,
  inputImages,
  isImageModel,
  wantsImages,
} from './google-image-output.js';
import { generate } from './openai.js';
import { fakeGoogleEmbed } from './retrieval.js';

export interface RecordedRequest {
  method: string;
  /** The URL path, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`. */
  path: string;
  /** The query parameters, e.g. `{ alt: 'sse' }`. */
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the raw string if not JSON. */
  body: unknown;
}

export type Fault =
  /** Answers with this status and a Google error body fitting it (or `body`; a string is sent as is). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 200 with a body that is not JSON, or a stream whose second event is broken JSON, then the end. */
  | { kind: 'invalid-json' }
  /** Stream: `afterChunks` events, then the socket is destroyed. Non-stream: destroyed before answering. */
  | { kind: 'drop-mid-stream'; afterChunks: number }
  /** Accepts the request and never answers (until the client aborts, which counts in `aborted`). */
  | { kind: 'hang' };

export interface FakeFunctionCall {
  name: string;
  args: Record<string, unknown>;
}

export interface FakeGoogleOptions {
  /** Text of every answer; default 'Hello from the fake upstream. It speaks the Gemini wire format.' */
  reply?: string;
  /** When the request declares tools (and mode is not NONE): answer with these function calls instead. */
  functionCall?: FakeFunctionCall | FakeFunctionCall[];
  /** Overrides the finish reason of every candidate (e.g. 'SAFETY'). */
  finishReason?: string;
  /** Blocks the prompt: the answer has no candidates, only `promptFeedback.blockReason`. */
  blockReason?: string;
  /** Reported as usageMetadata.thoughtsTokenCount (thinking models). */
  thoughtsTokenCount?: number;
  /** Reported as usageMetadata.cachedContentTokenCount. */
  cachedContentTokenCount?: number;
  /** When set, only this API key is accepted. */
  apiKey?: string;
  /** Delay before each stream event, ms. */
  chunkDelayMs?: number;
  /** Delay before the first byte of any answer, ms. */
  firstByteDelayMs?: number;
}

export interface FakeGoogle {
  /** Base URL without the version, like GEMINI_BASE_URL: http://127.0.0.1:PORT */
  url: string;
  requests: RecordedRequest[];
  faults: Fault[];
  options: FakeGoogleOptions;
  /** Requests whose client connection closed before the answer finished. */
  aborted: number;
  close(): Promise<void>;
}

export const DEFAULT_GOOGLE_REPLY = 'Hello from the fake upstream. It speaks the Gemini wire format.';
const MAX_CANDIDATES = 8;
const FUNCTION_CALL_TOKENS = 5;

interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function googleErrorBody(code: number, message: string, details?: unknown[]): GoogleErrorBody {
  const status = STATUS_NAMES[code] ?? (code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

/** What Gemini answers for a status, roughly: used when a `status` fault has no body. */
function defaultErrorBody(status: number): GoogleErrorBody {
  switch (status) {
    case 400:
      return googleErrorBody(400, 'Request contains an invalid argument. (fake fault)');
    case 403:
      return googleErrorBody(403, 'The caller does not have permission (fake fault)');
    case 404:
      return googleErrorBody(
        404,
        'models/fake is not found for API version v1beta, or is not supported for generateContent. (fake fault)',
      );
    case 429:
      return googleErrorBody(
        429,
        'You exceeded your current quota, please check your plan and billing details. (fake fault)',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
              },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
        ],
      );
    case 500:
      return googleErrorBody(500, 'An internal error has occurred. Please retry or report. (fake fault)');
    case 503:
      return googleErrorBody(503, 'The model is overloaded. Please try again later. (fake fault)');
    case 504:
      return googleErrorBody(504, 'Deadline expired before operation could complete. (fake fault)');
    default:
      return googleErrorBody(status, `Request failed with status ${status} (fake fault).`);
  }
}

// ---- What a request may contain (unknown names are refused, as the real API does) ----

const REQUEST_FIELDS = new Set([
  'contents',
  'systemInstruction',
  'generationConfig',
  'tools',
  'toolConfig',
  'safetySettings',
  'cachedContent',
]);
const GENERATION_FIELDS = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'mediaResolution',
  'imageConfig',
]);
const CONTENT_FIELDS = new Set(['role', 'parts']);
const PART_DATA = [
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
];
const PART_FIELDS = new Set([...PART_DATA, 'thought', 'thoughtSignature', 'videoMetadata']);
const SCHEMA_TYPES = new Set(['STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL']);

class BadRequest extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownName(name: string, at: string | undefined): BadRequest {
  const where = at ? ` at '${at}'` : '';
  return new BadRequest(`Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`);
}

function checkFields(value: Record<string, unknown>, allowed: Set<string>, at?: string): void {
  for (const key of Object.keys(value)) if (!allowed.has(key)) throw unknownName(key, at);
}

function checkSchema(schema: unknown, at: string): void {
  if (!isRecord(schema)) throw new BadRequest(`* ${at}: must be an object`);
  const type = schema.type;
  if (type !== undefined && (typeof type !== 'string' || !SCHEMA_TYPES.has(type.toUpperCase()))) {
    throw new BadRequest(
      `Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), ${JSON.stringify(type)}`,
    );
  }
  for (const key of ['additionalProperties', '$schema', '$ref', '$defs', 'const', 'oneOf']) {
    if (key in schema) throw unknownName(key, at);
  }
  if (typeof type === 'string' && type.toUpperCase() === 'OBJECT' && at.includes('parameters')) {
    if (!isRecord(schema.properties) || Object.keys(schema.properties).length === 0) {
      throw new BadRequest(`* ${at}.properties: should be non-empty for OBJECT type`);
    }
  }
  if (isRecord(schema.properties)) {
    for (const [name, child] of Object.entries(schema.properties))
      checkSchema(child, `${at}.properties[${name}]`);
  }
  if (schema.items !== undefined) checkSchema(schema.items, `${at}.items`);
  if (Array.isArray(schema.anyOf)) {
    for (const [i, s] of schema.anyOf.entries()) checkSchema(s, `${at}.any_of[${i}]`);
  }
}

interface Parsed {
  model: string;
  contents: Record<string, unknown>[];
  system: Record<string, unknown> | undefined;
  config: Record<string, unknown>;
  hasTools: boolean;
  mode: string;
}

function isGemini3(model: string): boolean {
  return /^gemini-3/.test(model);
}

function checkRequest(model: string, body: unknown): Parsed {
  if (!isRecord(body)) throw new BadRequest('Invalid JSON payload received. Expected an object.');
  checkFields(body, REQUEST_FIELDS);
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    throw new BadRequest('* GenerateContentRequest.contents: contents is not specified\n');
  }
  contents.forEach((content, i) => {
    if (!isRecord(content))
      throw new BadRequest(`* GenerateContentRequest.contents[${i}]: must be an object`);
    checkFields(content, CONTENT_FIELDS, `contents[${i}]`);
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') {
      throw new BadRequest('Please use a valid role: user, model.');
    }
    checkParts(content.parts, `contents[${i}]`);
  });
  const system = body.systemInstruction;
  if (system !== undefined) {
    if (!isRecord(system))
      throw new BadRequest('* GenerateContentRequest.system_instruction: must be an object');
    checkFields(system, CONTENT_FIELDS, 'system_instruction');
    checkParts(system.parts, 'system_instruction');
  }
  checkFunctionTurns(contents as Record<string, unknown>[]);

  const config = body.generationConfig ?? {};
  if (!isRecord(config)) throw new BadRequest("Invalid value at 'generation_config': must be an object");
  checkFields(config, GENERATION_FIELDS, 'generation_config');
  const count = config.candidateCount;
  if (count !== undefined) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_CANDIDATES) {
      throw new BadRequest(
        `* GenerateContentRequest.generation_config.candidate_count: must be in [1, ${MAX_CANDIDATES}]`,
      );
    }
    if (count > 1 && isGemini3(model))
      throw new BadRequest('Multiple candidates is not enabled for this model');
  }
  const temperature = config.temperature;
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 2)) {
    throw new BadRequest('* GenerateContentRequest.generation_config.temperature: must be in [0.0, 2.0]');
  }
  if (config.responseSchema !== undefined)
    checkSchema(config.responseSchema, 'generation_config.response_schema');

  let hasTools = false;
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw new BadRequest("Invalid value at 'tools': must be a list");
    body.tools.forEach((tool, i) => {
      if (!isRecord(tool)) throw new BadRequest(`Invalid value at 'tools[${i}]'`);
      const declarations = tool.functionDeclarations;
      if (!Array.isArray(declarations)) return;
      declarations.forEach((declaration, j) => {
        const at = `tools[${i}].function_declarations[${j}]`;
        if (!isRecord(declaration) || typeof declaration.name !== 'string') {
          throw new BadRequest(`* GenerateContentRequest.${at}.name: Name cannot be empty.`);
        }
        checkFields(
          declaration,
          new Set(['name', 'description', 'parameters', 'parametersJsonSchema', 'response', 'behavior']),
          at,
        );
        if (declaration.parameters !== undefined) checkSchema(declaration.parameters, `${at}.parameters`);
        hasTools = true;
      });
    });
  }
  let mode = 'AUTO';
  if (body.toolConfig !== undefined) {
    const callingConfig = isRecord(body.toolConfig) ? body.toolConfig.functionCallingConfig : undefined;
    const value = isRecord(callingConfig) ? callingConfig.mode : undefined;
    if (value !== undefined) {
      if (
        typeof value !== 'string' ||
        !['AUTO', 'ANY', 'NONE', 'VALIDATED', 'MODE_UNSPECIFIED'].includes(value)
      ) {
        throw new BadRequest(
          `Invalid value at 'tool_config.function_calling_config.mode', ${JSON.stringify(value)}`,
        );
      }
      mode = value;
    }
  }
  return {
    model,
    contents: contents as Record<string, unknown>[],
    system: isRecord(system) ? system : undefined,
    config,
    hasTools,
    mode,
  };
}

function checkParts(parts: unknown, at: string): void {
  if (!Array.isArray(parts) || parts.length === 0) {
    throw new BadRequest(`* GenerateContentRequest.${at}.parts: contents.parts must not be empty.\n`);
  }
  parts.forEach((part, i) => {
    if (!isRecord(part))
      throw new BadRequest(`* GenerateContentRequest.${at}.parts[${i}]: must be an object`);
    checkFields(part, PART_FIELDS, `${at}.parts[${i}]`);
    const data = PART_DATA.filter((key) => part[key] !== undefined);
    if (data.length !== 1) {
      throw new BadRequest(
        `* GenerateContentRequest.${at}.parts[${i}].data: required oneof field 'data' must have one initialized field`,
      );
    }
    if (typeof part.text === 'string' && part.text === '' && parts.length === 1) {
      throw new BadRequest('Unable to submit request because it has an empty text parameter.');
    }
    const inline = part.inlineData;
    if (
      inline !== undefined &&
      (!isRecord(inline) || typeof inline.mimeType !== 'string' || typeof inline.data !== 'string')
    ) {
      throw new BadRequest(
        `* GenerateContentRequest.${at}.parts[${i}].inline_data: mimeType and data are required`,
      );
    }
    const response = part.functionResponse;
    if (
      response !== undefined &&
      (!isRecord(response) || typeof response.name !== 'string' || !isRecord(response.response))
    ) {
      throw new BadRequest(
        `* GenerateContentRequest.${at}.parts[${i}].function_response.name: Name cannot be empty.`,
      );
    }
  });
}

/** Every functionCall turn must be followed by as many functionResponse parts. */
function checkFunctionTurns(contents: Record<string, unknown>[]): void {
  contents.forEach((content, i) => {
    const parts = content.parts as Record<string, unknown>[];
    const calls = parts.filter((p) => p.functionCall !== undefined).length;
    const next = contents[i + 1];
    if (calls === 0 || !next) return;
    const responses = (next.parts as Record<string, unknown>[]).filter(
      (p) => p.functionResponse !== undefined,
    ).length;
    if (responses !== calls) {
      throw new BadRequest(
        'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
      );
    }
  });
}

/** Gemini 3: function calls of the current turn (after the last plain user turn) need a thoughtSignature. */
function checkThoughtSignatures(contents: Record<string, unknown>[]): void {
  let start = 0;
  contents.forEach((content, i) => {
    const parts = content.parts as Record<string, unknown>[];
    if (content.role !== 'model' && parts.some((p) => p.functionResponse === undefined)) start = i;
  });
  for (const content of contents.slice(start)) {
    const parts = content.parts as Record<string, unknown>[];
    const first = parts.find((p) => p.functionCall !== undefined);
    if (first && typeof first.thoughtSignature !== 'string') {
      throw new BadRequest(
        'Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance.',
      );
    }
  }
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

function promptTokens(parsed: Parsed): number {
  let total = 0;
  for (const content of parsed.system ? [parsed.system, ...parsed.contents] : parsed.contents) {
    total += 3;
    for (const part of content.parts as Record<string, unknown>[]) {
      if (typeof part.text === 'string') total += countWords(part.text);
    }
  }
  return total;
}

function newId(bytes: number): string {
  return randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x');
}

interface CandidatePlan {
  /** Parts emitted, one stream event each. */
  steps: Record<string, unknown>[][];
  finishReason: string;
  tokens: number;
}

export async function startFakeGoogle(options: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const exchanges = new Set<Exchange>();
  let closing = false;
  const fake: FakeGoogle = { url: '', requests: [], faults: [], options, aborted: 0, close };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, googleErrorBody(500, `fake upstream crashed: ${String(error)}`));
      } else res.destroy();
    });
  });

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', vary: 'Origin', ...headers });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = parseBody(raw);
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    fake.requests.push({ method, path: url.pathname, query, headers: { ...req.headers }, body });

    const exchange = new Exchange(res, () => {
      if (!closing) fake.aborted += 1;
    });
    exchanges.add(exchange);
    res.on('close', () => exchanges.delete(exchange));

    const fault = fake.faults.shift();
    if (fault?.kind === 'hang') return;
    if (!(await exchange.wait(fake.options.firstByteDelayMs))) return;
    const route =
      /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/.exec(
        url.pathname,
      );
    const model = decodeURIComponent(route?.[1] ?? 'gemini-2.5-flash');
    const stream = route?.[2] === 'streamGenerateContent';
    const sse = stream && query.alt === 'sse';

    if (fault) {
      switch (fault.kind) {
        case 'status':
          sendJson(res, fault.status, fault.body ?? defaultErrorBody(fault.status), fault.headers);
          return;
        case 'invalid-json':
          if (sse) await brokenStream(exchange, model);
          else sendJson(res, 200, '{\n  "candidates": [\n    {\n      "content": {\n        "par');
          return;
        case 'drop-mid-stream':
          if (sse && isRecord(body)) await answer(exchange, model, body, true, fault.afterChunks);
          else exchange.destroy();
          return;
      }
    }

    if (!route || method !== 'POST') {
      sendJson(
        res,
        404,
        googleErrorBody(404, `The requested URL ${url.pathname} was not found on this server.`),
      );
      return;
    }
    const key = req.headers['x-goog-api-key'] ?? query.key;
    if (typeof key !== 'string' || key === '') {
      sendJson(
        res,
        403,
        googleErrorBody(
          403,
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        ),
      );
      return;
    }
    if (fake.options.apiKey !== undefined && key !== fake.options.apiKey) {
      sendJson(
        res,
        400,
        googleErrorBody(400, 'API key not valid. Please pass a valid API key.', [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
        ]),
      );
      return;
    }
    if (route[2] === 'embedContent' || route[2] === 'batchEmbedContents') {
      const embedded = fakeGoogleEmbed(model, route[2], body);
      sendJson(res, embedded.status, embedded.body);
      return;
    }
    await answer(exchange, model, body, stream, undefined, sse);
  }

  function plan(parsed: Parsed, images: boolean): CandidatePlan {
    if (images) {
      const steps = imageParts();
      return {
        steps,
        finishReason: fake.options.finishReason ?? 'STOP',
        tokens: countWords(String(steps[0]![0]!.text)) + IMAGE_OUTPUT_TOKENS,
      };
    }
    const calls = fake.options.functionCall;
    if (calls && parsed.hasTools && parsed.mode !== 'NONE') {
      const list = Array.isArray(calls) ? calls : [calls];
      const parts = list.map((call, i) => ({
        functionCall: { name: call.name, args: call.args },
        // Thinking models sign the first function call of a step.
        ...(i === 0 && isGemini3(parsed.model) ? { thoughtSignature: newId(48) } : {}),
      }));
      return {
        steps: [parts],
        finishReason: fake.options.finishReason ?? 'STOP',
        tokens: FUNCTION_CALL_TOKENS * list.length,
      };
    }
    const stops = Array.isArray(parsed.config.stopSequences)
      ? parsed.config.stopSequences.filter((s): s is string => typeof s === 'string')
      : [];
    const max = parsed.config.maxOutputTokens;
    const generation = generate(
      fake.options.reply ?? DEFAULT_GOOGLE_REPLY,
      typeof max === 'number' ? max : undefined,
      stops,
    );
    return {
      steps: generation.pieces.map((text) => [{ text }]),
      finishReason:
        fake.options.finishReason ?? (generation.finishReason === 'length' ? 'MAX_TOKENS' : 'STOP'),
      tokens: generation.pieces.length,
    };
  }

  async function answer(
    exchange: Exchange,
    model: string,
    body: unknown,
    stream: boolean,
    dropAfter: number | undefined,
    sse = true,
  ): Promise<void> {
    const { res } = exchange;
    let parsed: Parsed;
    let images: boolean;
    try {
      parsed = checkRequest(model, body);
      if (isGemini3(model)) checkThoughtSignatures(parsed.contents);
      const wanted = wantsImages(model, parsed.config);
      if (wanted instanceof Error) throw new BadRequest(wanted.message);
      images = wanted;
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      sendJson(res, 400, googleErrorBody(400, error.message));
      return;
    }
    const n = typeof parsed.config.candidateCount === 'number' ? parsed.config.candidateCount : 1;
    const candidatePlan = plan(parsed, images);
    // Image models count the images they are given, by modality.
    const imageInput = isImageModel(model) ? inputImages(parsed.contents) * IMAGE_INPUT_TOKENS : 0;
    const textPrompt = promptTokens(parsed);
    const prompt = textPrompt + imageInput;
    const responseId = newId(16);
    const thoughts = fake.options.thoughtsTokenCount;
    const cached = fake.options.cachedContentTokenCount;
    const candidatesTokens = candidatePlan.tokens * n;
    const usage = (final: boolean) => ({
      promptTokenCount: prompt,
      ...(final && candidatesTokens > 0 ? { candidatesTokenCount: candidatesTokens } : {}),
      totalTokenCount: prompt + (final ? candidatesTokens + (thoughts ?? 0) : 0),
      ...(cached !== undefined ? { cachedContentTokenCount: cached } : {}),
      promptTokensDetails: [
        { modality: 'TEXT', tokenCount: textPrompt },
        ...(imageInput > 0 ? [{ modality: 'IMAGE', tokenCount: imageInput }] : []),
      ],
      ...(final && images
        ? {
            candidatesTokensDetails: [
              { modality: 'TEXT', tokenCount: candidatesTokens - IMAGE_OUTPUT_TOKENS * n },
              { modality: 'IMAGE', tokenCount: IMAGE_OUTPUT_TOKENS * n },
            ],
          }
        : {}),
      ...(final && thoughts !== undefined ? { thoughtsTokenCount: thoughts } : {}),
    });

    if (fake.options.blockReason) {
      const blocked = {
        promptFeedback: { blockReason: fake.options.blockReason },
        usageMetadata: usage(true),
        modelVersion: model,
        responseId,
      };
      if (!stream) return sendJson(res, 200, blocked);
      startStream(res);
      exchange.markServerEnded();
      res.end(`data: ${JSON.stringify(blocked)}\r\n\r\n`);
      return;
    }

    const indexes = Array.from({ length: n }, (_, i) => i);
    if (!stream) {
      const parts = candidatePlan.steps.flat();
      sendJson(res, 200, {
        candidates: indexes.map((index) => ({
          content: { parts: parts.length > 0 ? parts : [{ text: '' }], role: 'model' },
          finishReason: candidatePlan.finishReason,
          index,
        })),
        usageMetadata: usage(true),
        modelVersion: model,
        responseId,
      });
      return;
    }

    // One event per step, each with every candidate's piece; the last carries finishReason and the usage.
    const steps = candidatePlan.steps.length > 0 ? candidatePlan.steps : [[{ text: '' }]];
    const events = steps.map((parts, i) => {
      const last = i === steps.length - 1;
      return {
        candidates: indexes.map((index) => ({
          content: { parts, role: 'model' },
          ...(last ? { finishReason: candidatePlan.finishReason } : {}),
          index,
        })),
        usageMetadata: usage(last),
        modelVersion: model,
        responseId,
      };
    });
    if (!sse) {
      // Without alt=sse, Gemini streams one JSON array of the same responses.
      sendJson(res, 200, events);
      return;
    }
    startStream(res);
    for (const [i, event] of events.entries()) {
      if (dropAfter !== undefined && i >= dropAfter) {
        exchange.destroy();
        return;
      }
      if (!(await exchange.wait(fake.options.chunkDelayMs))) return;
      if (!(await exchange.write(`data: ${JSON.stringify(event)}\r\n\r\n`))) return;
    }
    exchange.markServerEnded();
    res.end();
  }

  function startStream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', vary: 'Origin' });
    res.flushHeaders();
  }

  async function brokenStream(exchange: Exchange, model: string): Promise<void> {
    const { res } = exchange;
    startStream(res);
    const first = {
      candidates: [{ content: { parts: [{ text: 'Hello ' }], role: 'model' }, index: 0 }],
      usageMetadata: { promptTokenCount: 1, totalTokenCount: 1 },
      modelVersion: model,
      responseId: newId(16),
    };
    if (!(await exchange.wait(fake.options.chunkDelayMs))) return;
    if (!(await exchange.write(`data: ${JSON.stringify(first)}\r\n\r\n`))) return;
    res.write('data: {"candidates": [{"content": {"parts": [{"text": "Hel\r\n\r\n');
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
  fake.url = `http://127.0.0.1:${port}`;
  return fake;
}
