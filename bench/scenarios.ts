// The request bodies of the benchmark: the same bytes go to the fake upstream, the bare proxy and the gateway.

export const MODEL = 'openai/gpt-4o';

export type ScenarioName = 'small' | 'prompt32k' | 'stream200' | 'responses' | 'responses-stream200';

/** The API a scenario calls. The Responses API is the gateway's own door: direct and bare have no cell. */
export type ScenarioApi = 'chat' | 'responses';

export interface Scenario {
  name: ScenarioName;
  label: string;
  api: ScenarioApi;
  body: string;
  stream: boolean;
}

export const API_PATHS: Record<ScenarioApi, string> = {
  chat: '/v1/chat/completions',
  responses: '/v1/responses',
};

/** About 32 KB of plain prose, deterministic so runs compare. */
function longPrompt(bytes: number): string {
  const words = [
    'the',
    'gateway',
    'forwards',
    'every',
    'request',
    'to',
    'a',
    'model',
    'and',
    'counts',
    'tokens',
  ];
  const out: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const word = words[(i * 7 + (i >> 3)) % words.length]!;
    out.push(word);
    length += word.length + 1;
  }
  return out.join(' ');
}

const ask = [{ role: 'user', content: 'Say hello in five words.' }];

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  small: {
    name: 'small',
    label: 'small JSON',
    api: 'chat',
    body: JSON.stringify({ model: MODEL, messages: ask }),
    stream: false,
  },
  prompt32k: {
    name: 'prompt32k',
    label: '32 KB prompt',
    api: 'chat',
    body: JSON.stringify({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are a careful assistant. Summarise the text.' },
        { role: 'user', content: longPrompt(32 * 1024) },
      ],
    }),
    stream: false,
  },
  stream200: {
    name: 'stream200',
    label: 'stream 200 chunks',
    api: 'chat',
    // The client asks for usage like most SDK users do; the gateway asks the upstream for it anyway.
    body: JSON.stringify({
      model: MODEL,
      messages: ask,
      stream: true,
      stream_options: { include_usage: true },
    }),
    stream: true,
  },
  // The small and streamed cells through the Responses API, translated to the fake's chat completions; the
  // answers are stored (store defaults to true), as most clients but Codex leave it.
  responses: {
    name: 'responses',
    label: 'small JSON, /v1/responses',
    api: 'responses',
    body: JSON.stringify({ model: MODEL, input: 'Say hello in five words.' }),
    stream: false,
  },
  'responses-stream200': {
    name: 'responses-stream200',
    label: 'stream 200 chunks, /v1/responses',
    api: 'responses',
    body: JSON.stringify({ model: MODEL, input: 'Say hello in five words.', stream: true }),
    stream: true,
  },
};

/** A streaming body for the TTFT probe, the open-streams test and the soak. */
export const STREAM_BODY = SCENARIOS.stream200.body;
