// The Responses API as a front door of the pipeline, made per request: the request is read (and the
// conversation it continues loaded) before the pipeline runs, and the door's answer, stream and stored
// response all come from that one reading. An upstream that has the Responses API itself (OpenAI, Azure)
// gets the client's body (core/native.ts), the conversation's items in place of `previous_response_id`,
// since the gateway keeps conversations; every other model gets the chat translation.
import type { Principal } from '../../auth/authenticator.js';
import { accountOf } from '../../auth/principal.js';
import { openAIErrorBody } from '../../core/error-renderers.js';
import { type GatewayError, gatewayError, invalidRequest } from '../../core/errors.js';
import { attachNativeRequest, nativeAnswerOf, nativeAnswerTextOf } from '../../core/native.js';
import { rememberRawMembers } from '../../core/raw-json.js';
import type { ChatMessage, ChatRequest, ChatResponse } from '../../core/types.js';
import type { FrontDoor, ParsedRequest } from '../../pipeline/front-door.js';
import { appendItems, type Untranslatable } from './input.js';
import { responseState } from './output.js';
import type { InputItem, ResponsesRequest } from './request.js';
import { validateResponsesRequest } from './request.js';
import {
  asGateways,
  type ResponseContext,
  responseAsGatewaysInText,
  responseId,
  responseIdOfCompletion,
  responseObject,
} from './response-object.js';
import type { StoredResponses } from './stored-responses.js';
import { ResponsesStreamEncoder } from './stream-encoder.js';
import { mapToolChoice, mapTools } from './tools.js';

/** The input as items: a string is one user message. */
function inputItems(input: ResponsesRequest['input']): InputItem[] {
  if (input == null) return [];
  if (typeof input === 'string')
    return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  return input;
}

const ID_PREFIX: Record<string, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  reasoning: 'rs',
};

/** Input items as stored and listed: each with an id (the client's own, else one made from the response's). */
function withIds(items: readonly InputItem[], responseId: string): Record<string, unknown>[] {
  const hex = responseId.slice('resp_'.length);
  return items.map((item, i) => {
    const record = item as Record<string, unknown>;
    if (typeof record.id === 'string') return record;
    const prefix = ID_PREFIX[String(record.type ?? 'message')] ?? 'item';
    return { id: `${prefix}_${hex}in${i.toString(16).padStart(4, '0')}`, ...record };
  });
}

const PROTOCOL = 'openai-responses';

/** The members an upstream may get as the client wrote them (see `prepareResponsesDoor`). */
const RAW_VALUES = ['input', 'tools'];

/** Item types a stored conversation replays to a Responses upstream (built-in tools' records are its own). */
const REPLAYED = new Set(['message', 'function_call', 'function_call_output', 'reasoning']);

/**
 * A stored conversation's items as a Responses upstream takes them in `input`: without the ids the gateway or
 * another upstream gave them (ids refer to items stored upstream), and reasoning only where it carries its
 * `encrypted_content` (a reasoning item is otherwise only a reference).
 */
function replayable(items: readonly InputItem[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const item of items as readonly Record<string, unknown>[]) {
    const type = (item.type as string | undefined) ?? 'message';
    if (!REPLAYED.has(type)) continue;
    if (type === 'reasoning' && typeof item.encrypted_content !== 'string') continue;
    const { id: _id, status: _status, ...rest } = item;
    out.push(rest);
  }
  return out;
}

/** The body a Responses upstream gets: the client's, with the conversation it continues spelled out. */
function upstreamBody(request: ResponsesRequest, history: readonly InputItem[]): Record<string, unknown> {
  const { previous_response_id: _previous, ...body } = request as Record<string, unknown>;
  if (history.length > 0) body.input = [...replayable(history), ...inputItems(request.input)];
  return body;
}

/** The chat request a Responses request amounts to, with the notes of what was dropped. */
function chatRequest(
  request: ResponsesRequest,
  history: readonly InputItem[],
  input: readonly InputItem[],
  compact: boolean,
  untranslatable: Untranslatable,
): { chat: ChatRequest; context: Omit<ResponseContext, 'id'>; notes: string[] } {
  const tools = mapTools(request.tools, untranslatable);
  const messages: ChatMessage[] = [];
  // Instructions are the developer's words; `system` reaches every provider (some refuse `developer`).
  if (typeof request.instructions === 'string')
    messages.push({ role: 'system', content: request.instructions });
  else if (request.instructions) appendItems(messages, request.instructions, 'instructions', untranslatable);
  appendItems(messages, history, 'previous_response_id', untranslatable);
  let untranslated = false;
  appendItems(messages, input, 'input', (why) => {
    untranslated = true;
    untranslatable(why);
  });
  if (messages.length === 0) {
    if (!untranslated)
      throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
    // Only items with no chat form: they pass through, or the translation refuses them. This stands in for
    // routing and admission.
    messages.push({ role: 'user', content: '' });
  }

  const chat: ChatRequest = { model: request.model, messages, stream: !compact && request.stream === true };
  const set = (name: string, value: unknown) => {
    if (value !== undefined && value !== null) chat[name] = value;
  };
  set('temperature', request.temperature);
  set('top_p', request.top_p);
  set('max_completion_tokens', request.max_output_tokens);
  // Checked even without tools (a built-in choice is refused either way); sent only with them, as chat
  // refuses tool settings without tools.
  const toolChoice = mapToolChoice(request.tool_choice, untranslatable);
  if (tools.tools.length > 0) {
    chat.tools = tools.tools;
    set('tool_choice', toolChoice);
    set('parallel_tool_calls', request.parallel_tool_calls);
  }
  const format = request.text?.format;
  if (format?.type === 'json_schema') {
    const schema: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema ?? {} };
    if (format.description != null) schema.description = format.description;
    if (format.strict != null) schema.strict = format.strict;
    chat.response_format = { type: 'json_schema', json_schema: schema };
  } else if (format?.type === 'json_object') {
    chat.response_format = { type: 'json_object' };
  }
  set('verbosity', request.text?.verbosity);
  set('reasoning_effort', request.reasoning?.effort);
  set('user', request.user);
  set('safety_identifier', request.safety_identifier);
  set('prompt_cache_key', request.prompt_cache_key);
  if (request.service_tier != null && request.service_tier !== 'auto')
    set('service_tier', request.service_tier);

  const notes = [...tools.notes];
  if (request.truncation === 'auto')
    notes.push("truncation 'auto' is not applied by tokgate: an input over the model's context fails");
  const offeredTools = (request.tools ?? []).filter((t) => t.type === 'function' || t.type === 'namespace');
  return { chat, context: { request, namespaced: tools.namespaced, offeredTools }, notes };
}

export interface DoorDeps {
  stored: StoredResponses;
}

/**
 * Reads one request and makes its door. `compact` is POST /v1/responses/compact: the same body, the answer's
 * output text only, as plain text (TokModel's semantics), never streamed and never stored.
 */
export async function prepareResponsesDoor(
  body: unknown,
  rawJson: string | undefined,
  principal: Principal,
  deps: DoorDeps,
  compact: boolean,
): Promise<FrontDoor> {
  const request = validateResponsesRequest(body);
  // A large `input` or `tools` goes upstream as the client wrote it, when it goes unchanged (an agent's
  // request is hundreds of KB: serialising it again cost more than anything else the door does).
  if (rawJson !== undefined) rememberRawMembers(request as Record<string, unknown>, rawJson, RAW_VALUES);
  if (request.background === true)
    throw invalidRequest(
      'Background responses are not supported by this gateway.',
      'background',
      'invalid_value',
    );
  if (compact && request.stream === true)
    throw invalidRequest(
      'POST /v1/responses/compact answers the output text as text/plain; it does not stream.',
      'stream',
      'invalid_value',
    );
  const accountId = accountOf(principal);
  let history: InputItem[] = [];
  if (request.previous_response_id != null) {
    const previous = await deps.stored.get(request.previous_response_id, accountId);
    if (!previous)
      throw gatewayError('not_found', {
        message: `Previous response with id '${request.previous_response_id}' not found.`,
        param: 'previous_response_id',
      });
    history = [...previous.input, ...(previous.response.output as Record<string, unknown>[])] as InputItem[];
  }
  const input = inputItems(request.input);
  let refusal: GatewayError | undefined;
  const { chat, context, notes } = chatRequest(request, history, input, compact, (why) => {
    refusal ??= why;
  });
  // What the translation drops or cannot do is said (or refused) only where the request is translated.
  attachNativeRequest(chat, {
    protocol: PROTOCOL,
    body: upstreamBody(request, history),
    headers: {},
    translation: { warnings: notes, refusal },
  });
  const store = !compact && request.store !== false;

  /** Stores an answer: its JSON text, or the object when not serialised yet. */
  const keep = (id: string, response: string | Record<string, unknown>) => {
    if (!store) return;
    deps.stored.put({
      id,
      accountId,
      model: request.model,
      input: [...(history as Record<string, unknown>[]), ...withIds(input, id)],
      ...(typeof response === 'string' ? { responseJson: response } : { response }),
    });
  };

  const parse = (): ParsedRequest => ({ request: chat, fallbacks: [] });
  if (compact) {
    return {
      name: 'responses compact',
      parse,
      answer: (response: ChatResponse) => response.choices[0]?.message.content ?? '',
      // Never called: a compact request is refused above when it asks to stream.
      stream: (_request, exchangeId) =>
        new ResponsesStreamEncoder({ id: responseId(exchangeId), ...context }, () => undefined),
      errorBody: openAIErrorBody,
    };
  }
  return {
    name: 'response',
    parse,
    answer(response: ChatResponse) {
      const id = responseIdOfCompletion(response.id);
      const full = { id, ...context };
      const json =
        upstreamsAsGateways(response, full) ??
        JSON.stringify(responseObject(full, responseState(full, response)));
      keep(id, json);
      return json;
    },
    stream(_request, exchangeId) {
      const id = responseId(exchangeId);
      return new ResponsesStreamEncoder({ id, ...context }, (response) => keep(id, response));
    },
    errorBody: openAIErrorBody,
  };
}

/**
 * An upstream's own Response (passed through) as the gateway answers it, as JSON text: spliced into the
 * upstream's text where it was kept (no second serialisation of what the upstream wrote), else rewritten
 * from its parse. Undefined when the answer was translated.
 */
function upstreamsAsGateways(response: ChatResponse, context: ResponseContext): string | undefined {
  const cost = response.usage?.cost;
  const text = nativeAnswerTextOf(response, PROTOCOL);
  const spliced = text === undefined ? undefined : responseAsGatewaysInText(text, context, cost);
  if (spliced) return spliced.text;
  const native = nativeAnswerOf(response, PROTOCOL);
  return native ? JSON.stringify(asGateways(native as Record<string, unknown>, context, cost)) : undefined;
}
