// A harness for runs of text deltas taken whole from a read (providers/sse.ts translateReads with a reader's
// `run`) against the event-by-event relay they stand in for (readSseEvents, translateBatches, the reader's
// `take`): the same upstream bytes, cut into reads every which way, must give the client the same bytes
// through the door's encoder (an in-band error included), the door the same stored answer, and the pipeline
// the same figures (generated text, usage, finish reasons, commit point, batches with content, the end or
// the error).
import assert from 'node:assert/strict';
import { gatewayError } from '../../src/core/errors.js';
import { textRun } from '../../src/core/relayed-chunk.js';
import type { ChatChunk } from '../../src/core/types.js';
import type { EventSink, StreamEncoder } from '../../src/pipeline/front-door.js';
import { StreamAnswer } from '../../src/pipeline/stream-answer.js';
import { readSseEvents, type TakenRun, translateBatches, translateReads } from '../../src/providers/sse.js';
import { hasContent } from '../../src/router/executor.js';
import { cut, cutsOf } from './read-cuts.js';

/** A provider's reader of one stream's events, as its stream() drives it. */
export interface EventReader {
  take(data: string, name: string | undefined, out: ChatChunk[]): 'end' | undefined;
  run(text: string, at: number): TakenRun | undefined;
}

export interface RelayCase {
  reader(): EventReader;
  /** The door's encoder; `stored` gets what it keeps of a finished answer, if anything. */
  encoder(stored: unknown[]): StreamEncoder;
  /** What the provider's stream() throws when the events run out before the stream's end. */
  endedEarly: string;
}

export interface Outcome {
  client: string;
  stored: unknown[];
  generated: string[];
  reported: unknown;
  finishReasons: string[];
  /** Per batch (network read): whether it has content (the executor's commit test). */
  contentful: boolean[];
  ended: boolean | undefined;
  error: string | undefined;
  /** Chunks that stood for a run (the runs path only). */
  runs: number;
}

/** The reads through one path, then the door's encoder as complete-stream drives it. */
export async function through(
  relay: RelayCase,
  path: 'events' | 'runs',
  reads: Uint8Array[],
): Promise<Outcome> {
  async function* body() {
    for (const read of reads) yield read;
  }
  const reader = relay.reader();
  const take = (sse: { data: string; event?: string | undefined }, out: ChatChunk[]) =>
    reader.take(sse.data, sse.event, out);
  const batches =
    path === 'runs'
      ? translateReads(body(), take, (text, at) => reader.run(text, at))
      : translateBatches(readSseEvents(body()), take);
  const stored: unknown[] = [];
  const encoder = relay.encoder(stored);
  const answer = new StreamAnswer();
  let client = '';
  const sink: EventSink = {
    data: (json) => {
      client += `data: ${json}\n\n`;
    },
    event: (name, json) => {
      client += `event: ${name}\ndata: ${json}\n\n`;
    },
    raw: (text) => {
      client += text;
    },
  };
  const contentful: boolean[] = [];
  let runs = 0;
  let ended: boolean | undefined;
  let error: string | undefined;
  try {
    for (;;) {
      const next = await batches.next();
      if (next.done) {
        ended = next.value;
        if (!ended) throw new Error(relay.endedEarly);
        break;
      }
      contentful.push(next.value.some(hasContent));
      for (const chunk of next.value) {
        if (textRun(chunk)) runs++;
        if (!answer.take(chunk)) continue;
        if (!answer.committed) answer.commit(chunk);
        encoder.chunk(chunk, answer.created, sink);
      }
    }
  } catch (failure) {
    error = (failure as Error).message;
    // As complete-stream tells a failure after the 200: in-band, after the relayed events.
    encoder.error(gatewayError('upstream_error', { message: error }), sink);
  }
  if (error === undefined) {
    const completion = answer.generated.join('').length;
    const usage = answer.reported ?? {
      prompt_tokens: 1,
      completion_tokens: completion,
      total_tokens: completion + 1,
    };
    encoder.end({ ...usage, cost: 0.5 }, answer.usageChunk, answer.created, sink);
  }
  return {
    client,
    stored,
    generated: answer.generated.texts(),
    reported: answer.reported,
    finishReasons: answer.finishReasons,
    contentful,
    ended,
    error,
    runs,
  };
}

/** Both paths give the same outcome at every cut; runs were taken (at least when read whole). */
export async function assertRunsLikeEvents(
  relay: RelayCase,
  stream: string,
  label: string,
  minRuns = 1,
): Promise<void> {
  const bytes = Buffer.from(stream);
  let runs = 0;
  for (const at of cutsOf(bytes.length)) {
    const reads = cut(bytes, at);
    const expected = await through(relay, 'events', reads);
    const actual = await through(relay, 'runs', reads);
    runs += actual.runs;
    assert.equal(expected.runs, 0);
    const where = `${label}, cut at [${at.slice(0, 12).join(',')}${at.length > 12 ? ',…' : ''}]`;
    assert.equal(actual.client, expected.client, where);
    assert.deepEqual({ ...actual, runs: 0 }, expected, where);
  }
  assert.ok(runs >= minRuns, `${label}: ${runs} runs`);
}
