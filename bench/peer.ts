// `--peer=portkey`: another gateway measured in the same run, beside the bare proxy and tokgate. Portkey's
// open-source gateway (the `@portkey-ai/gateway` npm package, a pinned dev dependency: nothing is installed at
// run time) is started as its own process on the same fake upstream, which it reaches as an OpenAI-compatible
// custom host. Its CPU and memory are read from /proc like every other target's.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, logTail, type Spawned, spawnLogged, waitForHttp } from './children.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';

export type PeerName = 'portkey';

export const PEERS: readonly PeerName[] = ['portkey'];

/** The scenarios a peer is loaded with: chat completions, the one door every gateway has in the same shape. */
export function peerRuns(scenario: ScenarioName): boolean {
  return SCENARIOS[scenario].path === '/v1/chat/completions' && SCENARIOS[scenario].upstream === undefined;
}

export interface PeerProcess extends Spawned {
  origin: string;
  /** What every request to the peer carries: which provider, where it is, and its key. */
  headers: Record<string, string>;
}

/**
 * Starts Portkey's gateway (build/start-server.js, its `npm start`) on a free port. `--headless` leaves out
 * its log UI (`/public`, `/log/stream`; NODE_ENV=production does the same, so it is not set). Custom hosts on
 * 127.0.0.1 are allowed: its SSRF check trusts localhost, 127.0.0.1 and ::1 unless TRUSTED_CUSTOM_HOSTS is
 * set, which is left unset. It listens on every interface (the script takes no host option), so the bench
 * only talks to it on 127.0.0.1.
 */
export async function startPortkey(tmp: string, fakePort: number): Promise<PeerProcess> {
  const require = createRequire(import.meta.url);
  const entry = join(
    dirname(require.resolve('@portkey-ai/gateway/package.json')),
    'build',
    'start-server.js',
  );
  const port = await freePort();
  const watch = new URL('./parent-watch.mjs', import.meta.url).href;
  // See portkey-preload.mjs: without it Portkey 1.15.2 answers every stream with a 500 on this checkout.
  const preload = new URL('./portkey-preload.mjs', import.meta.url).href;
  const args = ['--import', watch, '--import', preload, entry, `--port=${port}`, '--headless'];
  const spawned = spawnLogged(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmp },
    cwd: tmp,
    logPath: join(tmp, 'portkey.log'),
  });
  const origin = `http://127.0.0.1:${port}`;
  try {
    // GET / answers "AI Gateway says hey!" once the server listens.
    await waitForHttp(`${origin}/`, spawned.child);
  } catch (error) {
    process.stderr.write(`bench: Portkey's gateway did not start; its log:\n${logTail(spawned.logPath)}\n`);
    throw error;
  }
  return {
    ...spawned,
    origin,
    headers: {
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `http://127.0.0.1:${fakePort}/v1`,
      authorization: 'Bearer sk-bench-fake',
    },
  };
}
