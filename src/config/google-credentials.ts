// Google's Application Default Credentials, found in the order google-auth-library (GoogleAuth
// getApplicationDefault) looks for them, read once at start:
//   1. GOOGLE_APPLICATION_CREDENTIALS_JSON (tokgate's own: the key itself, for platforms without files);
//   2. GOOGLE_APPLICATION_CREDENTIALS, a file path (must exist once set);
//   3. gcloud's well-known file, $HOME/.config/gcloud/application_default_credentials.json
//      (%APPDATA%\gcloud\... on Windows), when it exists;
//   4. the GCE/GKE metadata server (unless METADATA_SERVER_DETECTION=none).
// A file is a `service_account` key (JWT bearer grant), `authorized_user` credentials (refresh-token grant)
// or `external_account` credentials (workload identity federation) whose subject token comes from a file or
// a URL (STS token exchange, then service-account impersonation when the file names it). AWS-, executable-
// and certificate-sourced federation, and `impersonated_service_account` files, stop the start with a
// clear error.
// What is found becomes the provider's options (strings), which providers/vertex/credentials.ts turns into a
// token source.
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/config-error.js';
import { DEFAULT_METADATA_HOST, GOOGLE_TOKEN_URI } from './google-endpoints.js';

export interface FoundCredentials {
  /** Where they came from, for messages: `GOOGLE_APPLICATION_CREDENTIALS (/etc/key.json)`. */
  source: string;
  /** The provider options that describe them (`auth`: service_account, authorized_user, external_account, metadata). */
  options: Record<string, string>;
  /** The project a service-account key names (`project_id`). */
  projectId: string | undefined;
}

type Env = NodeJS.ProcessEnv;

/** Types Google's libraries know that tokgate cannot use, and what they are. */
const UNSUPPORTED: Record<string, string> = {
  external_account_authorized_user: 'workforce identity federation',
  impersonated_service_account: 'service-account impersonation',
};

/** The gcloud CLI's well-known file, where google-auth-library looks for it. */
export function wellKnownFile(env: Env, platform: NodeJS.Platform = process.platform): string | undefined {
  const root = platform === 'win32' ? env.APPDATA : env.HOME && join(env.HOME, '.config');
  return root ? join(root, 'gcloud', 'application_default_credentials.json') : undefined;
}

export function findApplicationDefaultCredentials(env: Env): FoundCredentials {
  if (env.GOOGLE_APPLICATION_CREDENTIALS_JSON) {
    return fromJson('GOOGLE_APPLICATION_CREDENTIALS_JSON', env.GOOGLE_APPLICATION_CREDENTIALS_JSON, env);
  }
  const path = env.GOOGLE_APPLICATION_CREDENTIALS || env.google_application_credentials;
  if (path) return fromFile(`GOOGLE_APPLICATION_CREDENTIALS (${path})`, path, env);
  const wellKnown = wellKnownFile(env);
  if (wellKnown && existsSync(wellKnown)) return fromFile(`gcloud's ${wellKnown}`, wellKnown, env);
  if (env.METADATA_SERVER_DETECTION?.trim().toLowerCase() === 'none') {
    throw new ConfigError(
      'Vertex AI has no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default login`, or unset METADATA_SERVER_DETECTION=none to use the metadata server',
    );
  }
  const host = env.GCE_METADATA_IP || env.GCE_METADATA_HOST || DEFAULT_METADATA_HOST;
  return {
    source: `the metadata server (${host})`,
    options: { auth: 'metadata', metadata_host: host, ...quotaProject(env, undefined) },
    projectId: undefined,
  };
}

function fromFile(source: string, path: string, env: Env): FoundCredentials {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${source} cannot be read: ${(error as Error).message}`);
  }
  return fromJson(source, text, env);
}

function fromJson(source: string, text: string, env: Env): FoundCredentials {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`${source} is not a readable JSON key: ${(error as Error).message}`);
  }
  const field = (name: string) => (typeof json?.[name] === 'string' ? (json[name] as string) : '');
  const type = field('type');
  if (type === 'service_account') return serviceAccount(source, field, env);
  if (type === 'authorized_user') return authorizedUser(source, field, env);
  if (type === 'external_account') return externalAccount(source, json, env);
  const what = UNSUPPORTED[type];
  if (what) {
    throw new ConfigError(
      `${source} is ${type} credentials (${what}), which tokgate does not support; use a service-account key, gcloud user credentials or the metadata server`,
    );
  }
  throw new ConfigError(
    `${source} must be a service-account key (type service_account) or gcloud user credentials (type authorized_user)`,
  );
}

type Field = (name: string) => string;

function serviceAccount(source: string, field: Field, env: Env): FoundCredentials {
  if (!field('client_email') || !field('private_key')) {
    throw new ConfigError(
      `${source} must be a service-account key (type service_account, client_email, private_key)`,
    );
  }
  try {
    createPrivateKey(field('private_key'));
  } catch {
    throw new ConfigError(`${source}: private_key is not a PEM private key`);
  }
  return {
    source,
    options: {
      auth: 'service_account',
      client_email: field('client_email'),
      private_key: field('private_key'),
      token_uri: field('token_uri') || GOOGLE_TOKEN_URI,
      ...(field('private_key_id') ? { private_key_id: field('private_key_id') } : {}),
      ...quotaProject(env, field('quota_project_id')),
    },
    projectId: field('project_id') || undefined,
  };
}

function authorizedUser(source: string, field: Field, env: Env): FoundCredentials {
  const missing = ['client_id', 'client_secret', 'refresh_token'].filter((name) => !field(name));
  if (missing.length > 0) {
    throw new ConfigError(`${source}: authorized_user credentials without ${missing.join(', ')}`);
  }
  return {
    source,
    options: {
      auth: 'authorized_user',
      client_id: field('client_id'),
      client_secret: field('client_secret'),
      refresh_token: field('refresh_token'),
      // gcloud writes none (Google's endpoint is meant); Python's google-auth honours one when present.
      token_uri: field('token_uri') || GOOGLE_TOKEN_URI,
      ...quotaProject(env, field('quota_project_id')),
    },
    projectId: undefined,
  };
}

/** google-auth-library's STS endpoint, when the file names none. */
const STS_TOKEN_URL = 'https://sts.googleapis.com/v1/token';

/** Workload identity federation from a file- or URL-sourced subject token (google-auth's IdentityPoolClient). */
function externalAccount(source: string, json: Record<string, unknown>, env: Env): FoundCredentials {
  const refuse = (why: string) => new ConfigError(`${source}: external_account credentials ${why}`);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const audience = text(json.audience);
  const subjectTokenType = text(json.subject_token_type);
  if (!audience || !subjectTokenType) throw refuse('without audience or subject_token_type');
  const credential = (json.credential_source ?? {}) as Record<string, unknown>;
  if (credential.environment_id !== undefined) throw refuse('sourced from AWS are not supported by tokgate');
  if (credential.executable !== undefined)
    throw refuse('sourced from an executable are not supported by tokgate');
  if (credential.certificate !== undefined)
    throw refuse('sourced from a certificate are not supported by tokgate');
  const file = text(credential.file);
  const url = text(credential.url);
  if (!file === !url) throw refuse('need a credential_source with a file or a url');
  const format = (credential.format ?? {}) as Record<string, unknown>;
  const formatType = format.type ?? 'text';
  if (formatType !== 'text' && formatType !== 'json')
    throw refuse(`with an unknown format type '${String(formatType)}'`);
  if (formatType === 'json' && !text(format.subject_token_field_name)) {
    throw refuse('in the json format need subject_token_field_name');
  }
  const impersonation = json.service_account_impersonation as
    | { token_lifetime_seconds?: unknown }
    | undefined;
  const lifetime = impersonation?.token_lifetime_seconds;
  const account = {
    audience,
    subject_token_type: subjectTokenType,
    token_url: text(json.token_url) ?? STS_TOKEN_URL,
    credential_source: {
      ...(file ? { file } : { url, ...(credential.headers ? { headers: credential.headers } : {}) }),
      format: {
        type: formatType,
        ...(formatType === 'json' ? { subject_token_field_name: format.subject_token_field_name } : {}),
      },
    },
    ...(text(json.service_account_impersonation_url)
      ? { service_account_impersonation_url: json.service_account_impersonation_url }
      : {}),
    ...(typeof lifetime === 'number'
      ? { service_account_impersonation: { token_lifetime_seconds: lifetime } }
      : {}),
    ...(text(json.client_id) ? { client_id: json.client_id } : {}),
    ...(text(json.workforce_pool_user_project)
      ? { workforce_pool_user_project: json.workforce_pool_user_project }
      : {}),
  };
  return {
    source,
    options: {
      auth: 'external_account',
      external_account: JSON.stringify(account),
      // Apart, under a name the log redaction treats as a secret (config/secrets.ts).
      ...(text(json.client_id) ? { client_secret: text(json.client_secret) ?? '' } : {}),
      ...quotaProject(env, text(json.quota_project_id)),
    },
    projectId: undefined,
  };
}

/** The project billed for the calls (`x-goog-user-project`): GOOGLE_CLOUD_QUOTA_PROJECT over the file's. */
function quotaProject(env: Env, fromFile: string | undefined): Record<string, string> {
  const quota = env.GOOGLE_CLOUD_QUOTA_PROJECT || fromFile;
  return quota ? { quota_project: quota } : {};
}
