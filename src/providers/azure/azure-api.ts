// Azure OpenAI: the OpenAI wire format at deployment URLs, with Azure's content-filter annotations
// (`prompt_filter_results`, per-choice `content_filter_results`) added. Those pass through untouched; the
// one shape that breaks the canonical stream is the prompt-filter chunk Azure sends first (`id: ''`,
// `created: 0`, `choices: []`), which the provider folds into the next chunk.
import type { ChatChunk } from '../../core/types.js';

/** The GA version tokgate defaults to (config.ts uses the same default for AZURE_OPENAI_API_VERSION). */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

/** `POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version={version}` */
export function deploymentUrl(
  endpoint: string,
  deployment: string,
  apiVersion: string,
  operation = 'chat/completions',
): URL {
  const url = new URL(`${endpoint}/openai/deployments/${encodeURIComponent(deployment)}/${operation}`);
  url.searchParams.set('api-version', apiVersion);
  return url;
}

/** Azure's first stream chunk: only the prompt's content-filter results, no choices and no id. */
export function isPromptFilterChunk(chunk: ChatChunk): boolean {
  return chunk.choices.length === 0 && chunk.prompt_filter_results !== undefined && !chunk.usage;
}
