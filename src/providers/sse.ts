// Reads a server-sent-events byte stream into events, as they arrive.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export async function* readSseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    // One read may carry hundreds of events: iterate, then clear (shift() would move the rest each time).
    for (const event of pending) yield event;
    pending.length = 0;
  }
  parser.feed(`${decoder.decode()}\n\n`);
  yield* pending;
}
