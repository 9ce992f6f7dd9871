// Models: the catalog with prices per million tokens (each with its source and date) and the providers this
// gateway has enabled. Tenants see
// the models their key may use.
import { useState } from 'preact/hooks';
import { Badge, Empty, ErrorBox, Loading, PageHeader, Panel } from '../components/ui.js';
import { DASH, int } from '../format.js';
import { useAsync } from '../hooks.js';
import { useSession } from '../session.js';
import type { CatalogModel } from '../types.js';

/** USD per million tokens: these are list prices, so a plain $x.xx reads best. */
function perMillion(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 })}`;
}

/** Where a price comes from: a link to the vendor's page, or the source's name (a price file, the config). */
function PriceSource({ model }: { model: CatalogModel }) {
  if (!model.price) return <>{DASH}</>;
  const source = model.price_source;
  return (
    <>
      {source && /^https?:\/\//.test(source) ? (
        <a href={source} target="_blank" rel="noreferrer">
          {new URL(source).hostname}
        </a>
      ) : (
        <span>{source ?? DASH}</span>
      )}
      <span class="sub">{model.price_date ?? 'no date'}</span>
      {model.price_version && <span class="sub mono">{model.price_version}</span>}
    </>
  );
}

function matches(model: CatalogModel, text: string): boolean {
  const needle = text.trim().toLowerCase();
  return !needle || `${model.id} ${model.provider} ${model.model}`.toLowerCase().includes(needle);
}

function Catalog() {
  const { api } = useSession();
  const catalog = useAsync(() => api.catalog(), [api]);
  const [query, setQuery] = useState('');
  const [enabledOnly, setEnabledOnly] = useState(true);

  const models = (catalog.data?.data ?? []).filter((m) => (!enabledOnly || m.enabled) && matches(m, query));
  const unpriced = (catalog.data?.data ?? []).filter((m) => m.enabled && m.price === null).length;

  return (
    <>
      <PageHeader title="Models" description="What clients can ask for, who serves it and what it costs." />
      {catalog.error ? (
        <ErrorBox error={catalog.error} onRetry={catalog.reload} title="Could not load the catalog" />
      ) : !catalog.data ? (
        <Loading label="Loading models…" />
      ) : (
        <>
          <Panel title="Enabled providers">
            {catalog.data.providers.length === 0 ? (
              <Empty title="No provider is enabled.">
                Set a provider's API key (for example OPENAI_API_KEY) and restart the gateway.
              </Empty>
            ) : (
              <ul class="chips">
                {catalog.data.providers.map((provider) => (
                  <li key={provider.id} class="chip">
                    <span class="strong">{provider.id}</span>
                    {provider.format !== provider.id && <span class="muted">{provider.format} format</span>}
                  </li>
                ))}
              </ul>
            )}
          </Panel>
          <Panel
            title="Catalog"
            actions={
              <div class="inline-controls">
                <label class="sr-only" for="model-search">
                  Search models
                </label>
                <input
                  id="model-search"
                  type="search"
                  placeholder="Search models"
                  value={query}
                  onInput={(event) => setQuery(event.currentTarget.value)}
                />
                <label class="check">
                  <input
                    type="checkbox"
                    checked={enabledOnly}
                    onChange={(event) => setEnabledOnly(event.currentTarget.checked)}
                  />
                  Enabled only
                </label>
              </div>
            }
          >
            {unpriced > 0 && (
              <p class="warning" role="note">
                {unpriced} enabled model{unpriced === 1 ? ' has' : 's have'} no price: their requests are
                logged with an unknown cost.
              </p>
            )}
            {models.length === 0 ? (
              <Empty title="No model matches." />
            ) : (
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Model</th>
                      <th scope="col">Provider</th>
                      <th scope="col">Kind</th>
                      <th scope="col" class="num">
                        Context
                      </th>
                      <th scope="col" class="num">
                        Input / 1M
                      </th>
                      <th scope="col" class="num">
                        Cached input / 1M
                      </th>
                      <th scope="col" class="num">
                        Output / 1M
                      </th>
                      <th scope="col">Price source</th>
                      <th scope="col">Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {models.map((model) => (
                      <tr key={model.id}>
                        <td>
                          <span class="mono strong">{model.id}</span>
                          {model.model !== model.id && <span class="sub mono">{model.model}</span>}
                        </td>
                        <td>{model.provider}</td>
                        <td>{model.kind}</td>
                        <td class="num">{model.context_window ? int(model.context_window) : DASH}</td>
                        <td class="num">
                          {model.price?.per_thousand_searches === undefined
                            ? perMillion(model.price?.input)
                            : `${perMillion(model.price.per_thousand_searches)} / 1K searches`}
                        </td>
                        <td class="num">{perMillion(model.price?.cached_input)}</td>
                        <td class="num">{perMillion(model.price?.output)}</td>
                        <td class="price-source">
                          <PriceSource model={model} />
                        </td>
                        <td>
                          {!model.enabled ? (
                            <Badge tone="neutral">disabled</Badge>
                          ) : model.price === null ? (
                            <Badge tone="warn">no price</Badge>
                          ) : (
                            <Badge tone="ok">enabled</Badge>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Panel>
        </>
      )}
    </>
  );
}

function KeyModels() {
  const { api } = useSession();
  const models = useAsync(() => api.models(), [api]);
  return (
    <>
      <PageHeader title="Models" description="The models your key may use." />
      <Panel>
        {models.error ? (
          <ErrorBox error={models.error} onRetry={models.reload} />
        ) : !models.data ? (
          <Loading label="Loading models…" />
        ) : models.data.length === 0 ? (
          <Empty title="Your key may not use any model." />
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Provider</th>
                </tr>
              </thead>
              <tbody>
                {models.data.map((model) => (
                  <tr key={model.id}>
                    <td class="mono strong">{model.id}</td>
                    <td>{model.owned_by}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </>
  );
}

export function ModelsPage() {
  const { admin } = useSession();
  return admin ? <Catalog /> : <KeyModels />;
}
