// Account sweeps, each second on every replica: credit grants that expired are withdrawn (their unspent
// rest), then low-balance webhooks. Every replica sweeps for prepaid accounts whose balance fell below
// their threshold (the store claims each crossing once, fleet-wide, and records a delivery), then sends the
// deliveries that are due: POST to TOKGATE_WEBHOOK_URL, signed, retried with exponential backoff, every
// attempt recorded on the delivery. Off the request path entirely.
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { microsToUsd } from '../accounting/pricing.js';
import type { WebhookSettings } from '../config/config.js';
import type { HttpClient } from '../providers/http.js';
import type { AccountRow, Store, WebhookDeliveryRow } from '../store/store.js';

export const LOW_BALANCE_EVENT = 'account.low_balance';
/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`. */
export const SIGNATURE_HEADER = 'x-tokgate-signature';
const SWEEP_MS = 1000;
/** How long a sender holds a delivery it claimed before another replica may try it. */
const LEASE_MS = 30_000;
const SEND_TIMEOUT_MS = 10_000;

/** The signature header's value for `body` sent at `unixSeconds`. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export const deliveryObject = (row: WebhookDeliveryRow) => ({
  id: row.id,
  object: 'webhook_delivery',
  account_id: row.account_id,
  event: row.event,
  payload: JSON.parse(row.payload) as unknown,
  created_at: new Date(row.created_at).toISOString(),
  attempts: JSON.parse(row.attempts_json) as unknown[],
  delivered_at: row.delivered_at === null ? null : new Date(row.delivered_at).toISOString(),
  next_attempt_at: row.next_attempt_at === null ? null : new Date(row.next_attempt_at).toISOString(),
  status: row.delivered_at !== null ? 'delivered' : row.next_attempt_at === null ? 'failed' : 'pending',
});

function lowBalancePayload(account: AccountRow, now: number) {
  const id = `whd_${randomUUID().replaceAll('-', '')}`;
  const body = {
    id,
    type: LOW_BALANCE_EVENT,
    created_at: new Date(now).toISOString(),
    data: {
      account_id: account.id,
      name: account.name,
      balance_usd: microsToUsd((account.credits_micros ?? 0) - account.spend_micros),
      threshold_usd: microsToUsd(account.low_balance_micros ?? 0),
    },
  };
  return { id, event: LOW_BALANCE_EVENT, payload: JSON.stringify(body) };
}

export class LowBalanceNotifier {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly http: HttpClient,
    private readonly settings: WebhookSettings,
    private readonly log: Logger,
    /** Balances this sweep changed (expired grants): the wallet reads them again. */
    private readonly onChanged: (accountIds: readonly string[]) => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), SWEEP_MS);
    this.timer.unref();
  }

  /** One sweep and one round of sends (the timer's work; tests may call it). */
  tick(): Promise<void> {
    this.running ??= this.work()
      .catch((error) => this.log.warn({ err: error }, 'low-balance webhook sweep failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async work(): Promise<void> {
    const now = Date.now();
    const expired = await this.store.expireGrants(now, (grant) => ({
      id: `cred_${randomUUID().replaceAll('-', '')}`,
      account_id: grant.account_id,
      amount_micros: 0,
      note: `expired: the unspent rest of grant ${grant.id}`,
      created_at: now,
    }));
    if (expired.length > 0) this.onChanged(expired);
    await this.store.sweepLowBalances(now, (account) => lowBalancePayload(account, now));
    if (!this.settings.url || !this.settings.secret) return;
    const due = await this.store.claimDueDeliveries(now, LEASE_MS);
    await Promise.all(due.map((row) => this.send(row)));
  }

  private async send(row: WebhookDeliveryRow): Promise<void> {
    const { url, secret, retryMs, attempts } = this.settings;
    const at = Date.now();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'tokgate-webhook',
      'x-tokgate-event': row.event,
      'x-tokgate-delivery': row.id,
      [SIGNATURE_HEADER]: signWebhook(secret!, row.payload, Math.floor(at / 1000)),
    };
    let outcome: { status?: number; error?: string };
    try {
      const res = await this.http.request(
        'webhook',
        url!,
        headers,
        row.payload,
        AbortSignal.timeout(SEND_TIMEOUT_MS),
      );
      await res.body.dump();
      outcome = { status: res.status };
    } catch (error) {
      outcome = { error: error instanceof Error ? error.message.slice(0, 500) : String(error) };
    }
    const delivered = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
    const tried = row.attempts + 1;
    const next = delivered || tried >= attempts ? null : Date.now() + retryMs * 2 ** (tried - 1);
    await this.store.recordAttempt(row, { at, ...outcome }, delivered, next);
    if (!delivered && next === null)
      this.log.warn({ delivery: row.id, attempts: tried }, 'low-balance webhook given up');
  }
}
