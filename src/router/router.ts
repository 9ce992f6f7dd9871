// Resolves a requested model id to the provider that serves it. Model ids split on the first `/`:
// `openai/gpt-4o` → provider `openai`, upstream model `gpt-4o`; `together/meta-llama/Llama-3-8b` keeps the rest.
import { GatewayError, modelNotFound } from '../core/errors.js';
import type { ModelInfo, Provider } from '../core/types.js';
import type { ModelCatalog, ModelEntry } from './catalog.js';

export interface Target {
  /** The id the client asked for, echoed in answers. */
  model: string;
  provider: Provider;
  /** The model name sent upstream. */
  upstreamModel: string;
  /** Catalog entry; undefined for models the catalog does not know (passed through, recorded unpriced). */
  entry: ModelEntry | undefined;
}

export class Router {
  private readonly providerIds: ReadonlySet<string>;

  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    readonly catalog: ModelCatalog,
  ) {
    this.providerIds = new Set(providers.keys());
  }

  resolve(model: string): Target {
    const slash = model.indexOf('/');
    if (slash <= 0 || slash === model.length - 1) {
      throw new GatewayError(
        `The model \`${model}\` does not exist. Model ids name the provider: 'provider/model', e.g. 'openai/gpt-4o'.`,
        { status: 404, type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
      );
    }
    const provider = this.providers.get(model.slice(0, slash));
    if (!provider) throw modelNotFound(model);
    return { model, provider, upstreamModel: model.slice(slash + 1), entry: this.catalog.get(model) };
  }

  listModels(): ModelInfo[] {
    return this.catalog.list(this.providerIds);
  }

  hasProvider(id: string): boolean {
    return this.providerIds.has(id);
  }
}
