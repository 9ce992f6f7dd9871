// OpenAI messages to Gemini `contents` + `systemInstruction`. Gemini knows two roles (user, model): system and
// developer messages become the system instruction, tool results become user turns of functionResponse parts
// (named through the assistant tool calls they answer), and consecutive turns of one role are merged.
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage, ContentPart } from '../../core/types.js';
import type { GoogleContent, GooglePart } from './google-api.js';

/**
 * Google's documented stand-in for a thought signature the gateway does not have: Gemini 3 refuses function
 * calls in the current turn without one, and OpenAI clients cannot hand the real one back.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

export interface ConvertedContents {
  contents: GoogleContent[];
  systemInstruction?: GoogleContent;
}

export interface ContentOptions {
  /** Attach SKIP_THOUGHT_SIGNATURE to the first function call of each assistant turn (Gemini 3 and later). */
  signFunctionCalls: boolean;
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' };

/** `data:<mime>;base64,<data>` → inlineData; undefined for any other URL. */
function dataUrl(url: string): GooglePart | undefined {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { inlineData: { mimeType: match[1], data: match[2] } };
}

/** Guesses an image URL's type from its extension; Gemini needs one, and JPEG is the common case. */
function guessMimeType(url: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  return IMAGE_TYPES[extension] ?? 'image/jpeg';
}

function convertPart(part: ContentPart, warnings: Set<string>): GooglePart | undefined {
  if (part.type === 'text') {
    const text = (part as { text: string }).text;
    return text === '' ? undefined : { text };
  }
  if (part.type === 'image_url') {
    const image = (part as { image_url: { url: string; detail?: string } }).image_url;
    if (image.detail !== undefined && image.detail !== 'auto') {
      warnings.add('image_url.detail is not supported by Gemini and was ignored');
    }
    const inline = dataUrl(image.url);
    if (inline) return inline;
    if (/^(https?|gs):\/\//i.test(image.url)) {
      // Gemini fetches http(s) URLs itself (and takes gs:// and Files API URIs).
      return { fileData: { mimeType: guessMimeType(image.url), fileUri: image.url } };
    }
    warnings.add('an image_url that is neither a data: URL nor an http(s) URL was dropped');
    return undefined;
  }
  if (part.type === 'input_audio' && isObject(part.input_audio)) {
    const { data, format } = part.input_audio;
    const mimeType = typeof format === 'string' ? AUDIO_TYPES[format] : undefined;
    if (typeof data === 'string' && mimeType) return { inlineData: { mimeType, data } };
  }
  if (part.type === 'file' && isObject(part.file) && typeof part.file.file_data === 'string') {
    const inline = dataUrl(part.file.file_data);
    if (inline) return inline;
  }
  warnings.add(`content parts of type '${part.type}' are not supported by Gemini and were dropped`);
  return undefined;
}

function convertContent(content: ChatMessage['content'], warnings: Set<string>): GooglePart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part) => convertPart(part, warnings) ?? []);
}

/** Text of a tool result (a string, or text parts). */
function plainText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part.type === 'text' ? (part as { text: string }).text : '')).join('');
}

/** Gemini wants an object: a JSON object result goes as is, anything else under `output` (as Google advises). */
function toolResponse(content: ChatMessage['content']): Record<string, unknown> {
  const text = plainText(content);
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : { output: parsed };
  } catch {
    return { output: text };
  }
}

function parseArguments(raw: string, warnings: Set<string>): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(raw === '' ? '{}' : raw);
    if (isObject(parsed)) return parsed;
  } catch {
    // fall through
  }
  warnings.add('tool call arguments that are not a JSON object were sent to Gemini as {}');
  return {};
}

export function convertToGoogleContents(
  messages: readonly ChatMessage[],
  warnings: string[],
  options: ContentOptions,
): ConvertedContents {
  const notes = new Set<string>();
  const contents: GoogleContent[] = [];
  const system: GooglePart[] = [];
  // tool_call_id → function name, from the assistant turns seen so far.
  const callNames = new Map<string, string>();

  const push = (role: 'user' | 'model', parts: GooglePart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((message, index) => {
    if (message.name !== undefined) notes.add('message names are not supported by Gemini and were dropped');
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const part of convertContent(message.content, notes)) {
          if (part.text !== undefined) system.push(part);
          else notes.add('non-text parts of system messages were dropped (Gemini takes text only there)');
        }
        return;
      case 'user':
        push('user', convertContent(message.content, notes));
        return;
      case 'assistant': {
        const parts = convertContent(message.content, notes);
        let first = true;
        for (const call of message.tool_calls ?? []) {
          callNames.set(call.id, call.function.name);
          const part: GooglePart = {
            functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, notes) },
          };
          if (first && options.signFunctionCalls) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
          first = false;
          parts.push(part);
        }
        push('model', parts);
        return;
      }
      case 'tool': {
        const id = message.tool_call_id ?? '';
        const name = callNames.get(id);
        if (!name) {
          throw invalidRequest(
            `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (no tool call has the id '${id}').`,
            `messages[${index}].tool_call_id`,
          );
        }
        push('user', [{ functionResponse: { name, response: toolResponse(message.content) } }]);
        return;
      }
    }
  });

  warnings.push(...notes);
  if (contents.length === 0) {
    // Gemini requires contents; a conversation of system messages alone is sent as the user's turn.
    return { contents: system.length > 0 ? [{ role: 'user', parts: system }] : [] };
  }
  return system.length > 0 ? { contents, systemInstruction: { parts: system } } : { contents };
}
