// What a price file would change: the catalog as it is against the catalog with the file's prices, model by
// model and field by field (USD, the price files' field names). Models are compared as a gateway would
// price them, so a model the new version leaves out shows its fallback: the built-in price, or none.
import type { ModelCatalog } from './catalog.js';
import { flatPrice } from './price-view.js';

export interface FieldChange {
  field: string;
  /** null: not set. */
  old: number | null;
  new: number | null;
}

export interface PriceChange {
  model: string;
  /** added: priced only after; removed: priced only before (unpriced after); changed: some field differs. */
  change: 'added' | 'changed' | 'removed';
  fields: FieldChange[];
  /** The price version each side would record on ledger rows. */
  oldVersion: string | null;
  newVersion: string | null;
}

export interface PriceDiff {
  changes: PriceChange[];
  /** Models priced the same before and after. */
  unchanged: number;
}

export function diffPrices(before: ModelCatalog, after: ModelCatalog): PriceDiff {
  const changes: PriceChange[] = [];
  let unchanged = 0;
  const ids = new Set([...before.all().map((e) => e.id), ...after.all().map((e) => e.id)]);
  for (const model of [...ids].sort()) {
    const old = before.get(model);
    const now = after.get(model);
    const oldFlat = old?.price ? flatPrice(old.price) : undefined;
    const newFlat = now?.price ? flatPrice(now.price) : undefined;
    if (!oldFlat && !newFlat) continue;
    const fields: FieldChange[] = [];
    for (const field of new Set([...Object.keys(oldFlat ?? {}), ...Object.keys(newFlat ?? {})])) {
      const a = oldFlat?.[field] ?? null;
      const b = newFlat?.[field] ?? null;
      if (a !== b) fields.push({ field, old: a, new: b });
    }
    if (oldFlat && newFlat && fields.length === 0) {
      unchanged++;
      continue;
    }
    changes.push({
      model,
      change: !oldFlat ? 'added' : !newFlat ? 'removed' : 'changed',
      fields,
      oldVersion: old?.priceVersion ?? null,
      newVersion: now?.priceVersion ?? null,
    });
  }
  return { changes, unchanged };
}

const usd = (value: number | null) => (value === null ? '-' : String(value));

/** The diff as lines for a terminal: `+` added, `~` changed, `-` removed, then the counts. */
export function diffText(diff: PriceDiff, skipped: Record<string, number>): string {
  const lines: string[] = [];
  const mark = { added: '+', changed: '~', removed: '-' } as const;
  for (const change of diff.changes) {
    const fields = change.fields.map((f) =>
      change.change === 'added'
        ? `${f.field} ${usd(f.new)}`
        : change.change === 'removed'
          ? `${f.field} ${usd(f.old)}`
          : `${f.field} ${usd(f.old)} → ${usd(f.new)}`,
    );
    lines.push(`${mark[change.change]} ${change.model}  ${fields.join(', ')}`);
  }
  const count = (kind: PriceChange['change']) => diff.changes.filter((c) => c.change === kind).length;
  lines.push(
    `${count('added')} added, ${count('changed')} changed, ${count('removed')} removed, ${diff.unchanged} unchanged`,
  );
  const left = Object.entries(skipped);
  if (left.length > 0)
    lines.push(`entries not imported: ${left.map(([reason, n]) => `${n} ${reason}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
