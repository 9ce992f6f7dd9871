// POST /v1/audio/speech (JSON in, audio relayed as it arrives) and POST /v1/audio/transcriptions and
// /v1/audio/translations (multipart in): OpenAI's Audio API, doors of the operations pipeline
// (src/pipeline/retrieval.ts with src/pipeline/audio.ts's stages). The upload is read whole into memory
// (bounded by TOKGATE_MAX_UPLOAD_BYTES) before admission: its header's duration is the worst case admission
// reserves, and each attempt (a retry, a fallback) sends it anew. Errors are in OpenAI's shape.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { headerSeconds } from '../accounting/audio-duration.js';
import type { TranscriptionRequest } from '../core/audio.js';
import { openAIErrorBody } from '../core/error-renderers.js';
import { speechStages, transcriptionStages } from '../pipeline/audio.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { type MultipartBody, type MultipartLimits, readMultipart, registerMultipart } from './multipart.js';
import { mountOperationDoor } from './retrieval.js';
import { audioFileOf, validateSpeechRequest, validateTranscriptionRequest } from './validate-audio.js';

/** What the upload reader hands the door: the form and its file's duration from its header. */
interface Upload {
  form: MultipartBody;
  seconds: number | undefined;
}

export async function registerAudioRoutes(
  app: FastifyInstance,
  deps: PipelineDeps,
  limits: MultipartLimits,
): Promise<void> {
  mountOperationDoor(
    app,
    '/v1/audio/speech',
    {
      ...speechStages,
      name: 'audio',
      parse: (input) => validateSpeechRequest(input.body),
      errorBody: openAIErrorBody,
    },
    deps,
  );

  const readUpload = async (request: FastifyRequest): Promise<Upload> => {
    const form = await readMultipart(request, limits);
    const file = form.files.find((f) => f.field === 'file');
    const seconds = file ? await headerSeconds(file.chunks, file.size, file.contentType) : undefined;
    return { form, seconds };
  };
  const uploadDoor = (task: TranscriptionRequest['task']) => ({
    ...transcriptionStages,
    name: 'audio',
    parse: (input: { body: unknown }) => {
      const { form, seconds } = input.body as Upload;
      return validateTranscriptionRequest(task, form, audioFileOf(form, seconds));
    },
    errorBody: openAIErrorBody,
  });
  // The multipart parser only in this scope: every other route reads JSON whatever the content type says.
  await app.register(async (scope) => {
    await registerMultipart(scope, limits);
    mountOperationDoor(scope, '/v1/audio/transcriptions', uploadDoor('transcription'), deps, readUpload);
    mountOperationDoor(scope, '/v1/audio/translations', uploadDoor('translation'), deps, readUpload);
  });
}
