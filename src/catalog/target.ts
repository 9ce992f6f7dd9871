// A resolved model: which provider serves it, under which upstream name, at which price. Router,
// admission and metering all speak of targets, so the type lives below all of them.
import type { Provider } from '../core/types.js';
import type { ModelEntry } from './catalog.js';

export interface Target {
  /** The id the client asked for, echoed in answers. */
  model: string;
  provider: Provider;
  /** The model name sent upstream. */
  upstreamModel: string;
  /** Catalog entry; undefined for models the catalog does not know (passed through, recorded unpriced). */
  entry: ModelEntry | undefined;
}
