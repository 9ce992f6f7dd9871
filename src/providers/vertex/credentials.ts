// The provider's side of Google credentials: its options (config/google-credentials.ts, or a YAML
// `providers.vertex.options` block) → a cached access token source and the headers every call carries;
// and the project, from the metadata server when nothing else named it.
import type { ProviderSettings } from '../../config/config.js';
import { DEFAULT_METADATA_HOST, GOOGLE_TOKEN_URI } from '../../config/google-endpoints.js';
import { ConfigError } from '../../core/config-error.js';
import type { HttpClient } from '../http.js';
import { AccessTokenSource, type TokenGrant } from './access-token.js';
import { authorizedUserGrant } from './authorized-user-token.js';
import { type ExternalAccount, externalAccountGrant } from './external-account-token.js';
import { metadataGrant, metadataProjectId } from './metadata-server.js';
import { serviceAccountGrant } from './service-account-token.js';

/** How long the start waits for the metadata server to name the project. */
const PROJECT_LOOKUP_TIMEOUT_MS = 5_000;

function grantOf({ id, options }: ProviderSettings, http: HttpClient): TokenGrant {
  const tokenUri = options.token_uri || GOOGLE_TOKEN_URI;
  // YAML settings written before ADC name a service account's fields and no `auth`.
  const auth = options.auth ?? (options.client_email ? 'service_account' : 'metadata');
  switch (auth) {
    case 'service_account':
      return serviceAccountGrant(
        id,
        {
          clientEmail: options.client_email ?? '',
          privateKey: options.private_key ?? '',
          tokenUri,
          ...(options.private_key_id ? { privateKeyId: options.private_key_id } : {}),
        },
        http,
      );
    case 'authorized_user':
      return authorizedUserGrant(
        id,
        {
          clientId: options.client_id ?? '',
          clientSecret: options.client_secret ?? '',
          refreshToken: options.refresh_token ?? '',
          tokenUri,
        },
        http,
      );
    case 'external_account':
      return externalAccountGrant(
        id,
        {
          ...(JSON.parse(options.external_account ?? '{}') as ExternalAccount),
          ...(options.client_secret === undefined ? {} : { client_secret: options.client_secret }),
        },
        http,
      );
    case 'metadata':
      return metadataGrant(id, options.metadata_host || DEFAULT_METADATA_HOST, http);
    default:
      throw new ConfigError(
        `providers.${id}.options.auth must be service_account, authorized_user, external_account or metadata (got '${auth}')`,
      );
  }
}

/** The headers that authorise a call: the current access token, and the quota project when one is set. */
export function googleAuthHeaders(
  settings: ProviderSettings,
  http: HttpClient,
): () => Promise<Record<string, string>> {
  const tokens = new AccessTokenSource(grantOf(settings, http));
  const quota = settings.options.quota_project;
  return async () => ({
    authorization: `Bearer ${await tokens.get()}`,
    ...(quota ? { 'x-goog-user-project': quota } : {}),
  });
}

/** The configured project, or the metadata server's (credentials from it, and no project set anywhere). */
export async function googleProject(settings: ProviderSettings, http: HttpClient): Promise<string> {
  const { id, options } = settings;
  if (options.project) return options.project;
  const host = options.metadata_host || DEFAULT_METADATA_HOST;
  try {
    const project = await metadataProjectId(id, host, http, PROJECT_LOOKUP_TIMEOUT_MS);
    if (project) return project;
    throw new Error('it answered an empty project id');
  } catch (error) {
    throw new ConfigError(
      `Vertex AI: GOOGLE_VERTEX_PROJECT is not set and the metadata server (${host}) did not name the project (${(error as Error).message}); set GOOGLE_VERTEX_PROJECT`,
    );
  }
}
