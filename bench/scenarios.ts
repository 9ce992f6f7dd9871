// The request bodies of the benchmark: the same bytes go to the fake upstream, the bare proxy and the gateway.

export const MODEL = 'openai/gpt-4o';

export type ScenarioName = 'small' | 'prompt32k' | 'stream200' | 'embed16' | 'embed16f';

export interface Scenario {
  name: ScenarioName;
  label: string;
  body: string;
  stream: boolean;
  /** Where it is sent; `/v1/chat/completions` when unset. */
  path?: string;
}

/** The URL of a scenario on a server whose chat completions URL is `chatUrl`. */
export const scenarioUrl = (chatUrl: string, scenario: Scenario) =>
  scenario.path ? chatUrl.replace(/\/v1\/chat\/completions$/, scenario.path) : chatUrl;

/** 16 passages of about 200 characters: a typical embeddings batch of a RAG ingest. */
const passages = Array.from({ length: 16 }, (_, i) => `Passage ${i}: ${longPrompt(200)}`);

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
    body: JSON.stringify({ model: MODEL, messages: ask }),
    stream: false,
  },
  prompt32k: {
    name: 'prompt32k',
    label: '32 KB prompt',
    body: JSON.stringify({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are a careful assistant. Summarise the text.' },
        { role: 'user', content: longPrompt(32 * 1024) },
      ],
    }),
    stream: false,
  },
  // The openai SDK asks for base64 unless told otherwise (OpenAI makes it: the gateway passes it on); the AI
  // SDK asks for floats.
  embed16: {
    name: 'embed16',
    label: 'embeddings, 16 inputs (base64)',
    body: JSON.stringify({
      model: 'openai/text-embedding-3-small',
      input: passages,
      encoding_format: 'base64',
    }),
    stream: false,
    path: '/v1/embeddings',
  },
  embed16f: {
    name: 'embed16f',
    label: 'embeddings, 16 inputs (float)',
    body: JSON.stringify({
      model: 'openai/text-embedding-3-small',
      input: passages,
      encoding_format: 'float',
    }),
    stream: false,
    path: '/v1/embeddings',
  },
  stream200: {
    name: 'stream200',
    label: 'stream 200 chunks',
    // The client asks for usage like most SDK users do; the gateway asks the upstream for it anyway.
    body: JSON.stringify({
      model: MODEL,
      messages: ask,
      stream: true,
      stream_options: { include_usage: true },
    }),
    stream: true,
  },
};

/** A streaming body for the TTFT probe, the open-streams test and the soak. */
export const STREAM_BODY = SCENARIOS.stream200.body;
