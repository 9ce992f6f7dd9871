// A gateway in front of two fake upstreams, one per wire family the front doors translate between: the
// OpenAI fake (chat completions and the Responses API; also DeepSeek's upstream, which has no Responses API)
// and the Anthropic fake (messages), with a key to call it. The suites of the
// doors (messages, responses) and of the agent clients share it.
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export interface TwoUpstreams {
  openai: FakeOpenAI;
  anthropic: FakeAnthropic;
  gw: TestGateway;
  /** A key of the default (unmetered) account. */
  key: string;
  /** Forgets the fakes' requests, faults and options (between tests). */
  reset(): void;
  close(): Promise<void>;
}

export async function startTwoUpstreams(): Promise<TwoUpstreams> {
  const openai = await startFakeOpenAI();
  const anthropic = await startFakeAnthropic();
  const gw = await startTestGateway({
    OPENAI_API_KEY: 'sk-upstream',
    OPENAI_BASE_URL: openai.url,
    // An OpenAI-format vendor without the Responses API, at the same fake: the doors translate to chat.
    DEEPSEEK_API_KEY: 'sk-deepseek-upstream',
    DEEPSEEK_BASE_URL: openai.url,
    ANTHROPIC_API_KEY: 'sk-ant-upstream',
    ANTHROPIC_BASE_URL: anthropic.url,
  });
  const key = (await gw.createKey()).key;
  return {
    openai,
    anthropic,
    gw,
    key,
    reset() {
      for (const fake of [openai, anthropic]) {
        fake.requests.length = 0;
        fake.faults.length = 0;
      }
      openai.options = {};
      anthropic.options = {};
    },
    async close() {
      await gw.close();
      await openai.close();
      await anthropic.close();
    },
  };
}
