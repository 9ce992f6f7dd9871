// Maps provider ids to Providers, built once from configuration. Each wire format has one factory, imported
// only when a provider of that format is configured (the AWS signing and event-stream modules, for one,
// cost memory that a gateway without Bedrock should not pay).
import type { ProviderSettings } from '../config/config.js';
import type { Provider } from '../core/types.js';
import type { HttpClient } from './http.js';

/** Most build at once; one may first ask something of the network (Vertex's project, from the metadata server). */
type Factory = (settings: ProviderSettings, http: HttpClient) => Provider | Promise<Provider>;

const factories: Record<string, () => Promise<Factory>> = {
  openai: async () => (await import('./openai/openai-provider.js')).createOpenAIProvider,
  anthropic: async () => (await import('./anthropic/anthropic-provider.js')).createAnthropicProvider,
  google: async () => (await import('./google/google-provider.js')).createGoogleProvider,
  azure: async () => (await import('./azure/azure-provider.js')).createAzureProvider,
  bedrock: async () => (await import('./bedrock/bedrock-provider.js')).createBedrockProvider,
  cohere: async () => (await import('./cohere/cohere-provider.js')).createCohereProvider,
  vertex: async () => (await import('./vertex/vertex-provider.js')).createVertexProvider,
  deepgram: async () => (await import('./deepgram/deepgram-provider.js')).createDeepgramProvider,
  elevenlabs: async () => (await import('./elevenlabs/elevenlabs-provider.js')).createElevenLabsProvider,
};

/** Every provider calls upstream through `http`, the gateway's own client (closed with the gateway). */
export async function createProviders(
  settings: readonly ProviderSettings[],
  http: HttpClient,
): Promise<Map<string, Provider>> {
  const providers = new Map<string, Provider>();
  for (const entry of settings) {
    const load = factories[entry.format];
    if (!load) throw new Error(`Provider '${entry.id}': unknown format '${entry.format}'`);
    providers.set(entry.id, await (await load())(entry, http));
  }
  return providers;
}
