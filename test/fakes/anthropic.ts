// A fake Anthropic upstream: a real node:http server on 127.0.0.1 (port 0) that speaks the Messages API wire
// format (`POST /v1/messages`, JSON and SSE; `POST /v1/messages/count_tokens`; `GET /v1/models`), records every
// request and can be told to fail.
// Its `url` is the base URL without /v1, like ANTHROPIC_BASE_URL.
//
// The fake's tokenizer is the OpenAI fake's: a token is a word of the reply split on single spaces, emitted
// with its trailing space ('Hi there.' → 'Hi ', 'there.'), one `text_delta` each.
// - output_tokens = text tokens emitted + the `input_json_delta` pieces of a tool call (the tool input's JSON
//   split after each ',' and ':');
// - input_tokens = 3 + the words of `system` (when set), plus, per message, 3 + the words of its string
//   content, text blocks and tool_result texts; `options.cacheReadInputTokens` /
//   `cacheCreationInputTokens` are reported beside it (as Anthropic does, input_tokens excludes them).
//
// Faithful details of the real API that it reproduces:
// - an API key (401 authentication_error without one) and the `anthropic-version` header (400) are required;
//   the key may come as `x-api-key` or as `Authorization: Bearer`, which the official SDK (1.x) sends;
// - unknown top-level fields are a 400 invalid_request_error "<field>: Extra inputs are not permitted", and
//   so is a `system` role in messages, an empty text block, a final assistant turn ending in whitespace,
//   temperature/top_p outside 0–1, both together on models that reject the pair, and tool_use / tool_result
//   blocks without their partner in the adjacent turn;
// - errors are `{"type":"error","error":{"type","message"},"request_id"}`, every answer has a `request-id`
//   header;
// - SSE: message_start (usage.output_tokens 1), content_block_start, ping, content_block_delta (text_delta,
//   input_json_delta starting with an empty partial_json), content_block_stop, message_delta (stop_reason,
//   stop_sequence, usage.output_tokens), message_stop; each `event:` name equals the JSON `type`.
//
// Faults (`fake.faults`) are shifted one per request, whatever its path, before authentication or any
// validation, and the request is recorded first.

import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Exchange, parseBody, readBody } from './exchange.js';
import { cutAtStop } from './generation.js';
import { type RecordedRequest, tokenize } from './openai.js';

export type { RecordedRequest };

export type Fault =
  /** Answers with this status; the default body is an Anthropic error body fitting the status (529 →
   * overloaded_error). A string body is sent as is. `headers` are added (e.g. `retry-after`). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 200 with a body that is not JSON (non-stream), or a stream whose second event has broken JSON, after
   * which the response ends (no message_stop). */
  | { kind: 'invalid-json' }
  /** Stream: message_start and the block start, then `afterChunks` text deltas, then the socket is destroyed.
   * Non-stream: the socket is destroyed before answering. */
  | { kind: 'drop-mid-stream'; afterChunks: number }
  /** Stream: `afterChunks` text deltas, then `event: error` with this error type (default overloaded_error)
   * and the end of the response. Non-stream: the HTTP status of that error type, with its body. */
  | { kind: 'stream-error'; afterChunks: number; errorType?: string; message?: string }
  /** Accepts the request and never answers (until the client aborts, which counts in `aborted`). */
  | { kind: 'hang' };

export interface FakeToolCall {
  /** The tool to call; default: the tool named by tool_choice {type:'tool'}, else the first tool. */
  name?: string;
  input: Record<string, unknown>;
  /** Text before the tool_use block (only when tool_choice is auto, as Claude does). */
  text?: string;
  /** Answer a request whose last turn carries a tool_result with text instead (as a model answers its
   * tool's result), so an agent loop ends. */
  untilResult?: boolean;
}

export interface FakeAnthropicOptions {
  /** Text of every answer; default 'Hello from the fake upstream. It speaks the Anthropic wire format.' */
  reply?: string;
  /** When the request has tools (and tool_choice is not none), answer with a tool_use block. Requests whose
   * tool_choice is `any` or `tool` always get one (input `{}` unless this is set). */
  toolCall?: FakeToolCall;
  /** Reported as usage.cache_read_input_tokens / cache_creation_input_tokens (default 0). */
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  /** How many of the cache writes went to the 1-hour cache (`usage.cache_creation`; default 0). */
  cacheCreation1hInputTokens?: number;
  /** Answer with stop_reason 'refusal' (after the reply text). */
  refuse?: boolean;
  /** Delay before each stream event, ms (default 0). */
  chunkDelayMs?: number;
  /** Delay before the first byte of any answer, ms. */
  firstByteDelayMs?: number;
  /** Model ids listed by GET /v1/models. Messages answers echo the request's model. */
  models?: string[];
}

export interface FakeAnthropic {
  /** Base URL without /v1, like ANTHROPIC_BASE_URL: http://127.0.0.1:PORT */
  url: string;
  requests: RecordedRequest[];
  faults: Fault[];
  options: FakeAnthropicOptions;
  /** Requests whose client connection closed before the answer finished (not counting the fake's own drops). */
  aborted: number;
  close(): Promise<void>;
}

export const DEFAULT_REPLY = 'Hello from the fake upstream. It speaks the Anthropic wire format.';
const DEFAULT_MODELS = ['claude-sonnet-4-5-20250929', 'claude-3-5-haiku-20241022'];

/** The top-level fields of POST /v1/messages (anything else is "Extra inputs are not permitted"). */
const KNOWN_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'service_tier',
  'container',
  'output_config',
  'inference_geo',
]);

const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** The HTTP status of each Anthropic error type. */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

interface ErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

function newId(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function errorBody(type: string, message: string): ErrorBody {
  return { type: 'error', error: { type, message }, request_id: newId('req_011', 16) };
}

function defaultErrorBody(status: number): ErrorBody {
  switch (status) {
    case 400:
      return errorBody('invalid_request_error', 'Invalid request (fake fault).');
    case 401:
      return errorBody('authentication_error', 'invalid x-api-key');
    case 403:
      return errorBody(
        'permission_error',
        'Your API key does not have permission to use the specified resource.',
      );
    case 404:
      return errorBody('not_found_error', 'model: claude-nope (fake fault)');
    case 413:
      return errorBody('request_too_large', 'Request exceeds the maximum allowed number of bytes.');
    case 429:
      return errorBody(
        'rate_limit_error',
        'This request would exceed the rate limit for your organization of 50 input tokens per minute (fake fault).',
      );
    case 529:
      return errorBody('overloaded_error', 'Overloaded');
    default:
      return status >= 500
        ? errorBody('api_error', 'Internal server error')
        : errorBody('invalid_request_error', `Request failed with status ${status} (fake fault).`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      if (!isRecord(block)) return '';
      if (block.type === 'text' && typeof block.text === 'string') return block.text;
      if (block.type === 'tool_result') return textOf(block.content);
      return '';
    })
    .join(' ');
}

/** input_tokens: 3 + words of the system prompt, and 3 + words per message (see the header). */
export function countInputTokens(body: Record<string, unknown>): number {
  let total = body.system === undefined ? 0 : 3 + countWords(textOf(body.system));
  for (const message of Array.isArray(body.messages) ? body.messages : []) {
    total += 3 + (isRecord(message) ? countWords(textOf(message.content)) : 0);
  }
  return total;
}

/** How the tool input is streamed: its JSON split after each ',' and ':'. */
export function jsonPieces(input: unknown): string[] {
  return JSON.stringify(input).split(/(?<=[,:])/);
}

interface TextGeneration {
  pieces: string[];
  stopReason: 'end_turn' | 'max_tokens' | 'stop_sequence';
  stopSequence: string | null;
}

/** max_tokens first (→ max_tokens), then the earliest stop sequence in what is left (→ cut before it). */
export function generateText(reply: string, maxTokens: number, stops: readonly string[]): TextGeneration {
  const all = tokenize(reply);
  const limited = all.slice(0, maxTokens);
  const { pieces, stop } = cutAtStop(limited, stops);
  const stopReason: TextGeneration['stopReason'] =
    stop !== null ? 'stop_sequence' : limited.length < all.length ? 'max_tokens' : 'end_turn';
  return { pieces, stopReason, stopSequence: stop };
}

/** Models that refuse temperature and top_p together (opus ≥ 4.1, sonnet/haiku ≥ 4.5). */
function rejectsTemperatureWithTopP(model: string): boolean {
  const match = /claude-(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=$|[-@:.])/.exec(model);
  if (!match) return false;
  const version = Number(match[2]) + Number(match[3] ?? 0) / 10;
  return version >= (match[1] === 'opus' ? 4.1 : 4.5);
}

/** Fields accepted only with their beta flag in `anthropic-beta`, as the real API does. */
const BETA_FIELDS: Record<string, string> = {
  context_management: 'context-management-2025-06-27',
};

/** Tool fields accepted only with their beta flag. */
const BETA_TOOL_FIELDS: Record<string, string> = {
  defer_loading: 'advanced-tool-use-2025-11-20',
  input_examples: 'advanced-tool-use-2025-11-20',
  eager_input_streaming: 'fine-grained-tool-streaming-2025-05-14',
};

/**
 * The signature the fake gives a thinking block: a digest of its text under the fake's own secret, so a
 * block that comes back changed (or made up by a gateway) fails as Anthropic's own check does.
 */
export function thinkingSignature(thinking: string): string {
  return createHmac('sha256', 'fake-anthropic-thinking').update(thinking).digest('base64');
}

/** What the fake thinks when thinking is on (streamed as thinking_delta pieces). */
export const FAKE_THINKING = 'The user wants an answer. I will give it.';

/**
 * With thinking on, the final assistant turn, when it used tools, must start with its thinking block,
 * unchanged (Anthropic: "Expected `thinking` or `redacted_thinking`, but found `tool_use`"); earlier turns
 * may leave theirs out. `budget_tokens` is at least 1,024 and below `max_tokens`.
 */
function validateThinking(body: Record<string, unknown>): string | undefined {
  if (!isRecord(body.thinking) || body.thinking.type !== 'enabled') return undefined;
  const budget = body.thinking.budget_tokens;
  if (typeof budget !== 'number' || budget < 1024)
    return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
  if (typeof body.max_tokens === 'number' && body.max_tokens <= budget)
    return '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size';
  if (body.temperature !== undefined && body.temperature !== 1)
    return '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility';
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages.findLastIndex((m) => isRecord(m) && m.role === 'assistant');
  for (const [i, message] of messages.entries()) {
    if (i !== last) continue;
    if (!isRecord(message) || message.role !== 'assistant' || !Array.isArray(message.content)) continue;
    const blocks = message.content.filter(isRecord);
    if (!blocks.some((b) => b.type === 'tool_use')) continue;
    const first = blocks[0];
    if (first?.type !== 'thinking' && first?.type !== 'redacted_thinking') {
      return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first?.type)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks).`;
    }
    if (first.type === 'thinking' && first.signature !== thinkingSignature(String(first.thinking))) {
      return `messages.${i}.content.0: Invalid \`signature\` in \`thinking\` block`;
    }
  }
  return undefined;
}

/** The request's problems, as the real API words them; undefined when it is valid. */
function validate(body: Record<string, unknown>, betas: readonly string[] = []): string | undefined {
  for (const key of Object.keys(body)) {
    const beta = BETA_FIELDS[key];
    if (beta !== undefined && betas.includes(beta)) continue;
    if (!KNOWN_FIELDS.has(key)) return `${key}: Extra inputs are not permitted`;
  }
  for (const key of ['model', 'messages', 'max_tokens']) {
    if (body[key] === undefined) return `${key}: Field required`;
  }
  if (typeof body.model !== 'string') return 'model: Input should be a valid string';
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) {
    return 'max_tokens: Input should be a valid integer';
  }
  if (body.max_tokens < 1) return 'max_tokens: Input should be greater than or equal to 1';
  for (const key of ['temperature', 'top_p']) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') return `${key}: Input should be a valid number`;
    if (value < 0) return `${key}: Input should be greater than or equal to 0`;
    if (value > 1) return `${key}: Input should be less than or equal to 1`;
  }
  if (body.temperature !== undefined && body.top_p !== undefined && rejectsTemperatureWithTopP(body.model)) {
    return '`temperature` and `top_p` cannot both be specified for this model. Please use only one.';
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    return 'stream: Input should be a valid boolean';
  if (
    body.stop_sequences !== undefined &&
    !(Array.isArray(body.stop_sequences) && body.stop_sequences.every((s) => typeof s === 'string'))
  ) {
    return 'stop_sequences: Input should be a valid list of strings';
  }
  if (body.metadata !== undefined) {
    if (!isRecord(body.metadata)) return 'metadata: Input should be a valid dictionary';
    for (const key of Object.keys(body.metadata)) {
      if (key !== 'user_id') return `metadata.${key}: Extra inputs are not permitted`;
    }
  }
  if (body.system !== undefined) {
    if (typeof body.system !== 'string' && !Array.isArray(body.system)) {
      return 'system: Input should be a valid string or a list of text blocks';
    }
    if (Array.isArray(body.system)) {
      for (const [i, block] of body.system.entries()) {
        if (!isRecord(block) || block.type !== 'text' || typeof block.text !== 'string') {
          return `system.${i}: Input should be a text block`;
        }
        if (block.text === '') return 'system: text content blocks must be non-empty';
      }
    }
  }
  return validateTools(body, betas) ?? validateMessages(body) ?? validateThinking(body);
}

function validateTools(body: Record<string, unknown>, betas: readonly string[]): string | undefined {
  const names: string[] = [];
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: Input should be a valid list';
    for (const [i, tool] of body.tools.entries()) {
      if (!isRecord(tool)) return `tools.${i}: Input should be a valid dictionary`;
      if (typeof tool.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name)) {
        return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      }
      if (!isRecord(tool.input_schema)) return `tools.${i}.custom.input_schema: Field required`;
      if (tool.input_schema.type !== 'object') {
        return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
      }
      for (const key of Object.keys(tool)) {
        const beta = BETA_TOOL_FIELDS[key];
        if (beta !== undefined && betas.includes(beta)) continue;
        if (!['name', 'description', 'input_schema', 'type', 'cache_control', 'strict'].includes(key)) {
          return `tools.${i}.custom.${key}: Extra inputs are not permitted`;
        }
      }
      names.push(tool.name);
    }
  }
  const choice = body.tool_choice;
  if (choice !== undefined) {
    if (!isRecord(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice.type))) {
      return "tool_choice: Input tag found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'";
    }
    if (choice.type === 'tool' && (typeof choice.name !== 'string' || !names.includes(choice.name))) {
      return `tool_choice: Tool '${String(choice.name)}' not found in the provided tools`;
    }
  }
  return undefined;
}

function validateBlock(block: unknown, at: string): string | undefined {
  if (!isRecord(block)) return `${at}: Input should be a valid dictionary`;
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') return `${at}.text.text: Field required`;
      if (block.text === '') return 'messages: text content blocks must be non-empty';
      return undefined;
    case 'image': {
      const source = block.source;
      if (!isRecord(source)) return `${at}.image.source: Field required`;
      if (source.type === 'base64') {
        if (!IMAGE_MEDIA_TYPES.includes(String(source.media_type))) {
          return `${at}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
        }
        if (typeof source.data !== 'string') return `${at}.image.source.base64.data: Field required`;
        return undefined;
      }
      if (source.type === 'url')
        return typeof source.url === 'string' ? undefined : `${at}.image.source.url.url: Field required`;
      return `${at}.image.source: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`;
    }
    case 'document':
      return isRecord(block.source) ? undefined : `${at}.document.source: Field required`;
    case 'tool_use':
      if (typeof block.id !== 'string') return `${at}.tool_use.id: Field required`;
      if (typeof block.name !== 'string') return `${at}.tool_use.name: Field required`;
      return isRecord(block.input) ? undefined : `${at}.tool_use.input: Input should be a valid dictionary`;
    case 'tool_result':
      return typeof block.tool_use_id === 'string'
        ? undefined
        : `${at}.tool_result.tool_use_id: Field required`;
    case 'thinking':
      if (typeof block.thinking !== 'string') return `${at}.thinking.thinking: Field required`;
      return typeof block.signature === 'string' ? undefined : `${at}.thinking.signature: Field required`;
    case 'redacted_thinking':
      return typeof block.data === 'string' ? undefined : `${at}.redacted_thinking.data: Field required`;
    default:
      return `${at}: Input tag '${String(block.type)}' found using 'type' does not match any of the expected tags`;
  }
}

function validateMessages(body: Record<string, unknown>): string | undefined {
  const messages = body.messages;
  if (!Array.isArray(messages)) return 'messages: Input should be a valid list';
  let previousToolUses: string[] = [];
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message)) return `messages.${i}: Input should be a valid dictionary`;
    if (message.role === 'system') {
      return 'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.';
    }
    if (message.role !== 'user' && message.role !== 'assistant') {
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    }
    const last = i === messages.length - 1;
    const { content } = message;
    if (typeof content === 'string') {
      if (content === '' && !(last && message.role === 'assistant')) {
        return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
      }
    } else if (Array.isArray(content)) {
      for (const [j, block] of content.entries()) {
        const problem = validateBlock(block, `messages.${i}.content.${j}`);
        if (problem) return problem;
      }
    } else return `messages.${i}.content: Input should be a valid string or list`;

    const blocks = Array.isArray(content) ? content.filter(isRecord) : [];
    const results = blocks.filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id));
    const stray = results.filter((id) => !previousToolUses.includes(id));
    if (stray.length > 0) {
      const j = blocks.findIndex((b) => b.type === 'tool_result' && stray.includes(String(b.tool_use_id)));
      return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${stray.join(', ')}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    }
    const unanswered = previousToolUses.filter((id) => !results.includes(id));
    if (unanswered.length > 0) {
      return `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
    previousToolUses = blocks.filter((b) => b.type === 'tool_use').map((b) => String(b.id));

    if (last && message.role === 'assistant') {
      const text = typeof content === 'string' ? content : textOf(blocks.at(-1) ? [blocks.at(-1)] : []);
      if (text !== text.trimEnd())
        return 'messages: final assistant content cannot end with trailing whitespace';
    }
  }
  if (messages.length === 0) return 'messages: at least one message is required';
  return undefined;
}

interface ToolAnswer {
  id: string;
  name: string;
  input: Record<string, unknown>;
  text: string | undefined;
}

/** Whether (and how) to answer with a tool_use block. */
function endsWithToolResult(body: Record<string, unknown>): boolean {
  const last = Array.isArray(body.messages) ? body.messages.at(-1) : undefined;
  return (
    isRecord(last) &&
    Array.isArray(last.content) &&
    last.content.some((block) => isRecord(block) && block.type === 'tool_result')
  );
}

function toolAnswer(body: Record<string, unknown>, option: FakeToolCall | undefined): ToolAnswer | undefined {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const names = tools.map((t) => String(t.name));
  const choice = isRecord(body.tool_choice) ? body.tool_choice : { type: 'auto' };
  if (names.length === 0 || choice.type === 'none') return undefined;
  const forced = choice.type === 'any' || choice.type === 'tool';
  if (!forced && !option) return undefined;
  if (!forced && option?.untilResult && endsWithToolResult(body)) return undefined;
  const name =
    choice.type === 'tool'
      ? String(choice.name)
      : option?.name !== undefined && names.includes(option.name)
        ? option.name
        : (names[0] as string);
  return {
    id: newId('toolu_01', 18),
    name,
    input: option?.input ?? {},
    text: forced ? undefined : option?.text,
  };
}

/** The beta flags of a request's `anthropic-beta` header (comma-separated). */
function betasOf(req: IncomingMessage): string[] {
  const header = req.headers['anthropic-beta'];
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value
    .split(',')
    .map((flag) => flag.trim())
    .filter((flag) => flag !== '');
}

/** An API key in `x-api-key`, or (as the official SDK now sends it) `Authorization: Bearer <key>`. */
function authenticated(req: IncomingMessage): boolean {
  const apiKey = req.headers['x-api-key'];
  return (
    (typeof apiKey === 'string' && apiKey !== '') || /^Bearer\s+\S+/i.test(req.headers.authorization ?? '')
  );
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const exchanges = new Set<Exchange>();
  let closing = false;

  const fake: FakeAnthropic = { url: '', requests: [], faults: [], options, aborted: 0, close };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, errorBody('api_error', `fake upstream crashed: ${String(error)}`));
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
      'request-id': newId('req_011', 16),
      ...headers,
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = parseBody(raw);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    fake.requests.push({ method, path, headers: { ...req.headers }, body });

    const exchange = new Exchange(res, () => {
      if (!closing) fake.aborted += 1;
    });
    exchanges.add(exchange);
    res.on('close', () => exchanges.delete(exchange));

    const fault = fake.faults.shift();
    if (fault?.kind === 'hang') return;
    if (!(await exchange.wait(fake.options.firstByteDelayMs))) return;
    const isMessages = path === '/v1/messages' && method === 'POST';
    const wantsStream = isMessages && isRecord(body) && body.stream === true;

    if (fault?.kind === 'status') {
      sendJson(res, fault.status, fault.body ?? defaultErrorBody(fault.status), fault.headers);
      return;
    }
    if (fault?.kind === 'invalid-json' && !wantsStream) {
      sendJson(res, 200, '{"id":"msg_fake","type":"message","role":"assistant","content":[{"ty');
      return;
    }
    if (fault?.kind === 'drop-mid-stream' && !wantsStream) {
      exchange.destroy();
      return;
    }
    if (fault?.kind === 'stream-error' && !wantsStream) {
      const type = fault.errorType ?? 'overloaded_error';
      sendJson(res, ERROR_STATUS[type] ?? 500, errorBody(type, fault.message ?? 'Overloaded'));
      return;
    }

    const isCount = path === '/v1/messages/count_tokens' && method === 'POST';
    if (isMessages || isCount) {
      // What both refuse before reading the request: no key, no version, a body that is not an object.
      if (!authenticated(req)) {
        sendJson(res, 401, errorBody('authentication_error', 'x-api-key header is required'));
        return;
      }
      if (typeof req.headers['anthropic-version'] !== 'string') {
        sendJson(res, 400, errorBody('invalid_request_error', 'anthropic-version: header is required'));
        return;
      }
      if (!isRecord(body)) {
        sendJson(
          res,
          400,
          errorBody('invalid_request_error', 'There was an error parsing the body of your request.'),
        );
        return;
      }
    }
    if (isMessages && isRecord(body)) {
      const problem = validate(body, betasOf(req));
      if (problem) {
        sendJson(res, 400, errorBody('invalid_request_error', problem));
        return;
      }
      await messages(exchange, body, fault);
      return;
    }
    if (isCount && isRecord(body)) {
      // count_tokens takes a Messages body without max_tokens (and refuses max_tokens and stream).
      for (const key of ['max_tokens', 'stream']) {
        if (body[key] !== undefined) {
          sendJson(res, 400, errorBody('invalid_request_error', `${key}: Extra inputs are not permitted`));
          return;
        }
      }
      const problem = validate({ ...body, max_tokens: 1 }, betasOf(req));
      if (problem) {
        sendJson(res, 400, errorBody('invalid_request_error', problem));
        return;
      }
      sendJson(res, 200, { input_tokens: countInputTokens(body) });
      return;
    }
    if (path === '/v1/models' && method === 'GET') {
      if (!authenticated(req)) {
        sendJson(res, 401, errorBody('authentication_error', 'x-api-key header is required'));
        return;
      }
      const models = fake.options.models ?? DEFAULT_MODELS;
      sendJson(res, 200, {
        data: models.map((id) => ({
          type: 'model',
          id,
          display_name: id,
          created_at: '2025-09-29T00:00:00Z',
        })),
        has_more: false,
        first_id: models[0] ?? null,
        last_id: models.at(-1) ?? null,
      });
      return;
    }
    sendJson(res, 404, errorBody('not_found_error', 'Not Found'));
  }

  async function messages(exchange: Exchange, body: Record<string, unknown>, fault: Fault | undefined) {
    const { res } = exchange;
    const model = String(body.model);
    const stops = Array.isArray(body.stop_sequences) ? body.stop_sequences.map(String) : [];
    const tool = toolAnswer(body, fake.options.toolCall);
    const text = tool ? tool.text : (fake.options.reply ?? DEFAULT_REPLY);
    const generation = generateText(text ?? '', Number(body.max_tokens), stops);
    const toolPieces = tool ? jsonPieces(tool.input) : [];
    let stopReason: string =
      tool && generation.stopReason === 'end_turn' ? 'tool_use' : generation.stopReason;
    if (fake.options.refuse) stopReason = 'refusal';
    const stopSequence = stopReason === 'stop_sequence' ? generation.stopSequence : null;
    const emitTool = tool !== undefined && stopReason === 'tool_use';
    const thinking = isRecord(body.thinking) && body.thinking.type === 'enabled';
    const thinkingPieces = thinking ? tokenize(FAKE_THINKING) : [];
    const outputTokens =
      thinkingPieces.length + generation.pieces.length + (emitTool ? toolPieces.length : 0);
    const inputTokens = countInputTokens(body);
    const cacheRead = fake.options.cacheReadInputTokens ?? 0;
    const cacheCreation = fake.options.cacheCreationInputTokens ?? 0;
    const cacheCreation1h = fake.options.cacheCreation1hInputTokens ?? 0;
    const usage = (output: number) => ({
      input_tokens: inputTokens,
      cache_creation_input_tokens: cacheCreation,
      cache_read_input_tokens: cacheRead,
      cache_creation: {
        ephemeral_5m_input_tokens: cacheCreation - cacheCreation1h,
        ephemeral_1h_input_tokens: cacheCreation1h,
      },
      output_tokens: output,
      service_tier: 'standard',
    });
    const id = newId('msg_01', 18);
    const textContent = generation.pieces.join('');

    if (body.stream !== true) {
      const content: unknown[] = [];
      if (thinking) {
        content.push({
          type: 'thinking',
          thinking: FAKE_THINKING,
          signature: thinkingSignature(FAKE_THINKING),
        });
      }
      if (textContent !== '' || !emitTool) content.push({ type: 'text', text: textContent });
      if (emitTool) content.push({ type: 'tool_use', id: tool.id, name: tool.name, input: tool.input });
      sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: stopSequence,
        usage: usage(outputTokens),
      });
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': newId('req_011', 16),
    });
    res.flushHeaders();
    const send = async (data: Record<string, unknown>): Promise<boolean> => {
      if (!(await exchange.wait(fake.options.chunkDelayMs))) return false;
      return exchange.write(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const start = {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usage(1),
      },
    };
    if (!(await send(start))) return;

    if (fault?.kind === 'invalid-json') {
      await exchange.write(
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_bl\n\n',
      );
      exchange.markServerEnded();
      res.end();
      return;
    }

    let index = 0;
    if (thinking) {
      const block = { type: 'thinking', thinking: '', signature: '' };
      if (!(await send({ type: 'content_block_start', index, content_block: block }))) return;
      for (const piece of thinkingPieces) {
        const delta = { type: 'thinking_delta', thinking: piece };
        if (!(await send({ type: 'content_block_delta', index, delta }))) return;
      }
      const signature = { type: 'signature_delta', signature: thinkingSignature(FAKE_THINKING) };
      if (!(await send({ type: 'content_block_delta', index, delta: signature }))) return;
      if (!(await send({ type: 'content_block_stop', index }))) return;
      index += 1;
    }
    const hasText = textContent !== '' || !emitTool;
    if (hasText) {
      if (!(await send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } })))
        return;
      if (!(await send({ type: 'ping' }))) return;
      for (const [i, piece] of generation.pieces.entries()) {
        if (fault?.kind === 'drop-mid-stream' && i >= fault.afterChunks) break;
        if (fault?.kind === 'stream-error' && i >= fault.afterChunks) break;
        if (!(await send({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } })))
          return;
      }
      if (fault?.kind === 'drop-mid-stream') {
        exchange.destroy();
        return;
      }
      if (fault?.kind === 'stream-error') {
        const type = fault.errorType ?? 'overloaded_error';
        await send({ type: 'error', error: { type, message: fault.message ?? 'Overloaded' } });
        exchange.markServerEnded();
        res.end();
        return;
      }
      if (!(await send({ type: 'content_block_stop', index }))) return;
      index += 1;
    }
    if (emitTool) {
      const block = { type: 'tool_use', id: tool.id, name: tool.name, input: {} };
      if (!(await send({ type: 'content_block_start', index, content_block: block }))) return;
      for (const partial of ['', ...toolPieces]) {
        if (
          !(await send({
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: partial },
          }))
        )
          return;
      }
      if (!(await send({ type: 'content_block_stop', index }))) return;
    }
    const delta = {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: stopSequence },
      usage: { output_tokens: outputTokens },
    };
    if (!(await send(delta))) return;
    if (!(await send({ type: 'message_stop' }))) return;
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
