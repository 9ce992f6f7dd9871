// Reads the binary `application/vnd.amazon.eventstream` framing of ConverseStream into messages, as they
// arrive. Each frame starts with its total length (4 bytes, big-endian); the codec checks both CRCs.
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

export interface EventStreamMessage {
  /** `:message-type`: `event`, `exception` or `error`. */
  messageType: string;
  /** `:event-type`, `:exception-type` or `:error-code`, by message type. */
  name: string;
  /** The JSON payload (`{}` when empty); `:error-message` for `error` messages. */
  payload: unknown;
}

/** Thrown when a frame is truncated, fails its CRC, or its payload is not JSON. */
export class EventStreamFormatError extends Error {
  override name = 'EventStreamFormatError';
}

// Shared by every stream: only `decode` is used, and it keeps no state (the buffer is `feed`'s).
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function header(headers: Record<string, { type: string; value: unknown }>, name: string): string {
  const value = headers[name]?.value;
  return typeof value === 'string' ? value : '';
}

function toMessage(frame: Uint8Array): EventStreamMessage {
  let decoded: ReturnType<typeof codec.decode>;
  try {
    decoded = codec.decode(frame);
  } catch (error) {
    throw new EventStreamFormatError(`bad event stream frame (${String(error)})`);
  }
  const { headers, body } = decoded;
  const messageType = header(headers, ':message-type');
  if (messageType === 'error') {
    return { messageType, name: header(headers, ':error-code'), payload: header(headers, ':error-message') };
  }
  const name = header(headers, messageType === 'exception' ? ':exception-type' : ':event-type');
  const text = toUtf8(body);
  let payload: unknown = {};
  if (text !== '') {
    try {
      payload = JSON.parse(text);
    } catch {
      throw new EventStreamFormatError(`the payload of a '${name}' event is not JSON`);
    }
  }
  return { messageType, name, payload };
}

/** The messages of the stream, those of one network read together (never an empty batch). */
export async function* readEventStream(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<EventStreamMessage[]> {
  let buffer = new Uint8Array(0);
  for await (const bytes of body) {
    const next = new Uint8Array(buffer.length + bytes.length);
    next.set(buffer);
    next.set(bytes, buffer.length);
    buffer = next;
    const messages: EventStreamMessage[] = [];
    while (buffer.length >= 4) {
      const length = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, false);
      if (length < 16) throw new EventStreamFormatError(`bad event stream frame length ${length}`);
      if (buffer.length < length) break;
      const frame = buffer.subarray(0, length);
      buffer = buffer.subarray(length);
      messages.push(toMessage(frame));
    }
    if (messages.length > 0) yield messages;
  }
  if (buffer.length > 0) throw new EventStreamFormatError('the event stream ended inside a frame');
}
