// Exact token counts, off the event loop: a small pool of worker threads (token-worker.ts) with a time
// budget per count. A count that would take longer, or finds the pool busy, gives way to the caller's
// fallback (admission: the byte bound; the meter: an estimate), so no request holds the gateway's thread.
import type { Worker } from 'node:worker_threads';
import type { TokenizerName } from '../catalog/catalog.js';
import { startModuleWorker } from '../core/module-worker.js';
import type { ChatMessage } from '../core/types.js';
import { messageText, type Purpose, promptFraming } from './tokenizer.js';

/** One count, as sent to a worker: `deadline` is a `Date.now()` time. */
export interface TokenJob {
  id: number;
  tokenizer: TokenizerName;
  texts: string[];
  purpose: Purpose;
  deadline: number;
  /** Load every encoding first (`TokenPool.warm`). */
  warm?: true;
}

/** A worker's answer: a count per text, or null when the deadline passed (or counting failed). */
export interface TokenReply {
  id: number;
  counts: number[] | null;
}

/** What became of counts, for tests and the curious. */
export interface TokenPoolStats {
  /** Counted by a worker within the budget. */
  counted: number;
  /** Given up: the budget ran out (in the queue, in a worker, or the text was too long to try). */
  expired: number;
  /** Refused at once: the queue was full. */
  saturated: number;
}

/**
 * Characters a worker counts per millisecond of budget, at best (ordinary prose runs at about 40 000;
 * runs of one character at 2 000): a text longer than budget × this is not sent at all.
 */
const CHARS_PER_MS_AT_BEST = 64 * 1024;
/** Jobs waiting for a worker, per worker, beyond which a count falls back at once. */
const QUEUE_PER_WORKER = 32;
/**
 * The same for an urgent count (one that decides whether a request fits its balance): it may wait behind
 * more, since falling back would hold the prompt's byte bound and refuse what the balance can pay for.
 */
const URGENT_QUEUE_PER_WORKER = 1024;

interface Pending {
  done: boolean;
  job: TokenJob;
  resolve: (counts: number[] | undefined) => void;
  timer: NodeJS.Timeout | undefined;
}

interface Slot {
  worker: Worker;
  busy: Pending | undefined;
}

/**
 * A worker's heap, bounded: without a limit V8 lets the old generation grow to several times the encodings'
 * live size (o200k ~20 MB, cl100k ~8 MB) with counting's garbage before collecting it; with one it collects
 * sooner. Measured (bench/README.md, "Memory"): ~25 MB less RSS after counting, counts as fast. 128 MB
 * holds both encodings and the longest text a count accepts (tested with 4 M characters); a worker that
 * still runs out of memory dies alone, its count falls back, and the next count starts another.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 4 };
const startWorker = () =>
  startModuleWorker(import.meta.url, './token-worker', { resourceLimits: WORKER_LIMITS });

export class TokenPool {
  readonly stats: TokenPoolStats = { counted: 0, expired: 0, saturated: 0 };
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  /** Encodings loaded (or loading) in the pool, for `ready`. */
  private readonly loaded = new Map<TokenizerName, Promise<void>>();

  /** `workers`: threads at most, each holding the encodings it was asked for (about 70 MB each). */
  constructor(private readonly workers: number) {}

  /**
   * Counts each text within `budgetMs`, or resolves undefined: the budget ran out, the pool is saturated,
   * or the texts are too long to be counted in time.
   */
  count(
    tokenizer: TokenizerName,
    texts: string[],
    purpose: Purpose,
    budgetMs: number,
    urgent = false,
  ): Promise<number[] | undefined> {
    let chars = 0;
    for (const text of texts) chars += text.length;
    if (chars > budgetMs * CHARS_PER_MS_AT_BEST) {
      this.stats.expired++;
      return Promise.resolve(undefined);
    }
    if (this.queue.length >= this.workers * (urgent ? URGENT_QUEUE_PER_WORKER : QUEUE_PER_WORKER)) {
      this.stats.saturated++;
      return Promise.resolve(undefined);
    }
    const job: TokenJob = { id: this.nextId++, tokenizer, texts, purpose, deadline: Date.now() + budgetMs };
    return new Promise((resolve) => {
      const pending: Pending = {
        done: false,
        job,
        resolve,
        timer: setTimeout(() => this.expire(pending), budgetMs),
      };
      this.queue.push(pending);
      this.dispatch();
    });
  }

  /**
   * Starts every worker and loads every encoding in it, so the first counts need not wait for them
   * (otherwise a worker starts on the first count, and loads an encoding on its first use).
   */
  async warm(): Promise<void> {
    while (this.spawn());
    const idle = this.slots.filter((slot) => !slot.busy);
    await Promise.all(
      idle.map(
        (slot) =>
          new Promise((resolve) => {
            const job: TokenJob = {
              id: this.nextId++,
              tokenizer: 'o200k_base',
              texts: [],
              purpose: 'estimate',
              deadline: Date.now() + 60_000,
              warm: true,
            };
            // The timer also keeps the process alive while the encodings load (idle workers do not).
            const pending: Pending = { done: false, job, resolve, timer: undefined };
            pending.timer = setTimeout(() => this.expire(pending), 60_000);
            slot.busy = pending;
            slot.worker.postMessage(job);
          }),
      ),
    );
  }

  /**
   * Resolves once `tokenizer`'s encoding is loaded in a worker (starting one and loading it on first call;
   * about 150 ms: bench/README.md). A count that must not fall back for want of a loaded encoding (a hold
   * on a tight balance) waits for this first, so the load is not taken out of its budget.
   */
  ready(tokenizer: TokenizerName): Promise<void> {
    let loading = this.loaded.get(tokenizer);
    if (!loading) {
      loading = this.count(tokenizer, ['.'], 'estimate', 60_000, true).then((counts) => {
        // Not loaded (a worker died, the queue was full): the next caller tries again.
        if (!counts) this.loaded.delete(tokenizer);
      });
      this.loaded.set(tokenizer, loading);
    }
    return loading;
  }

  /** Ends the workers (counts in flight resolve undefined). */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private expire(pending: Pending): void {
    if (pending.done) return;
    pending.done = true;
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) this.queue.splice(queued, 1);
    // A job in a worker stops there at the same deadline; its late answer is ignored.
    this.stats.expired++;
    pending.resolve(undefined);
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => !s.busy) ?? this.spawn();
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.busy = pending;
      slot.worker.postMessage(pending.job);
    }
  }

  private spawn(): Slot | undefined {
    if (this.slots.length >= this.workers) return undefined;
    const worker = startWorker();
    const slot: Slot = { worker, busy: undefined };
    worker.on('message', (reply: TokenReply) => {
      const pending = slot.busy;
      slot.busy = undefined;
      if (pending && pending.job.id === reply.id) this.settle(pending, reply.counts ?? undefined);
      this.dispatch();
    });
    // A worker that dies takes its job with it (that count falls back); the next count starts another.
    const gone = () => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      if (slot.busy) this.settle(slot.busy, undefined);
      slot.busy = undefined;
      this.dispatch();
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    // Idle workers never keep the process alive; a count in flight has its timer for that. (After the
    // listeners: adding a 'message' listener refs the worker again.)
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private settle(pending: Pending, counts: number[] | undefined): void {
    if (pending.done) return;
    pending.done = true;
    clearTimeout(pending.timer);
    if (counts) this.stats.counted++;
    else this.stats.expired++;
    pending.resolve(counts);
  }
}

let shared: TokenPool | undefined;

/**
 * The process's pool, started with `workers` threads by its first user: the encodings are immutable and
 * large, so every gateway in a process (tests start many) shares them.
 */
export function sharedTokenPool(workers: number): TokenPool {
  shared ??= new TokenPool(workers);
  return shared;
}

/**
 * Exact counts for one gateway: the shared pool, with this gateway's time budget per count, and a longer
 * one (`holdBudgetMs`) for the counts that decide whether a request fits its balance.
 */
export class TokenCounter {
  constructor(
    readonly pool: TokenPool,
    readonly budgetMs: number,
    readonly holdBudgetMs: number = budgetMs,
  ) {}

  /**
   * The prompt's tokens (`countPromptTokens`' formula) and, when given, a generated text's, counted in one
   * job; undefined when the budget ran out or the pool is saturated (the caller falls back). `forHold`: the
   * count decides a hold on a tight balance (the hold budget, and it may queue behind more).
   */
  async count(
    messages: readonly ChatMessage[],
    tokenizer: TokenizerName,
    purpose: Purpose,
    generated?: string,
    forHold = false,
  ): Promise<{ prompt: number; generated: number } | undefined> {
    const texts = messages.map(messageText);
    if (generated !== undefined) texts.push(generated);
    const budget = forHold ? this.holdBudgetMs : this.budgetMs;
    if (forHold) await this.pool.ready(tokenizer);
    const counts = await this.pool.count(tokenizer, texts, purpose, budget, forHold);
    if (!counts) return undefined;
    let prompt = promptFraming(messages);
    for (let i = 0; i < messages.length; i++) prompt += counts[i]!;
    return { prompt, generated: generated === undefined ? 0 : counts[messages.length]! };
  }

  /** The tokens of each text (no framing); undefined when the budget ran out (the caller falls back). */
  async countEach(
    texts: readonly string[],
    tokenizer: TokenizerName,
    purpose: Purpose,
    forHold = false,
  ): Promise<number[] | undefined> {
    if (texts.length === 0) return [];
    const budget = forHold ? this.holdBudgetMs : this.budgetMs;
    if (forHold) await this.pool.ready(tokenizer);
    return (await this.pool.count(tokenizer, [...texts], purpose, budget, forHold)) ?? undefined;
  }

  /** The tokens of several texts, summed; undefined when the budget ran out. */
  async countTexts(
    texts: readonly string[],
    tokenizer: TokenizerName,
    purpose: Purpose,
    forHold = false,
  ): Promise<number | undefined> {
    const counts = await this.countEach(texts, tokenizer, purpose, forHold);
    if (!counts) return undefined;
    let total = 0;
    for (const count of counts) total += count;
    return total;
  }
}
