// The APIs the playground can call, behind one shape: each writes the conversation as its own request and
// reads its answer's usage into the same numbers (tokens in and out, cost, times). The chat APIs stream a
// conversation; the media ones (media.ts) make an image or speak a sentence from the last message alone.
import { streamChat } from './chat-stream.js';
import { streamMessages } from './messages-stream.js';
import type { ModelKind } from './types.js';

export type ChatApi = 'chat' | 'messages';
export type MediaApi = 'image' | 'speech';
export type PlaygroundApi = ChatApi | MediaApi;

export const PLAYGROUND_APIS: readonly {
  id: PlaygroundApi;
  label: string;
  endpoint: string;
  /** The kind of model it takes: the model picker lists only those (`GET /v1/models?kind=`). */
  kind: ModelKind;
}[] = [
  { id: 'chat', label: 'Chat completions', endpoint: 'POST /v1/chat/completions', kind: 'chat' },
  { id: 'messages', label: 'Anthropic Messages', endpoint: 'POST /v1/messages', kind: 'chat' },
  { id: 'image', label: 'Images', endpoint: 'POST /v1/images/generations', kind: 'image' },
  { id: 'speech', label: 'Speech', endpoint: 'POST /v1/audio/speech', kind: 'speech' },
];

export const isMediaApi = (api: PlaygroundApi | undefined): api is MediaApi =>
  api === 'image' || api === 'speech';

/** OpenAI's voices for /v1/audio/speech (another vendor's voice id may be typed instead). */
export const SPEECH_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'nova',
  'onyx',
  'sage',
  'shimmer',
] as const;

/** Image sizes to offer; unset is the model's default. */
export const IMAGE_SIZES = ['1024x1024', '1536x1024', '1024x1536', '1792x1024', '1024x1792'] as const;

/** The Messages API requires max_tokens; this is sent when the field is left empty. */
export const MESSAGES_DEFAULT_MAX_TOKENS = 1024;

/** The highest temperature each API accepts (Anthropic's scale ends at 1). */
export const MAX_TEMPERATURE: Record<ChatApi, number> = { chat: 2, messages: 1 };

export interface Conversation {
  model: string;
  system: string;
  /** The turns so far, ending with the user's new message. */
  turns: { role: 'user' | 'assistant'; content: string }[];
  temperature: number | undefined;
  maxTokens: number | undefined;
}

export interface AnswerStats {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** USD; null when the model has no price; undefined when the answer does not say (see the request log). */
  cost: number | null | undefined;
  ttftMs: number | undefined;
  totalMs: number;
  requestId: string | undefined;
}

async function askChat(
  key: string,
  conversation: Conversation,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<AnswerStats> {
  const { model, system, turns, temperature, maxTokens } = conversation;
  const result = await streamChat(
    key,
    {
      model,
      messages: [...(system ? [{ role: 'system' as const, content: system }] : []), ...turns],
      ...(temperature === undefined ? {} : { temperature }),
      ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }),
    },
    onText,
    signal,
  );
  const { usage } = result;
  return {
    inputTokens: usage?.prompt_tokens,
    outputTokens: usage?.completion_tokens,
    // The gateway adds the price to the usage of every priced model.
    cost: usage?.cost ?? null,
    ttftMs: result.ttftMs,
    totalMs: result.totalMs,
    requestId: result.requestId,
  };
}

async function askMessages(
  key: string,
  conversation: Conversation,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<AnswerStats> {
  const { model, system, turns, temperature, maxTokens } = conversation;
  const result = await streamMessages(
    key,
    {
      model,
      max_tokens: maxTokens ?? MESSAGES_DEFAULT_MAX_TOKENS,
      ...(system ? { system } : {}),
      // Anthropic refuses empty text (an answer that said nothing).
      messages: turns.filter((turn) => turn.content !== ''),
      ...(temperature === undefined ? {} : { temperature }),
    },
    onText,
    signal,
  );
  const { usage } = result;
  return {
    // As the request log counts them: input_tokens leaves out the tokens read from or written to the cache.
    inputTokens:
      usage?.input_tokens === undefined
        ? undefined
        : usage.input_tokens +
          (usage.cache_read_input_tokens ?? 0) +
          (usage.cache_creation_input_tokens ?? 0),
    outputTokens: usage?.output_tokens,
    // Anthropic's usage has no price: the request log has it.
    cost: undefined,
    ttftMs: result.ttftMs,
    totalMs: result.totalMs,
    requestId: result.requestId,
  };
}

/** Streams the answer to the conversation's last message through the chosen API. */
export function ask(
  api: ChatApi,
  key: string,
  conversation: Conversation,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<AnswerStats> {
  return api === 'messages'
    ? askMessages(key, conversation, onText, signal)
    : askChat(key, conversation, onText, signal);
}
