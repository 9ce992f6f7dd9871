// Price plans (what new-api calls group ratios, TokModel a price multiplier per model): an account on a
// plan pays the catalog's list prices times a multiplier, the plan's global one or that of the most
// specific glob or exact id matching the model, or, for a model the plan fixes a price for, that price for
// its tokens. Accounts without a plan pay list prices. The meters price every answer at list price (what
// it cost the operator upstream); `chargeByPlan` turns that into what the tenant pays, and admission holds
// at the tenant's price (`tenantPrice`), so holds reflect the plan.
//
// Plans and who is on them are cached in-process (no database read per request): read again when a plan
// or an assignment changes (here at once, on the other replicas when Redis tells them) and, as the safety
// net for changes missed, when the snapshot is older than PLAN_REFRESH_MS.
import type { Price } from '../catalog/catalog.js';
import type { PricePlanRow } from '../store/schema.js';
import type { Metered } from './meter.js';
import { costMicros } from './pricing.js';

/** A model's fixed token prices in a plan, USD per million tokens (the config's model price fields). */
export interface PlanPriceSettings {
  input: number;
  output: number;
  cached_input?: number | undefined;
  cache_write?: number | undefined;
  cache_write_1h?: number | undefined;
}

/** What a plan says about one model. */
export interface PlanRate {
  planId: string;
  /** Applied to the list price (1: list price). */
  multiplier: number;
  /** The model's fixed token prices (micro-USD per million tokens), when the plan fixes them. */
  fixed?: Pick<Price, 'input' | 'output' | 'cachedInput' | 'cacheWrite' | 'cacheWrite1h'>;
}

interface Rule {
  pattern: string;
  multiplier: number;
  matches: (model: string) => boolean;
  /** Exact ids first, then globs with more literal characters, then fewer `*`s, then by text. */
  rank: [number, number, number];
}

export interface CompiledPlan {
  id: string;
  name: string;
  multiplier: number;
  rules: Rule[];
  fixed: Map<string, NonNullable<PlanRate['fixed']>>;
}

/** How long a snapshot of the plans is trusted before it is read again (changes missed over Redis). */
export const PLAN_REFRESH_MS = 1_000;

const toMicros = (usdPerMillion: number) => Math.round(usdPerMillion * 1_000_000);

/** The fixed price of an API/stored plan price (USD per million) in the catalog's units. */
export function fixedPrice(settings: PlanPriceSettings): NonNullable<PlanRate['fixed']> {
  return {
    input: toMicros(settings.input),
    output: toMicros(settings.output),
    cachedInput: toMicros(settings.cached_input ?? settings.input),
    cacheWrite: settings.cache_write === undefined ? undefined : toMicros(settings.cache_write),
    cacheWrite1h: settings.cache_write_1h === undefined ? undefined : toMicros(settings.cache_write_1h),
  };
}

function globMatcher(pattern: string): (model: string) => boolean {
  if (!pattern.includes('*')) return (model) => model === pattern;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  const regex = new RegExp(`^${escaped}$`);
  return (model) => regex.test(model);
}

function compareRank(a: Rule, b: Rule): number {
  for (let i = 0; i < 3; i++) if (a.rank[i] !== b.rank[i]) return b.rank[i]! - a.rank[i]!;
  return a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0;
}

/** A stored plan, ready to answer per model: its rules sorted most specific first. */
export function compilePlan(row: PricePlanRow): CompiledPlan {
  const multipliers = JSON.parse(row.multipliers) as Record<string, number>;
  const prices = JSON.parse(row.prices) as Record<string, PlanPriceSettings>;
  const rules: Rule[] = Object.entries(multipliers).map(([pattern, multiplier]) => {
    const stars = pattern.split('*').length - 1;
    return {
      pattern,
      multiplier,
      matches: globMatcher(pattern),
      rank: [stars === 0 ? 1 : 0, pattern.length - stars, -stars],
    };
  });
  rules.sort(compareRank);
  const fixed = new Map(Object.entries(prices).map(([model, price]) => [model, fixedPrice(price)]));
  return { id: row.id, name: row.name, multiplier: row.multiplier, rules, fixed };
}

/** What `plan` charges for `model` (a catalog id, `provider/model`). */
export function rateOf(plan: CompiledPlan, model: string): PlanRate {
  const rule = plan.rules.find((r) => r.matches(model));
  const rate: PlanRate = { planId: plan.id, multiplier: rule?.multiplier ?? plan.multiplier };
  const fixed = plan.fixed.get(model);
  if (fixed) rate.fixed = fixed;
  return rate;
}

/** Every price of `price` times `factor` (fractions of a micro-USD kept: costs round once, at the end). */
function scaled(price: Price, factor: number): Price {
  if (factor === 1) return price;
  const times = (value: number | undefined) => (value === undefined ? undefined : value * factor);
  const out: Price = {
    ...price,
    input: price.input * factor,
    output: price.output * factor,
    cachedInput: price.cachedInput * factor,
    cacheWrite: times(price.cacheWrite),
    cacheWrite1h: times(price.cacheWrite1h),
  };
  for (const field of [
    'searchUnit',
    'character',
    'audioSecond',
    'audioInput',
    'audioOutput',
    'imageInput',
    'reasoning',
  ] as const)
    if (price[field] !== undefined) out[field] = price[field] * factor;
  if (price.perImage) {
    const table: Record<string, Record<string, number>> = {};
    for (const [quality, sizes] of Object.entries(price.perImage)) {
      table[quality] = {};
      for (const [size, micros] of Object.entries(sizes)) table[quality][size] = micros * factor;
    }
    out.perImage = table;
  }
  return out;
}

/**
 * The tenant's price of a model: the list price times the rate's multiplier, its token prices replaced by
 * the plan's fixed ones where it fixes them (a model without a list price then has that price alone).
 */
export function tenantPrice(list: Price | undefined, rate: PlanRate | undefined): Price | undefined {
  if (!rate) return list;
  const base = list ? scaled(list, rate.multiplier) : undefined;
  if (!rate.fixed) return base;
  return { ...(base ?? {}), ...rate.fixed };
}

/**
 * What a hold priced at list price is multiplied by to cover the tenant's price (never less: the largest of
 * the multiplier and each fixed token price over its list price).
 */
export function holdFactor(rate: PlanRate | undefined, list: Price | undefined): number {
  if (!rate) return 1;
  let factor = rate.multiplier;
  if (rate.fixed && list) {
    if (list.input > 0) factor = Math.max(factor, rate.fixed.input / list.input);
    if (list.output > 0) factor = Math.max(factor, rate.fixed.output / list.output);
  }
  return factor;
}

/** Billed by tokens alone (not per image, character, second of audio or search). */
const tokenBilled = (metered: Metered) =>
  metered.units === undefined && metered.usage.search_units === undefined;

/**
 * What the tenant pays for an answer metered at list price, the list price kept as the upstream cost: a
 * model's fixed prices for its tokens, else the list cost times the multiplier (rounded half up once).
 * Answers billed by a unit of their own (images, characters, seconds, searches) take the multiplier.
 */
export function chargeByPlan(rate: PlanRate | undefined, list: Price | undefined, metered: Metered): Metered {
  if (!rate) return metered;
  const upstream = metered.costMicros;
  let cost: number | undefined;
  if (rate.fixed && tokenBilled(metered)) cost = costMicros(tenantPrice(list, rate), metered.usage);
  else cost = upstream === undefined ? undefined : Math.round(upstream * rate.multiplier);
  return { ...metered, costMicros: cost, upstreamCostMicros: upstream ?? null };
}

/** Where plans and assignments are read from (the Store). */
export interface PlanSource {
  listPlans(): Promise<PricePlanRow[]>;
  listPlanAssignments(): Promise<Array<{ id: string; plan_id: string }>>;
}

/** The in-process snapshot of every plan and of the accounts on one. */
export class PlanBook {
  private plans = new Map<string, CompiledPlan>();
  private accounts = new Map<string, string>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private broadcast: (() => void) | undefined;

  constructor(
    private readonly source: PlanSource,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly refreshMs = PLAN_REFRESH_MS,
  ) {}

  /** Reads every plan and assignment (again); a failed read keeps the snapshot before it. */
  reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const [plans, assignments] = await Promise.all([
          this.source.listPlans(),
          this.source.listPlanAssignments(),
        ]);
        this.plans = new Map(plans.map((row) => [row.id, compilePlan(row)]));
        this.accounts = new Map(assignments.map((a) => [a.id, a.plan_id]));
        this.loadedAt = Date.now();
      } catch (error) {
        // Asked again after refreshMs, not on every request while the database is away.
        this.loadedAt = Date.now();
        this.onError(error);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Reads them again after whatever read is under way (which may have begun before a change). */
  async refresh(): Promise<void> {
    await this.loading;
    await this.reload();
  }

  /** A plan or an assignment changed here: read them again now, and tell the other replicas. */
  async changed(): Promise<void> {
    await this.refresh();
    this.broadcast?.();
  }

  /** Tells every other replica about `changed` calls made here (Redis pub/sub). */
  broadcastTo(broadcast: () => void): void {
    this.broadcast = broadcast;
  }

  /** The plan `accountId` is on, if any (a stale snapshot is read again in the background). */
  planOf(accountId: string): CompiledPlan | undefined {
    if (Date.now() - this.loadedAt >= this.refreshMs && !this.loading) void this.reload();
    const planId = this.accounts.get(accountId);
    return planId === undefined ? undefined : this.plans.get(planId);
  }

  /** What `accountId` pays for `model`; undefined: list price. */
  rateFor(accountId: string, model: string): PlanRate | undefined {
    const plan = this.planOf(accountId);
    return plan ? rateOf(plan, model) : undefined;
  }
}
