// Maps provider ids to Providers, built once from configuration. Each wire format has one factory.
import type { ProviderSettings } from '../config/config.js';
import type { Provider } from '../core/types.js';
import { createAnthropicProvider } from './anthropic/anthropic-provider.js';
import { createAzureProvider } from './azure/azure-provider.js';
import { createBedrockProvider } from './bedrock/bedrock-provider.js';
import { createCohereProvider } from './cohere/cohere-provider.js';
import { createGoogleProvider } from './google/google-provider.js';
import { createOpenAIProvider } from './openai/openai-provider.js';

const factories: Record<string, (settings: ProviderSettings) => Provider> = {
  openai: createOpenAIProvider,
  anthropic: createAnthropicProvider,
  google: createGoogleProvider,
  azure: createAzureProvider,
  bedrock: createBedrockProvider,
  cohere: createCohereProvider,
};

export function createProviders(settings: readonly ProviderSettings[]): Map<string, Provider> {
  const providers = new Map<string, Provider>();
  for (const entry of settings) {
    const factory = factories[entry.format];
    if (!factory) throw new Error(`Provider '${entry.id}': unknown format '${entry.format}'`);
    providers.set(entry.id, factory(entry));
  }
  return providers;
}
