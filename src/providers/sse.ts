// Reads a server-sent-events byte stream into events, as they arrive: all the events of one read at once,
// so a stream costs a hop through the generator per network read, not per event.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export async function* readSseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage[]> {
  let pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (pending.length > 0) {
      const events = pending;
      pending = [];
      yield events;
    }
  }
  parser.feed(`${decoder.decode()}\n\n`);
  if (pending.length > 0) yield pending;
}
