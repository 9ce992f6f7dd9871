// Google Vertex AI: Gemini models (publishers/google, generateContent) and Anthropic's Claude models
// (publishers/anthropic, rawPredict) under one project and location, authorised by a service account's
// OAuth2 access token. The wire formats are Gemini's and Anthropic's own, so both are the google/ and
// anthropic/ providers' translations, pointed at Vertex's paths: `vertex/gemini-2.5-pro`,
// `vertex/claude-sonnet-4-5@20250929`. Images too, as the google/ provider makes them: Imagen's `:predict`
// (`vertex/imagen-4.0-generate-001`) and Gemini's image models (`vertex/gemini-2.5-flash-image`).
// Credentials are Google's Application Default Credentials (credentials.ts); the project may come from the
// metadata server, asked once while the gateway starts.
import type { ProviderSettings } from '../../config/config.js';
import type { Imager } from '../../core/images.js';
import type { Provider } from '../../core/types.js';
import { createAnthropicProvider } from '../anthropic/anthropic-provider.js';
import { createGoogleProvider } from '../google/google-provider.js';
import type { HttpClient } from '../http.js';
import { googleAuthHeaders, googleProject } from './credentials.js';

/** The body version Anthropic's models on Vertex take, in place of the `anthropic-version` header. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/** A model id segment for a URL path: `@` (Vertex's version separator) stays as it is. */
const pathSegment = (value: string) =>
  value
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%40/g, '@'))
    .join('/');

const isAnthropicModel = (model: string) => model.startsWith('claude-');

export async function createVertexProvider(
  settings: ProviderSettings,
  http: HttpClient,
): Promise<Provider & Imager> {
  const { id, options } = settings;
  const project = await googleProject(settings, http);
  const location = options.location ?? 'us-central1';
  const authHeaders = googleAuthHeaders(settings, http);
  // Every call carries the current access token; the translations underneath never see the credential.
  const bearer = async (headers: Record<string, string>) => ({ ...headers, ...(await authHeaders()) });
  const authorized: HttpClient = {
    request: async (provider, url, headers, body, signal) =>
      http.request(provider, url, await bearer(headers), body, signal),
    requestWhole: async (provider, url, headers, body, signal) =>
      http.requestWhole(provider, url, await bearer(headers), body, signal),
    get: async (provider, url, headers, signal) => http.get(provider, url, await bearer(headers), signal),
    put: async (provider, url, headers, body, signal) =>
      http.put(provider, url, await bearer(headers), body, signal),
    close: () => http.close(),
  };

  const publishers = `${settings.baseUrl}/v1/projects/${pathSegment(project)}/locations/${pathSegment(location)}/publishers`;
  const keyless = { ...settings, apiKey: undefined };

  const gemini = createGoogleProvider(
    keyless,
    authorized,
    (model, stream) =>
      new URL(
        `${publishers}/google/models/${pathSegment(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      ),
    (model) => new URL(`${publishers}/google/models/${pathSegment(model)}:predict`),
  );
  const claude = createAnthropicProvider(keyless, authorized, {
    url: (model, stream) =>
      new URL(
        `${publishers}/anthropic/models/${pathSegment(model)}:${stream ? 'streamRawPredict' : 'rawPredict'}`,
      ),
    // The model is in the URL; the version in the body.
    body: ({ model: _model, ...rest }) => ({ ...rest, anthropic_version: VERTEX_ANTHROPIC_VERSION }),
  });
  const serving = (model: string) => (isAnthropicModel(model) ? claude : gemini);

  return {
    id,
    format: 'vertex',
    // Claude takes one choice per call: the router fans `n` out (for Gemini too, which costs nothing more).
    supports: { n: false, stop: true },
    // Claude on Vertex takes the Messages API as sent (in Vertex's body shape), as Anthropic does.
    speaks: (protocol, model) => isAnthropicModel(model) && claude.speaks!(protocol, model),
    complete: (call) => serving(call.request.model).complete(call),
    stream: (call) => serving(call.request.model).stream(call),
    image: (call) => gemini.image(call),
    imageOperations: gemini.imageOperations,
  };
}
