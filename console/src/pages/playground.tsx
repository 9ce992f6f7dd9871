// Playground: pick an API (Chat completions or Anthropic Messages) and a model and chat with it, streamed,
// with the tokens and cost of every answer; or make an image (Images) or hear a sentence spoken (Speech),
// with a model of that kind, shown and played in the conversation.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api.js';
import { Empty, ErrorBox, Field, FormError, Link, Loading, PageHeader, Panel } from '../components/ui.js';
import { int, ms, parseNumber, usd } from '../format.js';
import { useAsync } from '../hooks.js';
import { generateImage, type Media, type MediaAnswer, speak } from '../media.js';
import {
  type AnswerStats,
  ask,
  IMAGE_SIZES,
  isMediaApi,
  MAX_TEMPERATURE,
  MESSAGES_DEFAULT_MAX_TOKENS,
  PLAYGROUND_APIS,
  type PlaygroundApi,
  SPEECH_VOICES,
} from '../playground-apis.js';
import { useSession } from '../session.js';

interface Turn {
  /** Tells turns apart for updates that land after the stream (a cost looked up in the log). */
  id: number;
  role: 'user' | 'assistant';
  content: string;
  model?: string;
  /** The API the turn went through (user turns too: a chat resends only its chat turns). */
  api?: PlaygroundApi;
  answer?: AnswerStats;
  /** What an Images or Speech answer made. */
  media?: Media;
  /** The answer's cost is being read from the request log. */
  costPending?: boolean;
  error?: string;
  streaming?: boolean;
}

/** The cost the request log recorded for an answer; undefined when the row is not found. */
async function loggedCost(api: Api, admin: boolean, requestId: string): Promise<number | null | undefined> {
  // Tenants have no per-request route; their newest rows hold the one just written.
  const record = admin
    ? await api.requestDetail(requestId)
    : (await api.requests(false, { limit: 20 })).find((row) => row.id === requestId);
  return record?.cost_usd;
}

function Cost(props: { turn: Turn; answer: AnswerStats }) {
  const { answer } = props;
  if (typeof answer.cost === 'number') return <>{usd(answer.cost)}</>;
  if (answer.cost === null) return <>no price</>;
  if (props.turn.costPending) return <span class="muted">looking up…</span>;
  return answer.requestId ? (
    <Link to={`/requests/${answer.requestId}`}>see request log</Link>
  ) : (
    <>see request log</>
  );
}

function AnswerMeta(props: { turn: Turn }) {
  const { answer, model, api } = props.turn;
  if (!answer) return null;
  const reported = answer.inputTokens !== undefined || answer.outputTokens !== undefined;
  return (
    <dl class="answer-meta" aria-label="Answer usage">
      {model && (
        <div>
          <dt>Model</dt>
          <dd class="mono">{model}</dd>
        </div>
      )}
      {api && (
        <div>
          <dt>API</dt>
          <dd>{PLAYGROUND_APIS.find((entry) => entry.id === api)?.label}</dd>
        </div>
      )}
      <div>
        <dt>Tokens</dt>
        <dd data-testid="answer-tokens">
          {reported ? `${int(answer.inputTokens)} in · ${int(answer.outputTokens)} out` : 'not reported'}
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd data-testid="answer-cost">
          <Cost turn={props.turn} answer={answer} />
        </dd>
      </div>
      <div>
        <dt>First token</dt>
        <dd>{ms(answer.ttftMs)}</dd>
      </div>
      <div>
        <dt>Total</dt>
        <dd>{ms(answer.totalMs)}</dd>
      </div>
      {answer.requestId && (
        <div>
          <dt class="sr-only">Request</dt>
          <dd>
            <Link to={`/requests/${answer.requestId}`}>In the request log</Link>
          </dd>
        </div>
      )}
    </dl>
  );
}

/** An Images or Speech answer in the conversation: the image, or a player for the audio. */
function MediaBody(props: { media: Media; prompt: string }) {
  const { media } = props;
  return media.kind === 'image' ? (
    <img class="generated-image" src={media.src} alt={`Generated image: ${props.prompt}`} />
  ) : (
    // biome-ignore lint/a11y/useMediaCaption: the sentence spoken is the message above it
    <audio class="generated-audio" controls src={media.src} aria-label={`Spoken: ${props.prompt}`} />
  );
}

const WAITING: Record<PlaygroundApi, string> = {
  chat: 'Waiting for the first token…',
  messages: 'Waiting for the first token…',
  image: 'Making the image…',
  speech: 'Speaking…',
};

const PLACEHOLDER: Record<PlaygroundApi, string> = {
  chat: 'Ask something… (Enter to send, Shift+Enter for a new line)',
  messages: 'Ask something… (Enter to send, Shift+Enter for a new line)',
  image: 'Describe the image… (Enter to make it)',
  speech: 'A sentence to speak… (Enter to hear it)',
};

/** Object URLs of the audio in these turns are released when the turns go. */
const releaseMedia = (turns: Turn[]) => {
  for (const turn of turns) if (turn.media?.kind === 'audio') URL.revokeObjectURL(turn.media.src);
};

export function PlaygroundPage() {
  const { api, admin } = useSession();
  const [apiKind, setApiKind] = useState<PlaygroundApi>('chat');
  const kind = PLAYGROUND_APIS.find((entry) => entry.id === apiKind)?.kind ?? 'chat';
  // Only the models of the kind the API takes (chat, image or speech models).
  const models = useAsync(() => api.models(kind), [api, kind]);
  const [model, setModel] = useState('');
  const [size, setSize] = useState('');
  const [voice, setVoice] = useState<string>(SPEECH_VOICES[0]);
  const [system, setSystem] = useState('');
  const [temperature, setTemperature] = useState('');
  const [maxTokens, setMaxTokens] = useState('');
  const [input, setInput] = useState('');
  const [turns, setTurns] = useState<Turn[]>([]);
  const [formError, setFormError] = useState<string>();
  const controller = useRef<AbortController | null>(null);
  const log = useRef<HTMLDivElement>(null);
  const nextTurnId = useRef(0);
  const streaming = turns.some((turn) => turn.streaming);

  useEffect(() => {
    // A model of another kind (the API changed) gives way to the first of the list.
    if (models.data && !models.data.some((m) => m.id === model)) setModel(models.data[0]?.id ?? '');
  }, [models.data, model]);
  useEffect(() => () => controller.current?.abort(), []);
  const turnsRef = useRef(turns);
  turnsRef.current = turns;
  useEffect(() => () => releaseMedia(turnsRef.current), []);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [turns]);

  const update = (id: number, change: (turn: Turn) => Turn) =>
    setTurns((current) => current.map((turn) => (turn.id === id ? change(turn) : turn)));

  const send = async (event: Event) => {
    event.preventDefault();
    const text = input.trim();
    if (!text || streaming) return;
    if (!model) {
      setFormError('Pick a model first.');
      return;
    }
    if (isMediaApi(apiKind)) {
      await makeMedia(apiKind, text);
      return;
    }
    const temp = parseNumber(temperature);
    const max = parseNumber(maxTokens);
    const chatApi = apiKind;
    const maxTemperature = MAX_TEMPERATURE[chatApi];
    if (temp !== undefined && !(temp >= 0 && temp <= maxTemperature)) {
      setFormError(`Temperature must be between 0 and ${maxTemperature}.`);
      return;
    }
    if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
      setFormError('Max tokens must be a whole number above 0.');
      return;
    }
    setFormError(undefined);
    const conversation = {
      model,
      system: system.trim(),
      turns: [
        ...turns
          .filter((turn) => !turn.error && !isMediaApi(turn.api))
          .map((turn) => ({ role: turn.role, content: turn.content })),
        { role: 'user' as const, content: text },
      ],
      temperature: temp,
      maxTokens: max,
    };
    const { id, abort } = openTurn(apiKind, text);
    let answer: AnswerStats;
    try {
      answer = await ask(
        chatApi,
        api.key,
        conversation,
        (delta) => update(id, (turn) => ({ ...turn, content: turn.content + delta })),
        abort.signal,
      );
    } catch (failure) {
      failTurn(id, failure);
      return;
    } finally {
      controller.current = null;
    }
    await settle(id, answer);
  };

  /** Adds the user's message and an empty answer streaming in; the answer's id and its stop control. */
  const openTurn = (kind: PlaygroundApi, text: string) => {
    const userId = nextTurnId.current++;
    const id = nextTurnId.current++;
    setInput('');
    setTurns((current) => [
      ...current,
      { id: userId, role: 'user', content: text, api: kind },
      { id, role: 'assistant', content: '', model, api: kind, streaming: true },
    ]);
    const abort = new AbortController();
    controller.current = abort;
    return { id, abort };
  };

  /** Ends an answer with its failure ('Stopped.' when the user stopped it). */
  const failTurn = (id: number, failure: unknown) => {
    const aborted = failure instanceof DOMException && failure.name === 'AbortError';
    const message = aborted ? 'Stopped.' : failure instanceof Error ? failure.message : String(failure);
    update(id, (turn) => ({ ...turn, streaming: false, error: message }));
  };

  /** Shows an answer's numbers; a cost the answer did not carry is read from the request log. */
  const settle = async (id: number, answer: AnswerStats, media?: Media) => {
    const lookUp = answer.cost === undefined && answer.requestId !== undefined;
    update(id, (turn) => ({
      ...turn,
      answer,
      ...(media ? { media } : {}),
      streaming: false,
      costPending: lookUp,
    }));
    if (!lookUp) return;
    // The answer is complete once its row is written, so the log already has its cost.
    const cost = await loggedCost(api, admin, answer.requestId!).catch(() => undefined);
    update(id, (turn) => ({
      ...turn,
      costPending: false,
      ...(turn.answer ? { answer: { ...turn.answer, cost } } : {}),
    }));
  };

  /** An image made from the message, or the message spoken. */
  const makeMedia = async (mediaApi: 'image' | 'speech', text: string) => {
    setFormError(undefined);
    const { id, abort } = openTurn(mediaApi, text);
    let made: MediaAnswer;
    try {
      made =
        mediaApi === 'image'
          ? await generateImage(api.key, { model, prompt: text, size: size || undefined }, abort.signal)
          : await speak(
              api.key,
              { model, input: text, voice: voice.trim() || SPEECH_VOICES[0] },
              abort.signal,
            );
    } catch (failure) {
      failTurn(id, failure);
      return;
    } finally {
      controller.current = null;
    }
    await settle(id, made.stats, made.media);
  };

  const spent = turns.reduce(
    (sum, turn) => sum + (typeof turn.answer?.cost === 'number' ? turn.answer.cost : 0),
    0,
  );
  const answered = turns.filter((turn) => turn.answer).length;
  const endpoint = PLAYGROUND_APIS.find((entry) => entry.id === apiKind)?.endpoint;
  /** The message an answer answered (the turn before it). */
  const promptOf = (id: number) => turns[turns.findIndex((turn) => turn.id === id) - 1]?.content ?? '';

  return (
    <>
      <PageHeader
        title="Playground"
        description="Try a model through the gateway. Answers are billed like any other request."
        actions={
          <button
            type="button"
            class="btn"
            onClick={() => {
              controller.current?.abort();
              releaseMedia(turns);
              setTurns([]);
            }}
            disabled={turns.length === 0}
          >
            New chat
          </button>
        }
      />
      {models.error ? (
        <ErrorBox error={models.error} onRetry={models.reload} title="Could not load the models" />
      ) : !models.data ? (
        <Loading label="Loading models…" />
      ) : models.data.length === 0 && kind === 'chat' ? (
        <Panel>
          <Empty title="No model is available to this key." />
        </Panel>
      ) : (
        <div class="playground">
          <Panel title="Settings" class="playground-settings">
            <Field id="pg-api" label="API" {...(endpoint ? { hint: endpoint } : {})}>
              <select
                id="pg-api"
                value={apiKind}
                aria-describedby="pg-api-hint"
                onChange={(event) => setApiKind(event.currentTarget.value as PlaygroundApi)}
              >
                {PLAYGROUND_APIS.map((entry) => (
                  <option key={entry.id} value={entry.id}>
                    {entry.label}
                  </option>
                ))}
              </select>
            </Field>
            <Field id="pg-model" label="Model">
              <select id="pg-model" value={model} onChange={(event) => setModel(event.currentTarget.value)}>
                {models.data.length === 0 && (
                  <option value="">No {kind} model is available to this key</option>
                )}
                {models.data.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.id}
                  </option>
                ))}
              </select>
            </Field>
            {apiKind === 'image' && (
              <Field id="pg-size" label="Size">
                <select id="pg-size" value={size} onChange={(event) => setSize(event.currentTarget.value)}>
                  <option value="">The model's default</option>
                  {IMAGE_SIZES.map((entry) => (
                    <option key={entry} value={entry}>
                      {entry}
                    </option>
                  ))}
                </select>
              </Field>
            )}
            {apiKind === 'speech' && (
              <Field id="pg-voice" label="Voice" hint="OpenAI's voices, or another vendor's voice id">
                <input
                  id="pg-voice"
                  list="pg-voices"
                  aria-describedby="pg-voice-hint"
                  value={voice}
                  onInput={(event) => setVoice(event.currentTarget.value)}
                />
                <datalist id="pg-voices">
                  {SPEECH_VOICES.map((entry) => (
                    <option key={entry} value={entry} />
                  ))}
                </datalist>
              </Field>
            )}
            {!isMediaApi(apiKind) && (
              <>
                <Field id="pg-system" label="System prompt">
                  <textarea
                    id="pg-system"
                    rows={4}
                    placeholder="You are a helpful assistant."
                    value={system}
                    onInput={(event) => setSystem(event.currentTarget.value)}
                  />
                </Field>
                <div class="form-grid">
                  <Field id="pg-temperature" label="Temperature">
                    <input
                      id="pg-temperature"
                      inputMode="decimal"
                      placeholder="Default"
                      value={temperature}
                      onInput={(event) => setTemperature(event.currentTarget.value)}
                    />
                  </Field>
                  <Field id="pg-max-tokens" label="Max tokens">
                    <input
                      id="pg-max-tokens"
                      inputMode="numeric"
                      placeholder={apiKind === 'messages' ? String(MESSAGES_DEFAULT_MAX_TOKENS) : 'Default'}
                      value={maxTokens}
                      onInput={(event) => setMaxTokens(event.currentTarget.value)}
                    />
                  </Field>
                </div>
              </>
            )}
            <dl class="props props-tight">
              <div>
                <dt>Answers</dt>
                <dd>{answered}</dd>
              </div>
              <div>
                <dt>Spent in this chat</dt>
                <dd data-testid="chat-spend">{usd(spent)}</dd>
              </div>
            </dl>
          </Panel>
          <section class="panel chat" aria-label="Conversation">
            {turns.length === 0 ? (
              <Empty title="Start the conversation.">
                Type a message below; the answer streams in as it is written.
              </Empty>
            ) : (
              <div class="messages" ref={log} role="log" aria-live="polite" aria-label="Messages">
                {turns.map((turn) => (
                  <article
                    key={turn.id}
                    class={`message message-${turn.role}`}
                    aria-busy={turn.streaming ? true : undefined}
                  >
                    <span class="message-role">{turn.role === 'user' ? 'You' : 'Assistant'}</span>
                    <div class="message-body">
                      {turn.content}
                      {turn.media && <MediaBody media={turn.media} prompt={promptOf(turn.id)} />}
                      {turn.streaming && <span class="caret" aria-hidden="true" />}
                      {turn.streaming && !turn.content && (
                        <span class="muted">{WAITING[turn.api ?? 'chat']}</span>
                      )}
                    </div>
                    {turn.error && (
                      <p class="form-error" role="alert">
                        {turn.error}
                      </p>
                    )}
                    <AnswerMeta turn={turn} />
                  </article>
                ))}
              </div>
            )}
            <form class="composer" onSubmit={send}>
              <label for="pg-input" class="sr-only">
                Message
              </label>
              <textarea
                id="pg-input"
                rows={3}
                placeholder={PLACEHOLDER[apiKind]}
                value={input}
                onInput={(event) => setInput(event.currentTarget.value)}
                onKeyDown={(event) => {
                  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
                    event.preventDefault();
                    event.currentTarget.form?.requestSubmit();
                  }
                }}
              />
              <div class="composer-actions">
                <FormError error={formError} />
                {streaming ? (
                  <button type="button" class="btn" onClick={() => controller.current?.abort()}>
                    Stop
                  </button>
                ) : (
                  <button type="submit" class="btn btn-primary" disabled={!input.trim()}>
                    Send
                  </button>
                )}
              </div>
            </form>
          </section>
        </div>
      )}
    </>
  );
}
