// OpenAI's Responses API (`POST /v1/responses`) as the fake upstreams answer it: OpenAI's fake at
// `/v1/responses`, Azure's at `/openai/v1/responses`. One module makes the answer, whole or as its event
// stream, from the same generation the fake's chat completions use (the same tokenizer, reply and options).
//
// Faithful details of the real API that it reproduces:
// - the Response object's fields (`status`, `incomplete_details`, `output` items with ids `msg_`/`fc_`/`rs_`/
//   `ws_`, `usage` with `input_tokens_details.cached_tokens` and `output_tokens_details.reasoning_tokens`),
//   the model named by its snapshot (`gpt-4o` → `gpt-4o-2024-08-06`);
// - the stream: `event:` + `data:` lines, every event with its `type` and `sequence_number`, from
//   `response.created` to `response.completed` (or `response.incomplete`), no `[DONE]`;
// - `previous_response_id` the fake never issued is a 400 (`previous_response_not_found`); so is a
//   `reasoning` input item without `encrypted_content` (a stateless request cannot refer to one by id);
// - a `web_search` tool makes a `web_search_call` item before the message (the built-in tool ran);
// - `include: ["reasoning.encrypted_content"]` adds `encrypted_content` to reasoning items.
// prompt tokens: 3 per message item (instructions count as one) plus the words of its text.
import { randomBytes } from 'node:crypto';
import { DEFAULT_REPLY, generate, tokenize } from './generation.js';

export interface ResponsesFakeOptions {
  reply?: string;
  /** As the chat fake's: a function call when the request offers function tools and does not end with
   * a function_call_output. */
  toolCall?: { name?: string; arguments: string; text?: string };
  /** Reasoning summary text (a `reasoning` item first, its words counted as reasoning tokens). */
  reasoning?: string;
  /** Input tokens reported as cached (at most the input). */
  cachedTokens?: number;
}

export type ResponsesAnswer =
  | { kind: 'error'; status: number; body: unknown }
  | { kind: 'ok'; response: Record<string, unknown>; events: Record<string, unknown>[] };

const SNAPSHOTS: Record<string, string> = {
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A tool as the Response echoes it: function tools with OpenAI's defaults filled in. */
function echoedTool(tool: Record<string, unknown>): Record<string, unknown> {
  if (tool.type !== 'function') return tool;
  return { description: null, parameters: null, ...tool, strict: tool.strict ?? true };
}

const words = (text: string) => text.split(/\s+/).filter((w) => w !== '').length;

function bad(message: string, param: string | null, code: string | null = null): ResponsesAnswer {
  return {
    kind: 'error',
    status: 400,
    body: { error: { message, type: 'invalid_request_error', param, code } },
  };
}

/** The words of an item's text: string content, or its text parts. */
function itemWords(item: Record<string, unknown>): number {
  const content = item.content ?? item.output;
  if (typeof content === 'string') return words(content);
  let total = 0;
  if (Array.isArray(content))
    for (const part of content)
      if (isRecord(part) && typeof part.text === 'string') total += words(part.text);
  return total;
}

export function fakeResponsesAnswer(body: unknown, options: ResponsesFakeOptions): ResponsesAnswer {
  if (!isRecord(body)) return bad('We could not parse the JSON body of your request.', null);
  if (typeof body.model !== 'string' || body.model === '')
    return bad("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (body.previous_response_id != null)
    return bad(
      `Previous response with id '${String(body.previous_response_id)}' not found.`,
      'previous_response_id',
      'previous_response_not_found',
    );
  const items: Record<string, unknown>[] =
    typeof body.input === 'string'
      ? [{ type: 'message', role: 'user', content: body.input }]
      : Array.isArray(body.input)
        ? body.input.filter(isRecord)
        : [];
  if (items.length === 0)
    return bad("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  for (const [i, item] of items.entries()) {
    if (item.type === 'reasoning' && typeof item.encrypted_content !== 'string')
      return bad(`Item with id '${String(item.id)}' not found.`, `input[${i}]`);
  }
  const maxTokens = body.max_output_tokens;
  if (maxTokens != null && (typeof maxTokens !== 'number' || maxTokens < 16))
    return bad(
      "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16.",
      'max_output_tokens',
    );

  let inputTokens = typeof body.instructions === 'string' ? 3 + words(body.instructions) : 0;
  for (const item of items)
    if (item.type === undefined || item.type === 'message') inputTokens += 3 + itemWords(item);
    else inputTokens += itemWords(item);

  const id = `resp_${hex(24)}`;
  const model = SNAPSHOTS[body.model] ?? body.model;
  const createdAt = Math.floor(Date.now() / 1000);
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const include = Array.isArray(body.include) ? body.include : [];
  const output: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  let outputTokens = 0;
  let reasoningTokens = 0;

  const base = (status: string) => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output: [] as unknown[],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: tools.map(echoedTool),
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    metadata: body.metadata ?? {},
  });
  events.push({ type: 'response.created', response: base('in_progress') });
  events.push({ type: 'response.in_progress', response: base('in_progress') });

  const addItem = (
    item: Record<string, unknown>,
    added: Record<string, unknown>,
    inner: Record<string, unknown>[],
  ) => {
    const index = output.length;
    events.push({ type: 'response.output_item.added', output_index: index, item: added });
    for (const event of inner) events.push({ ...event, output_index: index });
    events.push({ type: 'response.output_item.done', output_index: index, item });
    output.push(item);
  };

  if (options.reasoning) {
    const rid = `rs_${hex(24)}`;
    const text = options.reasoning;
    reasoningTokens = tokenize(text).length;
    const item: Record<string, unknown> = {
      id: rid,
      type: 'reasoning',
      summary: [{ type: 'summary_text', text }],
    };
    if (include.includes('reasoning.encrypted_content')) item.encrypted_content = `enc_${hex(16)}`;
    const at = { item_id: rid, summary_index: 0 };
    addItem(item, { id: rid, type: 'reasoning', summary: [] }, [
      { type: 'response.reasoning_summary_part.added', ...at, part: { type: 'summary_text', text: '' } },
      ...tokenize(text).map((delta) => ({ type: 'response.reasoning_summary_text.delta', ...at, delta })),
      { type: 'response.reasoning_summary_text.done', ...at, text },
      { type: 'response.reasoning_summary_part.done', ...at, part: { type: 'summary_text', text } },
    ]);
  }
  if (tools.some((tool) => String(tool.type).startsWith('web_search'))) {
    const wid = `ws_${hex(24)}`;
    const item = {
      id: wid,
      type: 'web_search_call',
      status: 'completed',
      action: { type: 'search', query: 'fake' },
    };
    addItem(item, { ...item, status: 'in_progress' }, [
      { type: 'response.web_search_call.in_progress', item_id: wid },
      { type: 'response.web_search_call.searching', item_id: wid },
      { type: 'response.web_search_call.completed', item_id: wid },
    ]);
  }

  const functions = tools.filter((tool) => tool.type === 'function');
  const answersTool = items.at(-1)?.type === 'function_call_output';
  const call = options.toolCall && functions.length > 0 && body.tool_choice !== 'none' && !answersTool;
  const reply = call ? (options.toolCall?.text ?? '') : (options.reply ?? DEFAULT_REPLY);
  const generation = generate(
    reply,
    typeof maxTokens === 'number' ? maxTokens - reasoningTokens : undefined,
    [],
  );
  outputTokens += generation.pieces.length;
  if (generation.pieces.length > 0) {
    const mid = `msg_${hex(24)}`;
    const text = generation.pieces.join('');
    const incomplete = generation.finishReason === 'length';
    const part = { type: 'output_text', text, annotations: [], logprobs: [] };
    const at = { item_id: mid, content_index: 0 };
    addItem(
      {
        id: mid,
        type: 'message',
        status: incomplete ? 'incomplete' : 'completed',
        role: 'assistant',
        content: [part],
      },
      { id: mid, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
      [
        { type: 'response.content_part.added', ...at, part: { ...part, text: '' } },
        ...generation.pieces.map((delta) => ({
          type: 'response.output_text.delta',
          ...at,
          delta,
          logprobs: [],
        })),
        { type: 'response.output_text.done', ...at, text, logprobs: [] },
        { type: 'response.content_part.done', ...at, part },
      ],
    );
  }
  const incomplete = generation.finishReason === 'length';
  if (call && !incomplete) {
    const fid = `fc_${hex(24)}`;
    const name = options.toolCall?.name ?? String((functions[0] as { name?: unknown }).name);
    const args = options.toolCall?.arguments ?? '{}';
    const callId = `call_${hex(12)}`;
    const third = Math.ceil(args.length / 3);
    const pieces = [args.slice(0, third), args.slice(third, 2 * third), args.slice(2 * third)].filter(
      Boolean,
    );
    outputTokens += 10;
    const item = {
      id: fid,
      type: 'function_call',
      status: 'completed',
      arguments: args,
      call_id: callId,
      name,
    };
    addItem(item, { ...item, status: 'in_progress', arguments: '' }, [
      ...pieces.map((delta) => ({ type: 'response.function_call_arguments.delta', item_id: fid, delta })),
      { type: 'response.function_call_arguments.done', item_id: fid, name, arguments: args },
    ]);
  }

  const cached = Math.min(options.cachedTokens ?? 0, inputTokens);
  const response = {
    ...base(incomplete ? 'incomplete' : 'completed'),
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    output,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: cached, cache_write_tokens: 0 },
      output_tokens: outputTokens + reasoningTokens,
      output_tokens_details: { reasoning_tokens: reasoningTokens },
      total_tokens: inputTokens + outputTokens + reasoningTokens,
    },
  };
  events.push({ type: incomplete ? 'response.incomplete' : 'response.completed', response });
  return { kind: 'ok', response, events: events.map((event, i) => ({ ...event, sequence_number: i })) };
}

/** One event as OpenAI frames it. */
export const responsesEvent = (event: Record<string, unknown>) =>
  `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
