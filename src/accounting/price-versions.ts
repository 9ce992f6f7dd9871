// Price versions: a price file imported as a new, numbered version in the database (old ones stay, so
// ledger rows stay re-ratable), and each gateway's catalog kept on the newest: read at start, then polled
// (and, with REDIS_URL, told at once), so every replica picks a new version up without a restart.
// `tokgate prices import|diff` and `POST /admin/prices` share `importPrices`.
import type { Logger } from 'pino';
import type { ImportedPrices, ModelCatalog } from '../catalog/catalog.js';
import { diffPrices, type PriceDiff } from '../catalog/price-diff.js';
import {
  importedPrices,
  PriceFileError,
  type PriceSheet,
  parsePriceFile,
  toTokgateFile,
} from '../catalog/price-file.js';
import { invalidRequest } from '../core/errors.js';
import type { PriceVersionRow, Store } from '../store/store.js';

/** The label ledger rows carry for a version's prices: `import-<number>@<day imported>`. */
export const versionLabel = (row: Pick<PriceVersionRow, 'id' | 'created_at'>) =>
  `import-${row.id}@${new Date(row.created_at).toISOString().slice(0, 10)}`;

/** A stored version's prices, as the catalog applies them. */
export function versionPrices(row: PriceVersionRow): ImportedPrices {
  return importedPrices(parsePriceFile(JSON.parse(row.prices_json)), row.id, versionLabel(row));
}

/** A price file read, or the request refused with the file's problem (entry and field named). */
export function readPriceFile(body: unknown, source: string | undefined): PriceSheet {
  try {
    return parsePriceFile(body, source === undefined ? {} : { source });
  } catch (error) {
    if (error instanceof PriceFileError)
      throw invalidRequest(`Invalid price file: ${error.message}`, null, 'invalid_value');
    throw error;
  }
}

export interface PriceImport {
  format: PriceSheet['format'];
  /** How many models the file prices (of the providers tokgate serves). */
  models: number;
  skipped: Record<string, number>;
  diff: PriceDiff;
  /** The version recorded; undefined for a dry run (a diff). */
  version: PriceVersionRow | undefined;
}

/**
 * Reads a price file and compares it with `catalog` (the catalog as it prices now); unless `dryRun`,
 * records it as the new version and applies it to `catalog`. A malformed file changes nothing.
 */
export async function importPrices(
  store: Store,
  catalog: ModelCatalog,
  body: unknown,
  options: { source?: string | undefined; dryRun?: boolean } = {},
): Promise<PriceImport> {
  const sheet = readPriceFile(body, options.source);
  // The version's number is known once it is recorded: the diff names the new side `import-new`.
  const diff = diffPrices(catalog, catalog.withPrices(importedPrices(sheet, 0, 'import-new')));
  const result = { format: sheet.format, models: sheet.entries.size, skipped: sheet.skipped, diff };
  if (options.dryRun) return { ...result, version: undefined };
  const version = await store.insertPriceVersion({
    created_at: Date.now(),
    format: sheet.format,
    source: options.source ?? null,
    models: sheet.entries.size,
    prices_json: JSON.stringify(toTokgateFile(sheet)),
  });
  catalog.applyPrices(importedPrices(sheet, version.id, versionLabel(version)));
  return { ...result, version };
}

/** Brings `catalog` to the newest stored version (never back to an older one); whether it changed. */
export async function loadNewestPrices(store: Store, catalog: ModelCatalog): Promise<boolean> {
  const newest = await store.latestPriceVersionId();
  if (newest === undefined || newest <= (catalog.importedId ?? 0)) return false;
  const row = await store.getPriceVersion(newest);
  if (!row || row.id <= (catalog.importedId ?? 0)) return false;
  catalog.applyPrices(versionPrices(row));
  return true;
}

/** How often a gateway asks the database for a newer price version (one indexed lookup). */
export const PRICE_POLL_MS = 5_000;

/** Keeps a gateway's catalog on the newest price version. */
export class PriceVersionWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly catalog: ModelCatalog,
    private readonly log: Logger,
  ) {}

  /** Reads the newest version now (one read at a time; a call during a read waits for it). */
  refresh(): Promise<void> {
    this.running ??= loadNewestPrices(this.store, this.catalog)
      .then((changed) => {
        if (changed) this.log.info({ price_version: this.catalog.importedId }, 'prices: new version applied');
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  start(everyMs = PRICE_POLL_MS): void {
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.log.warn({ err: error }, 'prices: could not read the newest price version'),
      );
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
