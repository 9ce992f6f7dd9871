// Opt-in live model lists: an OpenAI-compatible provider's `GET {base}/models`, read in the background at
// start and then every interval, never on a request's path. What it lists is added to /v1/models (unpriced
// unless the catalog or the config prices it); a failing list is logged and the next round tries again.
import { z } from 'zod';
import type { ProviderSettings } from '../config/config.js';
import type { HttpClient } from './http.js';
import { readJsonBody } from './http.js';
import { openaiHttpError } from './openai/openai-error.js';
import { invalidUpstreamResponse } from './upstream-error.js';

/** The most model ids taken from one provider's list (OpenRouter lists a few hundred). */
export const MAX_LISTED_MODELS = 2000;
/** The longest one list may take. */
const LIST_TIMEOUT_MS = 30_000;

const modelListSchema = z.looseObject({ data: z.array(z.looseObject({ id: z.string() })) });

/** The ids a provider's `/models` lists (at most MAX_LISTED_MODELS, each once). */
export async function fetchModelIds(
  http: HttpClient,
  settings: ProviderSettings,
  signal: AbortSignal,
): Promise<string[]> {
  const headers: Record<string, string> = { accept: 'application/json', ...settings.headers };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
  const res = await http.get(settings.id, new URL(`${settings.baseUrl}/models`), headers, signal);
  if (res.status < 200 || res.status >= 300) throw await openaiHttpError(settings.id, res);
  const parsed = modelListSchema.safeParse(await readJsonBody(settings.id, res, signal));
  if (!parsed.success) throw invalidUpstreamResponse(settings.id, 'the model list has no data array');
  return [...new Set(parsed.data.data.map((m) => m.id))].slice(0, MAX_LISTED_MODELS);
}

export interface ModelListLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export class ModelListRefresher {
  private timer: NodeJS.Timeout | undefined;
  private readonly stopped = new AbortController();
  private round: Promise<void> | undefined;

  constructor(
    private readonly sources: readonly ProviderSettings[],
    private readonly http: HttpClient,
    /** Takes a provider's listed ids (the catalog adds those it does not know). */
    private readonly learn: (provider: string, ids: readonly string[]) => void,
    private readonly log: ModelListLog,
    private readonly intervalMs: number,
  ) {}

  /** The first round in the background, then one every interval (the timer keeps no process alive). */
  start(): void {
    if (this.sources.length === 0) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  /** One round over every provider; resolves when it is done, whatever failed. Rounds never overlap. */
  refresh(): Promise<void> {
    this.round ??= this.listAll().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async listAll(): Promise<void> {
    await Promise.all(
      this.sources.map(async (settings) => {
        if (this.stopped.signal.aborted) return;
        const signal = AbortSignal.any([this.stopped.signal, AbortSignal.timeout(LIST_TIMEOUT_MS)]);
        try {
          this.learn(settings.id, await fetchModelIds(this.http, settings, signal));
        } catch (error) {
          if (this.stopped.signal.aborted) return;
          this.log.warn(
            { provider: settings.id, error: (error as Error).message },
            'could not read the provider’s model list; the next round tries again',
          );
        }
      }),
    );
  }

  /** Stops the timer and any list under way (before the HTTP client closes). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopped.abort();
    await this.round?.catch(() => undefined);
  }
}
