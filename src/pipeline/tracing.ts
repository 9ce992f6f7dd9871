// Tracing, seen from the pipeline: a span per request and one per upstream attempt, following
// OpenTelemetry's GenAI semantic conventions. Off by default. When on (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set), `loadTracing` imports the OpenTelemetry SDK
// (pipeline/otel-tracing.ts); when off nothing of it is loaded, no hook is installed and every call site
// is a property check on an undefined field.
import type { TracingSettings } from '../config/observability.js';
import type { Usage } from '../core/types.js';
import type { AttemptTracer } from '../router/executor.js';

/** What the HTTP layer knows of a request as it arrives. */
export interface ArrivingRequest {
  /** The gateway's request id (`x-request-id`, the ledger's key). */
  id: string;
  method: string;
  /** The route's pattern (`/v1/chat/completions`), when one matched. */
  route: string | undefined;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  clientAddress: string;
  door: string | undefined;
  /** What the door performs (gen_ai.operation.name), for a request refused before it was settled. */
  operation: string;
}

/** What the pipeline learnt of a request by its settle stage. */
export interface SettledRequest {
  /** `chat`, `embeddings`, `rerank` (gen_ai.operation.name). */
  operation: string;
  request: {
    model: string;
    stream?: boolean | null | undefined;
    max_tokens?: number | null | undefined;
    max_completion_tokens?: number | null | undefined;
    temperature?: number | null | undefined;
    top_p?: number | null | undefined;
    n?: number | null | undefined;
    messages?: unknown;
  };
  keyId: string | null;
  accountId: string;
  /** The provider id that served (or failed last); `cache` for a cache hit. */
  provider: string;
  upstreamModel: string | null;
  usage: Usage | undefined;
  costMicros: number | undefined;
  ttftMs: number | null;
  finishReasons: readonly string[];
  /** The answer's text per choice, for the content opt-in. */
  output: readonly string[] | undefined;
  errorCode: string | null;
  attempts: number;
}

/** One request's span. */
export interface RequestTrace {
  /** Starts the attempts' child spans (RunOptions.tracer). */
  readonly attempts: AttemptTracer;
  /** Whether prompts and answers are recorded (the pipeline then keeps the answer's text). */
  readonly capturesContent: boolean;
  settled(facts: SettledRequest): void;
  /**
   * Ends the span with the HTTP outcome (499 when the client left). `model`: the one the body named, which
   * names a span the pipeline never settled (a refusal).
   */
  end(status: number, errorCode: string | null, model: string | undefined): void;
}

export interface Tracing {
  begin(request: ArrivingRequest): RequestTrace;
  /** Exports the spans still buffered and stops. */
  close(): Promise<void>;
}

/** The providers as spans name them: their id, wire format and base URL (server.address). */
export interface TracedProvider {
  id: string;
  format: string;
  baseUrl: string;
}

/** The SDK-backed tracing when settings are given; undefined (nothing loaded) when tracing is off. */
export async function loadTracing(
  settings: TracingSettings | undefined,
  providers: readonly TracedProvider[],
): Promise<Tracing | undefined> {
  if (!settings) return undefined;
  const { createOtelTracing } = await import('./otel-tracing.js');
  return createOtelTracing(settings, providers);
}
