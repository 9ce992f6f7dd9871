// Azure OpenAI: OpenAI's wire format at per-deployment URLs with an `api-key` header, so it is the OpenAI
// provider with another address (`OpenAIWire`). What is Azure's own: the parameter table, the developer-role
// fallback for older API versions, and folding the prompt-filter chunk into the canonical stream.
import type { ProviderSettings } from '../../config/config.js';
import type { Speaker, Transcriber } from '../../core/audio.js';
import type { Embedder } from '../../core/embeddings.js';
import type { Imager } from '../../core/images.js';
import { isObject } from '../../core/is-object.js';
import type { ChatChunk, ChatResponse, Provider, UpstreamCall } from '../../core/types.js';
import type { HttpClient } from '../http.js';
import { createOpenAIProvider } from '../openai/openai-provider.js';
import { applyParameterTable } from '../parameter-rules.js';
import { DEFAULT_AZURE_API_VERSION, deploymentUrl, isPromptFilterChunk } from './azure-api.js';
import { convertToAzureMessages } from './convert-to-azure-messages.js';
import { mapAzureFinishReason } from './map-azure-finish-reason.js';
import { AZURE_PARAMETERS } from './parameters.js';

export function createAzureProvider(
  settings: ProviderSettings,
  http: HttpClient,
): Provider & Embedder & Speaker & Transcriber & Partial<Imager> {
  const apiVersion = settings.options.api_version || DEFAULT_AZURE_API_VERSION;
  // Azure's embeddings are OpenAI's: base64 made upstream, token arrays taken.
  const retrieval = { base64: true, tokenInput: true, ...settings.quirks.retrieval };
  // Azure's Responses API is on its v1 surface: no deployment in the path, the deployment as `model`.
  const quirks = { ...settings.quirks, retrieval, responses: true };
  const openai = createOpenAIProvider({ ...settings, quirks }, http, {
    format: 'azure',
    responsesUrl: new URL(`${settings.baseUrl}/openai/v1/responses`),
    url: (request) => deploymentUrl(settings.baseUrl, request.model, apiVersion),
    authHeaders: (apiKey) => ({ 'api-key': apiKey }),
    // `POST {endpoint}/openai/deployments/{deployment}/embeddings?api-version=` (Azure has no rerank).
    retrievalUrl: (_operation, model) => deploymentUrl(settings.baseUrl, model, apiVersion, 'embeddings'),
    // `POST {endpoint}/openai/deployments/{deployment}/audio/speech|transcriptions|translations?api-version=`.
    audioUrl: (operation, model) => deploymentUrl(settings.baseUrl, model, apiVersion, operation),
    // `POST {endpoint}/openai/deployments/{deployment}/images/generations|edits?api-version=` (gpt-image-1
    // needs a 2025-04-01-preview or later version: `options.images_api_version`); Azure has no variations.
    imagesUrl: (operation, model) =>
      deploymentUrl(
        settings.baseUrl,
        model,
        settings.options.images_api_version || apiVersion,
        `images/${operation}`,
      ),
    imageOperations: ['generations', 'edits'],
    prepare: (request, warnings) => {
      applyParameterTable(settings.id, request, AZURE_PARAMETERS, warnings);
      return { ...request, messages: convertToAzureMessages(request.messages, apiVersion) };
    },
  });

  async function complete(call: UpstreamCall): Promise<ChatResponse> {
    const response = await openai.complete(call);
    for (const choice of response.choices) choice.finish_reason = mapAzureFinishReason(choice.finish_reason);
    return response;
  }

  async function* stream(call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
    let promptFilterResults: unknown;
    for await (const chunks of openai.stream(call)) {
      const batch: ChatChunk[] = [];
      for (const chunk of chunks) {
        if (isPromptFilterChunk(chunk)) {
          // Held for the first real chunk, so the stream starts with the role chunk and keeps one id.
          promptFilterResults = chunk.prompt_filter_results;
          continue;
        }
        if (promptFilterResults !== undefined) {
          chunk.prompt_filter_results = promptFilterResults;
          promptFilterResults = undefined;
        }
        for (const choice of chunk.choices) {
          // Asynchronous-filter chunks carry only content_filter_results, without a delta.
          if (!isObject(choice.delta)) choice.delta = {};
          choice.finish_reason = mapAzureFinishReason(choice.finish_reason);
        }
        batch.push(chunk);
      }
      if (batch.length > 0) yield batch;
    }
  }

  return {
    id: settings.id,
    format: 'azure',
    supports: openai.supports ?? {},
    speaks: openai.speaks!,
    complete,
    stream,
    embed: openai.embed,
    embedBatchLimit: openai.embedBatchLimit,
    speak: openai.speak,
    transcribe: openai.transcribe,
    translates: true,
    ...(openai.image ? { image: openai.image, imageOperations: openai.imageOperations! } : {}),
  };
}
