// Conversation state for the Responses API: answers kept per account for `previous_response_id` and
// GET/DELETE /v1/responses/{id}. Writes leave the request's path: an answer is queued in memory and written
// with the others of the next WRITE_WINDOW_MS in one statement after the answer has gone (reads see the
// queue first, so a follow-up that comes before the write still finds it). Rows older than the retention
// are neither read nor kept (pruned hourly).
import type { Logger } from 'pino';
import type { Store, StoredResponseRow } from '../../store/store.js';

const PRUNE_EVERY_MS = 3_600_000;
/**
 * How long answers gather before one write takes them all. A write per event-loop turn meant a commit per
 * answer or two under load, which cost the Responses door a tenth of its CPU (SQLite writes each commit's
 * pages to its WAL); 10 ms is less than a write to PostgreSQL takes, so other replicas see an answer about as
 * soon as they did.
 */
const WRITE_WINDOW_MS = 10;
/** Queued answers that make a write start at once. */
const MAX_QUEUED = 500;

export interface StoredResponse {
  id: string;
  accountId: string;
  createdAt: number;
  /** The conversation's input items up to this response. */
  input: Record<string, unknown>[];
  /** The Response object as answered. */
  response: Record<string, unknown>;
  /** Its JSON text, as stored. */
  responseJson: string;
}

function fromRow(row: StoredResponseRow): StoredResponse {
  return {
    id: row.id,
    accountId: row.account_id,
    createdAt: row.created_at,
    input: JSON.parse(row.input_json) as Record<string, unknown>[],
    response: JSON.parse(row.response_json) as Record<string, unknown>,
    responseJson: row.response_json,
  };
}

export class StoredResponses {
  /** Queued, not taken by a write yet. */
  private readonly pending = new Map<string, StoredResponseRow>();
  /** Being written: still read from here until the write is done. */
  private readonly inFlight = new Map<string, StoredResponseRow>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly pruner: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    /** How long a stored response is kept, ms. */
    readonly retentionMs: number,
    private readonly log: Logger,
  ) {
    this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  /** Queues a response to be kept (written within WRITE_WINDOW_MS, with the others queued meanwhile). */
  put(entry: {
    id: string;
    accountId: string;
    model: string;
    input: unknown[];
    /** The response, or its JSON text when the caller has it already. */
    response?: unknown;
    responseJson?: string | undefined;
  }): void {
    this.pending.set(entry.id, {
      id: entry.id,
      account_id: entry.accountId,
      created_at: Date.now(),
      model: entry.model,
      input_json: JSON.stringify(entry.input),
      response_json: entry.responseJson ?? JSON.stringify(entry.response),
    });
    if (this.pending.size >= MAX_QUEUED) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, WRITE_WINDOW_MS);
      this.timer.unref();
    }
  }

  /** Writes what is queued; settles once every write begun so far is done. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const rows = [...this.pending.values()];
    this.pending.clear();
    for (const row of rows) this.inFlight.set(row.id, row);
    this.writing = this.writing.then(async () => {
      if (rows.length === 0) return;
      try {
        await this.store.insertStoredResponses(rows);
      } catch (error) {
        // Conversation state is not money: the answers went out; a follow-up naming them gets a 404.
        this.log.error({ err: error, responses: rows.length }, 'storing responses failed');
      } finally {
        for (const row of rows) if (this.inFlight.get(row.id) === row) this.inFlight.delete(row.id);
      }
    });
    return this.writing;
  }

  private get notBefore(): number {
    return Date.now() - this.retentionMs;
  }

  /** A response this account kept and may read, or undefined (another account's is as absent as none). */
  async get(id: string, accountId: string): Promise<StoredResponse | undefined> {
    const queued = this.pending.get(id) ?? this.inFlight.get(id);
    const row = queued ?? (await this.store.getStoredResponse(id, accountId, this.notBefore));
    if (!row || row.account_id !== accountId || row.created_at < this.notBefore) return undefined;
    return fromRow(row);
  }

  /** Deletes a response of this account; whether there was one. */
  async delete(id: string, accountId: string): Promise<boolean> {
    const queued = this.pending.get(id);
    if (queued) {
      if (queued.account_id !== accountId) return false;
      this.pending.delete(id);
      return true;
    }
    // A write under way must land first, or it would bring the row back after the delete.
    const writing = this.inFlight.get(id);
    if (writing && writing.account_id !== accountId) return false;
    if (writing) await this.writing;
    return this.store.deleteStoredResponse(id, accountId);
  }

  private async prune(): Promise<void> {
    try {
      await this.store.pruneStoredResponses(this.notBefore);
    } catch (error) {
      this.log.warn({ err: error }, 'pruning stored responses failed');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.pruner);
    await this.flush();
  }
}
