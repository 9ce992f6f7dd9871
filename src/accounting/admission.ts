// Admission: before anything goes upstream, a request passes its key's rate limits and holds its worst-case
// cost (its prompt tokens × input price + the most it may generate × output price, for every choice). When
// it ends, the hold is settled to the real cost. The prompt is bounded by its UTF-8 bytes (free, never
// under), and counted with the model's tokenizer (off the event loop, within a time budget) where that
// bound would hold more than a small share of the balance (`exactHoldShare`), or the key's tpm: a tight
// balance holds each request at its exact prompt plus its max_tokens, so concurrent requests hold what
// they may really cost and the balance serves as many as it can pay for.
import type { Principal } from '../auth/authenticator.js';
import { accountOf } from '../auth/principal.js';
import type { ModelCatalog } from '../catalog/catalog.js';
import type { Target } from '../catalog/target.js';
import { forbidden } from '../core/errors.js';
import type { ChatRequest } from '../core/types.js';
import {
  addRateLimitHeaders,
  type RateLimiter,
  type RateLimits,
  type RateState,
} from '../limits/rate-limiter.js';
import { holdFactor, type PlanBook, tenantPrice } from './plans.js';
import { microsToUsd } from './pricing.js';
import type { TokenCounter } from './token-pool.js';
import { promptTokenBound } from './tokenizer.js';
import { MoneyRefusal, type RateAsk, type Reservation, type Scope, type Wallet } from './wallet/wallet.js';

/** Holds `micros` for the request or throws (the wallet's `reserve`, or one that admits rate limits too). */
type Reserve = (micros: number) => Promise<Reservation>;

/** What a model may generate when neither the client nor the catalog says (used only to bound costs). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

export interface Admission {
  scope: Scope;
  reservation: Reservation | undefined;
  /** Tokens counted against the key's tpm at admission (0 when it has none). */
  tpmTokens: number;
  keyId: string | null;
  /** Response headers that explain what admission changed (a capped max_tokens). */
  headers: Record<string, string>;
}

/** The deployments a request may be served by, group by group (the router's RoutePlan is one). */
export interface CandidateTargets {
  groups: ReadonlyArray<{ deployments: ReadonlyArray<{ target: Target }> }>;
}

/**
 * The deployment to admit a request against: the one whose worst case costs most, so the reservation
 * covers whichever deployment ends up serving (the settlement then charges the real one). An unpriced
 * deployment counts as the most expensive: its cost cannot be bounded. The prompt is sized by its byte
 * bound: this only ranks deployments, the admitter does the reserving.
 */
export function costliestTarget(plan: CandidateTargets, request: ChatRequest): Target {
  const only = plan.groups.length === 1 ? plan.groups[0]!.deployments : undefined;
  if (only?.length === 1) return only[0]!.target; // the common case, without building the list
  const all = only ?? plan.groups.flatMap((g) => g.deployments);
  const unpriced = all.find((d) => !d.target.entry?.price);
  if (unpriced) return unpriced.target;
  const promptTokens = promptTokenBound(request.messages);
  const requestedMax = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  let best = all[0]!.target;
  let bestCost = -1;
  for (const { target } of all) {
    const price = target.entry!.price!;
    const output = requestedMax ?? target.entry?.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    const cost = promptTokens * price.input + output * price.output;
    if (cost > bestCost) {
      best = target;
      bestCost = cost;
    }
  }
  return best;
}

/** What a request billed by its input may cost: its tokens' bound, their exact count, their price. */
export interface InputDemand {
  /** Never below the tokens billed (UTF-8 bytes of the texts, or a token array's length). */
  bound: number;
  /** The exact count (off the event loop, within the budget); undefined when it could not be had. */
  exact: () => Promise<number | undefined>;
  /** Micro-USD that many tokens cost at most (rounded up); only asked of a priced model. */
  cost: (tokens: number) => number;
}

export interface AdmissionOptions {
  /** Refuse models without a price for metered (prepaid or budgeted) keys: their cost cannot be bounded. */
  refuseUnpriced: boolean;
  /**
   * A metered request whose byte-bound hold is more than this share of what its balance has left has its
   * prompt counted exactly before it holds anything (TOKGATE_EXACT_HOLD_SHARE, 0.01).
   */
  exactHoldShare: number;
}

/** A refusal for money, or anything else (passed on as it is). */
const moneyRefusal = (error: unknown): MoneyRefusal | undefined =>
  error instanceof MoneyRefusal ? error : undefined;

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** A request that may take more than this share of its key's tpm has its prompt counted exactly. */
const TPM_SHARE_FOR_EXACT_COUNT = 0.01;

/** An admission that holds nothing yet. */
const emptyAdmission = (scope: Scope, keyId: string | null): Admission => ({
  scope,
  reservation: undefined,
  tpmTokens: 0,
  keyId,
  headers: {},
});

/** The key's windows as OpenAI's `x-ratelimit-*` headers, sent with the answer (a stream's before its first byte). */
const rateHeadersOn = (admission: Admission, state: RateState) =>
  addRateLimitHeaders(admission.headers, state);

export function scopeOf(principal: Principal): Scope {
  if (principal.kind === 'admin')
    return { accountId: accountOf(principal), keyId: null, keyBudgetMicros: null };
  return {
    accountId: principal.key.accountId,
    keyId: principal.key.id,
    keyBudgetMicros: principal.key.budgetMicros,
  };
}

interface Payer {
  scope: Scope;
  key: Extract<Principal, { kind: 'key' }>['key'] | undefined;
  limits: RateLimits | undefined;
  admission: Admission;
  metered: boolean;
  /** Set when nothing is to be reserved: the admission to return as it is. */
  admitted?: Admission;
}

export class Admitter {
  constructor(
    private readonly wallet: Wallet,
    private readonly limiter: RateLimiter,
    private readonly catalog: ModelCatalog,
    private readonly options: AdmissionOptions,
    private readonly tokens: TokenCounter,
    /** Price plans: holds are at the tenant's price (none: list prices). */
    private readonly plans?: PlanBook,
  ) {}

  /** The model's price for the principal's account: its plan's, else the list price. */
  private priceFor(principal: Principal, target: Target) {
    const list = target.entry?.price;
    if (!this.plans) return { list, price: list, factor: 1 };
    const rate = this.plans.rateFor(accountOf(principal), target.entry?.id ?? target.model);
    return { list, price: tenantPrice(list, rate), factor: holdFactor(rate, list) };
  }

  /**
   * Admits the request or throws (403 money, 429 rate). May set `max_tokens` on the upstream request when
   * the client sent none and the balance cannot pay for the model's maximum. A request refused for rate
   * holds no money, and one refused for money holds no tpm (it still counts as a request for rpm).
   */
  async admit(principal: Principal, target: Target, upstream: ChatRequest): Promise<Admission> {
    const payer = await this.payer(principal, target);
    if (payer.admitted) return payer.admitted;
    const { scope, key, limits, admission, metered } = payer;
    const { price } = this.priceFor(principal, target);

    const choices = upstream.n ?? 1;
    const requestedMax = upstream.max_completion_tokens ?? upstream.max_tokens ?? undefined;
    let maxTokens = requestedMax ?? target.entry?.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;

    // The prompt is first bounded by its UTF-8 bytes (a BPE token is at least one byte): free, and never
    // under-holds. The tokenizer (off the event loop, bench/README.md) counts it where the bound would
    // refuse what the exact count admits: a bound that is a noticeable share of the balance left or of the
    // key's tpm. When its budget runs out (or the pool is saturated), the bound stands: more, never less.
    let prompt = promptTokenBound(upstream.messages);
    // What was asked of the tokenizer: a count for tpm has the ordinary budget; one that sizes money (a
    // hold, `forHold`) waits longer, and is asked again if the ordinary one gave up.
    let asked: 'no' | 'plain' | 'hold' | 'done' = 'no';
    const countExactly = async (forHold = true): Promise<boolean> => {
      if (asked === 'done' || asked === 'hold' || (asked === 'plain' && !forHold)) return false;
      asked = forHold ? 'hold' : 'plain';
      const tokenizer = this.catalog.tokenizerFor(target.model, target.provider.id);
      const count = await this.tokens.count(upstream.messages, tokenizer, 'upper', undefined, forHold);
      if (count === undefined) return false;
      asked = 'done';
      if (count.prompt >= prompt) return false;
      prompt = count.prompt;
      return true;
    };
    const tpm = limits?.tpm ?? null;
    if (tpm !== null && (prompt + maxTokens) * choices > tpm * TPM_SHARE_FOR_EXACT_COUNT)
      await countExactly(false);

    const outputPerToken = price ? price.output * choices : 0;
    const promptCost = () => (price ? ceilDiv(prompt * choices * price.input, 1_000_000) : 0);
    const worstCost = () => promptCost() + ceilDiv(maxTokens * outputPerToken, 1_000_000);
    /** The max_tokens `left` micro-USD can pay for beside the prompt (0: not even the prompt). */
    const affordableMaxTokens = (left: number) =>
      outputPerToken > 0 ? Math.max(0, Math.floor(((left - promptCost()) * 1_000_000) / outputPerToken)) : 0;
    const capMaxTokens = (affordable: number) => {
      maxTokens = affordable;
      // The real OpenAI API wants max_completion_tokens (reasoning models reject max_tokens).
      if (target.provider.format === 'openai' && target.provider.id === 'openai') {
        upstream.max_completion_tokens = affordable;
      } else upstream.max_tokens = affordable;
      admission.headers['x-tokgate-max-tokens'] =
        `${affordable}; capped to what the remaining balance can pay for`;
    };
    /** The refusal told with the hold's parts and what would fit. */
    const explain = (refusal: MoneyRefusal): MoneyRefusal => {
      const fits = affordableMaxTokens(refusal.left);
      const parts = `${prompt * choices} prompt tokens${choices > 1 ? ` (${choices} choices)` : ''} and max_tokens ${maxTokens}`;
      const advice =
        fits >= 1
          ? `It would hold ${parts}; max_tokens ${fits} would fit. Lower max_tokens or ${refusal.kind === 'budget_exceeded' ? 'raise the budget' : 'top up'}.`
          : `It would hold ${parts}; the prompt alone costs $${microsToUsd(promptCost())}. ${refusal.kind === 'budget_exceeded' ? 'Raise the budget' : 'Top up'} to continue.`;
      return refusal.withAdvice(advice);
    };

    // Money is held in one call: the exact prompt where the balance is tight (see above), else the bound.
    // Only a refusal asks for more: the exact prompt count, then (no max_tokens from the client) what the
    // balance can pay for.
    const reserveMoney = async (reserve: Reserve): Promise<Reservation | undefined> => {
      if (!metered || !price) return undefined;
      if (await this.tight(scope, worstCost())) await countExactly();
      try {
        return await reserve(worstCost());
      } catch (error) {
        let refusal = moneyRefusal(error);
        if (!refusal) throw error;
        let retry = await countExactly();
        if (requestedMax === undefined && outputPerToken > 0) {
          const available = await this.wallet.available(scope);
          if (available !== null && worstCost() > available) {
            const affordable = affordableMaxTokens(available);
            if (affordable >= 1) {
              capMaxTokens(affordable);
              retry = true;
            }
          }
        }
        if (retry) {
          try {
            return await reserve(worstCost());
          } catch (again) {
            refusal = moneyRefusal(again);
            if (!refusal) throw again;
          }
        }
        throw explain(refusal);
      }
    };
    // The tpm reservation counts max_tokens before any cap (settling corrects it).
    const tpmTokens = tpm === null ? 0 : prompt + maxTokens * choices;
    return this.reserveBoth(admission, key, limits, tpmTokens, reserveMoney);
  }

  /**
   * Who pays for a request and under which limits. `admitted` when there is nothing to reserve (an
   * unmetered account and no tpm: the request only counts for rpm). A metered key may not use an unpriced
   * model when so configured: its cost cannot be bounded.
   */
  private async payer(principal: Principal, target: Target): Promise<Payer> {
    const scope = scopeOf(principal);
    const key = principal.kind === 'key' ? principal.key : undefined;
    const limits: RateLimits | undefined =
      key && (key.rpm !== null || key.tpm !== null) ? { rpm: key.rpm, tpm: key.tpm } : undefined;
    const admission = emptyAdmission(scope, key?.id ?? null);
    const metered = await this.wallet.isMetered(scope);
    if (!metered && limits?.tpm == null) {
      if (key && limits) rateHeadersOn(admission, await this.limiter.admit(key.id, limits, 0));
      return { scope, key, limits, admission, metered, admitted: admission };
    }
    if (metered && this.priceFor(principal, target).price === undefined && this.options.refuseUnpriced) {
      throw forbidden(
        `The model \`${target.model}\` has no price, so its cost cannot be bounded; this key is metered and may not use it. Add a price for it in the config.`,
        'model_unpriced',
      );
    }
    return { scope, key, limits, admission, metered };
  }

  /**
   * Rate limits and money asked at once: a wallet that decides both (the fleet's) in one call, else the
   * two side by side; each side is undone when the other refuses.
   */
  private async reserveBoth(
    admission: Admission,
    key: Payer['key'],
    limits: RateLimits | undefined,
    tpmTokens: number,
    reserveMoney: (reserve: Reserve) => Promise<Reservation | undefined>,
  ): Promise<Admission> {
    const { scope } = admission;
    const reserve: Reserve = (micros) => this.wallet.reserve(scope, micros);
    if (!key || !limits) {
      admission.reservation = await reserveMoney(reserve);
      return admission;
    }
    const keyId = key.id;
    if (this.wallet.reserveAdmitting) {
      const both = await this.reserveAdmitting(scope, { keyId, limits, tokens: tpmTokens }, reserveMoney);
      admission.reservation = both.reservation;
      admission.tpmTokens = tpmTokens;
      rateHeadersOn(admission, both.rate);
      return admission;
    }
    const [money, rate] = await Promise.allSettled([
      reserveMoney(reserve),
      this.limiter.admit(keyId, limits, tpmTokens),
    ]);
    if (money.status === 'rejected') {
      if (rate.status === 'fulfilled' && tpmTokens > 0) this.limiter.adjust(keyId, tpmTokens, 0);
      throw money.reason;
    }
    if (rate.status === 'rejected') {
      if (money.value) this.wallet.release(money.value);
      throw rate.reason;
    }
    admission.reservation = money.value;
    admission.tpmTokens = tpmTokens;
    rateHeadersOn(admission, rate.value);
    return admission;
  }

  /**
   * The money's first reservation carries the rate limits (one call: refused for rate, nothing is held;
   * refused for money, the request counted against them, as when both are asked side by side). Later
   * tries hold money alone; when none was held (unmetered, unpriced), the limiter is asked on its own.
   */
  private async reserveAdmitting(
    scope: Scope,
    ask: RateAsk,
    reserveMoney: (reserve: Reserve) => Promise<Reservation | undefined>,
  ): Promise<{ reservation: Reservation | undefined; rate: RateState }> {
    let rate: RateState | undefined;
    const reserve: Reserve = async (micros) => {
      if (rate) return this.wallet.reserve(scope, micros);
      const both = await this.wallet.reserveAdmitting!(scope, micros, ask);
      rate = both.rate;
      if (both.refusal) throw both.refusal;
      return both.reservation!;
    };
    let reservation: Reservation | undefined;
    try {
      reservation = await reserveMoney(reserve);
    } catch (error) {
      if (rate && ask.tokens > 0) this.limiter.adjust(ask.keyId, ask.tokens, 0);
      throw error;
    }
    if (!rate) {
      try {
        rate = await this.limiter.admit(ask.keyId, ask.limits, ask.tokens);
      } catch (error) {
        if (reservation) this.wallet.release(reservation);
        throw error;
      }
    }
    return { reservation, rate };
  }

  /**
   * Admits a request billed by its input alone (embeddings, rerank): the same rules as `admit`, with the
   * worst case `demand.cost(demand.bound)`, and the exact count asked only where the bound would refuse.
   */
  async admitInput(principal: Principal, target: Target, demand: InputDemand): Promise<Admission> {
    const payer = await this.payer(principal, target);
    if (payer.admitted) return payer.admitted;
    const { scope, key, limits, admission, metered } = payer;
    const { list, factor } = this.priceFor(principal, target);
    const priced = list !== undefined;
    // The demand prices at list price; the plan's price is at most `factor` times that.
    const cost = (n: number) => (factor === 1 ? demand.cost(n) : Math.ceil(demand.cost(n) * factor));
    let tokens = demand.bound;
    let counted = false;
    const countExactly = async (): Promise<boolean> => {
      if (counted) return false;
      counted = true;
      const exact = await demand.exact();
      if (exact === undefined || exact >= tokens) return false;
      tokens = exact;
      return true;
    };
    const tpm = limits?.tpm ?? null;
    if (tpm !== null && tokens > tpm * TPM_SHARE_FOR_EXACT_COUNT) await countExactly();
    const reserveMoney = async (reserve: Reserve): Promise<Reservation | undefined> => {
      if (!metered || !priced) return undefined;
      if (await this.tight(scope, cost(tokens))) await countExactly();
      try {
        return await reserve(cost(tokens));
      } catch (refusal) {
        if (!moneyRefusal(refusal) || !(await countExactly())) throw refusal;
        return reserve(cost(tokens));
      }
    };
    return this.reserveBoth(admission, key, limits, tpm === null ? 0 : tokens, reserveMoney);
  }

  /**
   * Admits an answer whose cost is known before it is given (a response-cache hit): the key's rate limits
   * count it as a request that uses no tokens, and its price is reserved like any other.
   */
  async admitKnownCost(principal: Principal, costMicros: number): Promise<Admission> {
    const scope = scopeOf(principal);
    const key = principal.kind === 'key' ? principal.key : undefined;
    const admission = emptyAdmission(scope, key?.id ?? null);
    if (key && (key.rpm !== null || key.tpm !== null))
      rateHeadersOn(admission, await this.limiter.admit(key.id, { rpm: key.rpm, tpm: key.tpm }, 0));
    if (costMicros > 0 && (await this.wallet.isMetered(scope)))
      admission.reservation = await this.wallet.reserve(scope, costMicros);
    return admission;
  }

  /**
   * Whether a hold of `micros` is more than the configured share of what the scope has left (as this process
   * last saw it): then the prompt is worth counting exactly before holding it.
   */
  private async tight(scope: Scope, micros: number): Promise<boolean> {
    const left = await this.wallet.recentlyAvailable(scope);
    return left !== null && micros > left * this.options.exactHoldShare;
  }

  /** Ends an admission: `costMicros` is what the ledger records (0 for failures), `tokens` what was used. */
  settle(admission: Admission, costMicros: number, tokens: number): void {
    if (admission.reservation) this.wallet.settle(admission.reservation, costMicros);
    if (admission.keyId !== null && admission.tpmTokens > 0) {
      this.limiter.adjust(admission.keyId, admission.tpmTokens, tokens);
    }
  }
}
