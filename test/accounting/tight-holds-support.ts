// The tight-holds rule (issue 20), shared by the one-gateway suite (SQLite) and the fleet suite (PostgreSQL +
// Redis, three replicas): an account funded for exactly N requests serves N ± 2 of a burst of 10·N concurrent
// requests, never more than N + 2; no refused request reaches the upstream; the ledger equals the balance
// change to the micro-dollar.
import assert from 'node:assert/strict';

/** $1 and $10 per million input and output tokens: output dominates, as for a real chat model. */
export const TIGHT_MODEL = 'openai/tight-model';
export const TIGHT_MODEL_CONFIG = `models:\n  ${TIGHT_MODEL}:\n    max_output_tokens: 4096\n    price: { input: 1, output: 10 }\n`;
export const TIGHT_MAX_TOKENS = 8;
export const tightRequest = {
  model: TIGHT_MODEL,
  messages: [{ role: 'user', content: 'Write a haiku about the sea, in English please.' }],
  max_tokens: TIGHT_MAX_TOKENS,
};

export interface BurstAnswer {
  status: number;
  body: unknown;
}

export interface BurstOutcome {
  served: number;
  refused: BurstAnswer[];
  /** What the served answers said they cost (usage.cost), micro-USD. */
  toldMicros: number;
}

const costOf = (body: unknown) =>
  Math.round(((body as { usage?: { cost?: number } }).usage?.cost ?? Number.NaN) * 1e6);

/** Fires `count` requests at once (`send(i)`), and sorts the answers. */
export async function burst(count: number, send: (i: number) => Promise<BurstAnswer>): Promise<BurstOutcome> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
  const served = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status !== 200);
  for (const answer of refused) {
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
    assert.equal((answer.body as { error: { code: string } }).error.code, 'insufficient_credits');
  }
  const toldMicros = served.reduce((sum, a) => sum + costOf(a.body), 0);
  assert.ok(Number.isInteger(toldMicros), 'every answer says what it cost');
  return { served: served.length, refused, toldMicros };
}

/** The cost of one request (`usage.cost`, micro-USD) from an answer. */
export const answerCost = costOf;

/**
 * The rule's checks on one burst against an account funded for `n` requests: `upstreamCalls` is what the
 * fake upstream received during the burst; `spentMicros` the account's balance change, `ledgerMicros` the
 * sum of its ledger rows.
 */
export function assertTight(
  n: number,
  outcome: BurstOutcome,
  upstreamCalls: number,
  spentMicros: number,
  ledgerMicros: number,
): void {
  assert.ok(outcome.served <= n + 2, `served ${outcome.served}, more than ${n} + 2`);
  assert.ok(outcome.served >= n - 2, `served only ${outcome.served} of the ${n} the balance pays for`);
  assert.equal(upstreamCalls, outcome.served, 'a refused request sends nothing upstream');
  assert.equal(spentMicros, outcome.toldMicros, 'the balance fell by what the answers said they cost');
  assert.equal(ledgerMicros, spentMicros, 'the ledger equals the balance change');
  // The refusal names the balance, the hold and what would fit.
  const message = (outcome.refused[0]?.body as { error: { message: string } } | undefined)?.error.message;
  if (message !== undefined) {
    assert.match(message, /holds? \$[0-9.]+/);
    assert.match(message, /(\$[0-9.]+ left|nothing left)/);
  }
}
