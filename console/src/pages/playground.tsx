// Playground: pick a model and chat with it, streamed, with the tokens and cost of every answer.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ChatMessage, type StreamResult, streamChat } from '../chat-stream.js';
import { Empty, ErrorBox, Field, FormError, Loading, PageHeader, Panel } from '../components/ui.js';
import { int, ms, parseNumber, usd } from '../format.js';
import { useAsync } from '../hooks.js';
import { useSession } from '../session.js';

interface Turn {
  role: 'user' | 'assistant';
  content: string;
  model?: string;
  result?: StreamResult;
  error?: string;
  streaming?: boolean;
}

function AnswerMeta(props: { turn: Turn }) {
  const { result, model } = props.turn;
  if (!result) return null;
  const usage = result.usage;
  return (
    <dl class="answer-meta" aria-label="Answer usage">
      {model && (
        <div>
          <dt>Model</dt>
          <dd class="mono">{model}</dd>
        </div>
      )}
      <div>
        <dt>Tokens</dt>
        <dd>
          {usage ? `${int(usage.prompt_tokens)} in · ${int(usage.completion_tokens)} out` : 'not reported'}
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd data-testid="answer-cost">{usage?.cost === undefined ? 'no price' : usd(usage.cost)}</dd>
      </div>
      <div>
        <dt>First token</dt>
        <dd>{ms(result.ttftMs)}</dd>
      </div>
      <div>
        <dt>Total</dt>
        <dd>{ms(result.totalMs)}</dd>
      </div>
    </dl>
  );
}

export function PlaygroundPage() {
  const { api } = useSession();
  const models = useAsync(() => api.models(), [api]);
  const [model, setModel] = useState('');
  const [system, setSystem] = useState('');
  const [temperature, setTemperature] = useState('');
  const [maxTokens, setMaxTokens] = useState('');
  const [input, setInput] = useState('');
  const [turns, setTurns] = useState<Turn[]>([]);
  const [formError, setFormError] = useState<string>();
  const controller = useRef<AbortController | null>(null);
  const log = useRef<HTMLDivElement>(null);
  const streaming = turns.some((turn) => turn.streaming);

  useEffect(() => {
    if (!model && models.data?.[0]) setModel(models.data[0].id);
  }, [models.data, model]);
  useEffect(() => () => controller.current?.abort(), []);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [turns]);

  const updateLast = (change: (turn: Turn) => Turn) =>
    setTurns((current) => [...current.slice(0, -1), change(current[current.length - 1]!)]);

  const send = async (event: Event) => {
    event.preventDefault();
    const text = input.trim();
    if (!text || streaming) return;
    if (!model) {
      setFormError('Pick a model first.');
      return;
    }
    const temp = parseNumber(temperature);
    const max = parseNumber(maxTokens);
    if (temp !== undefined && !(temp >= 0 && temp <= 2)) {
      setFormError('Temperature must be between 0 and 2.');
      return;
    }
    if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
      setFormError('Max tokens must be a whole number above 0.');
      return;
    }
    setFormError(undefined);
    const history: ChatMessage[] = [
      ...(system.trim() ? [{ role: 'system' as const, content: system.trim() }] : []),
      ...turns.filter((turn) => !turn.error).map((turn) => ({ role: turn.role, content: turn.content })),
      { role: 'user', content: text },
    ];
    setInput('');
    setTurns((current) => [
      ...current,
      { role: 'user', content: text },
      { role: 'assistant', content: '', model, streaming: true },
    ]);
    const abort = new AbortController();
    controller.current = abort;
    try {
      const result = await streamChat(
        api.key,
        {
          model,
          messages: history,
          ...(temp === undefined ? {} : { temperature: temp }),
          ...(max === undefined ? {} : { max_tokens: max }),
        },
        (delta) => updateLast((turn) => ({ ...turn, content: turn.content + delta })),
        abort.signal,
      );
      updateLast((turn) => ({ ...turn, result, streaming: false }));
    } catch (failure) {
      const aborted = failure instanceof DOMException && failure.name === 'AbortError';
      const message = aborted ? 'Stopped.' : failure instanceof Error ? failure.message : String(failure);
      updateLast((turn) => ({ ...turn, streaming: false, error: message }));
    } finally {
      controller.current = null;
    }
  };

  const spent = turns.reduce((sum, turn) => sum + (turn.result?.usage?.cost ?? 0), 0);
  const answered = turns.filter((turn) => turn.result).length;

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
      ) : models.data.length === 0 ? (
        <Panel>
          <Empty title="No model is available to this key." />
        </Panel>
      ) : (
        <div class="playground">
          <Panel title="Settings" class="playground-settings">
            <Field id="pg-model" label="Model">
              <select id="pg-model" value={model} onChange={(event) => setModel(event.currentTarget.value)}>
                {models.data.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.id}
                  </option>
                ))}
              </select>
            </Field>
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
                  placeholder="Default"
                  value={maxTokens}
                  onInput={(event) => setMaxTokens(event.currentTarget.value)}
                />
              </Field>
            </div>
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
                {turns.map((turn, index) => (
                  <article
                    key={index}
                    class={`message message-${turn.role}`}
                    aria-busy={turn.streaming ? true : undefined}
                  >
                    <span class="message-role">{turn.role === 'user' ? 'You' : 'Assistant'}</span>
                    <div class="message-body">
                      {turn.content}
                      {turn.streaming && <span class="caret" aria-hidden="true" />}
                      {turn.streaming && !turn.content && (
                        <span class="muted">Waiting for the first token…</span>
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
                placeholder="Ask something… (Enter to send, Shift+Enter for a new line)"
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
