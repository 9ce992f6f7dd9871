// What suites that write the ledger directly ask of the store: a funded account, its spend, and how many
// of some request ids reached the database.
import type { Store } from '../../src/store/store.js';

let seq = 0;

/** `store` is read at each call: suites open theirs in `before`. */
export function ledgerStoreHelpers(store: () => Store, prefix: string) {
  return {
    async account(): Promise<string> {
      const id = `acct_${prefix}_${process.pid}_${++seq}`;
      await store().insertAccount({ id, name: id, credits_micros: 1_000_000, created_at: Date.now() });
      return id;
    },
    spend: async (id: string) => (await store().accountSpend(id))!.spendMicros,
    async count(ids: readonly string[]): Promise<number> {
      let n = 0;
      for (const id of ids) if (await store().getRequest(id)) n += 1;
      return n;
    },
  };
}
