// The OpenTelemetry side of tracing (see tracing.ts), imported only when tracing is on. One SERVER span per
// request, named `{gen_ai.operation.name} {gen_ai.request.model}` once the model is known (`chat
// openai/gpt-4o`), the child of a client's `traceparent`; one CLIENT span per upstream attempt, whose
// context goes upstream as `traceparent`. Attributes follow the GenAI semantic conventions
// (gen-ai-spans.md), plus the gateway's own `tokgate.*`. The provider is this gateway's own: nothing is
// registered globally, so several gateways in one process each export their own spans.
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
} from '@opentelemetry/semantic-conventions/incubating';
import type { TracingSettings } from '../config/observability.js';
import type { AttemptKind, AttemptRecord, AttemptSpan, AttemptTracer } from '../router/executor.js';
import type { Deployment } from '../router/routes.js';
import type { ArrivingRequest, RequestTrace, SettledRequest, TracedProvider, Tracing } from './tracing.js';

/** The well-known `gen_ai.provider.name` values, by wire format, then by provider id (else the id). */
const BY_FORMAT: Record<string, string> = {
  anthropic: 'anthropic',
  bedrock: 'aws.bedrock',
  azure: 'azure.ai.openai',
  google: 'gcp.gemini',
  vertex: 'gcp.vertex_ai',
  cohere: 'cohere',
};
const BY_ID: Record<string, string> = {
  openai: 'openai',
  deepseek: 'deepseek',
  groq: 'groq',
  mistral: 'mistral_ai',
  xai: 'x_ai',
  perplexity: 'perplexity',
};

/** The longest prompt or answer text kept per message part when content is captured. */
const CONTENT_LIMIT = 16_384;

interface ProviderFacts {
  name: string;
  address: string | undefined;
  port: number | undefined;
}

function providerFacts(providers: readonly TracedProvider[]): Map<string, ProviderFacts> {
  const facts = new Map<string, ProviderFacts>();
  for (const provider of providers) {
    let address: string | undefined;
    let port: number | undefined;
    try {
      const url = new URL(provider.baseUrl);
      address = url.hostname;
      port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    } catch {
      // a base URL that is not one (Vertex's is derived): no server.address
    }
    facts.set(provider.id, {
      name: BY_FORMAT[provider.format] ?? BY_ID[provider.id] ?? provider.id,
      address,
      port,
    });
  }
  return facts;
}

function samplerOf(settings: TracingSettings): Sampler {
  const root = new TraceIdRatioBasedSampler(settings.sampler.ratio);
  return settings.sampler.parentBased ? new ParentBasedSampler({ root }) : root;
}

/** The operation as gen_ai.operation.name says it, from the kind of model a deployment serves. */
function operationOf(deployment: Deployment): string {
  const kind = deployment.target.entry?.kind;
  return kind === 'embedding' ? 'embeddings' : kind === 'rerank' ? 'rerank' : 'chat';
}

const cut = (text: string) => (text.length > CONTENT_LIMIT ? `${text.slice(0, CONTENT_LIMIT)}…` : text);

/** The chat messages as gen_ai.input.messages' JSON schema has them (role, parts), text and tool calls. */
function inputMessages(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const out = messages.map((message: Record<string, unknown>) => {
    const parts: unknown[] = [];
    const { content } = message;
    if (typeof content === 'string') parts.push({ type: 'text', content: cut(content) });
    else if (Array.isArray(content)) {
      for (const part of content as Array<Record<string, unknown>>) {
        if (part?.type === 'text' && typeof part.text === 'string')
          parts.push({ type: 'text', content: cut(part.text) });
      }
    }
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls as Array<{ id?: unknown; function?: Record<string, unknown> }>)
        parts.push({
          type: 'tool_call',
          id: call.id,
          name: call.function?.name,
          arguments: call.function?.arguments,
        });
    }
    if (message.role === 'tool')
      return {
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: message.tool_call_id, result: parts }],
      };
    return { role: message.role, parts };
  });
  return JSON.stringify(out);
}

function outputMessages(texts: readonly string[], finishReasons: readonly string[]): string {
  return JSON.stringify(
    texts.map((text, i) => ({
      role: 'assistant',
      parts: [{ type: 'text', content: cut(text) }],
      finish_reason: finishReasons[i] ?? finishReasons[0] ?? 'stop',
    })),
  );
}

export function createOtelTracing(settings: TracingSettings, providers: readonly TracedProvider[]): Tracing {
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.url }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    sampler: samplerOf(settings),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('tokgate');
  const propagator = new W3CTraceContextPropagator();
  const facts = providerFacts(providers);
  const { captureContent } = settings;

  const providerName = (id: string) => facts.get(id)?.name ?? id;

  function attemptTracer(parent: Context): AttemptTracer {
    return {
      begin(deployment: Deployment, kind: AttemptKind): AttemptSpan {
        const { target } = deployment;
        const known = facts.get(target.provider.id);
        const operation = operationOf(deployment);
        const attributes: Attributes = {
          [ATTR_GEN_AI_OPERATION_NAME]: operation,
          [ATTR_GEN_AI_PROVIDER_NAME]: known?.name ?? target.provider.id,
          [ATTR_GEN_AI_REQUEST_MODEL]: target.upstreamModel,
          'tokgate.provider.id': target.provider.id,
          'tokgate.deployment': deployment.id,
          'tokgate.attempt.kind': kind,
        };
        if (known?.address !== undefined) {
          attributes[ATTR_SERVER_ADDRESS] = known.address;
          if (known.port !== undefined) attributes[ATTR_SERVER_PORT] = known.port;
        }
        const span = tracer.startSpan(
          `${operation} ${target.upstreamModel}`,
          { kind: SpanKind.CLIENT, attributes },
          parent,
        );
        const headers: Record<string, string> = {};
        propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
        return {
          headers,
          end(record: AttemptRecord, upstreamStatus: number | undefined) {
            const outcome =
              record.status === 200 ? 'ok' : record.code === 'client_closed' ? 'client_closed' : 'error';
            span.setAttribute('tokgate.attempt.outcome', outcome);
            // The gateway's status for the attempt (as the ledger's attempts have it); the upstream's own
            // when it answered (not for a timeout, a reset connection, no slot).
            span.setAttribute('tokgate.attempt.status', record.status);
            if (upstreamStatus !== undefined)
              span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, upstreamStatus);
            if (outcome !== 'ok') {
              span.setAttribute(ATTR_ERROR_TYPE, record.code ?? String(record.status));
              span.setStatus({ code: SpanStatusCode.ERROR });
            }
            span.end();
          },
        };
      },
    };
  }

  function begin(request: ArrivingRequest): RequestTrace {
    const remote = propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: request.method,
      [ATTR_URL_PATH]: request.path,
      [ATTR_CLIENT_ADDRESS]: request.clientAddress,
      'tokgate.request.id': request.id,
    };
    if (request.route !== undefined) attributes[ATTR_HTTP_ROUTE] = request.route;
    if (request.door !== undefined) attributes['tokgate.door'] = request.door;
    const agent = request.headers['user-agent'];
    if (typeof agent === 'string') attributes[ATTR_USER_AGENT_ORIGINAL] = agent.slice(0, 256);
    const span: Span = tracer.startSpan(
      `${request.method} ${request.route ?? request.path}`,
      { kind: SpanKind.SERVER, attributes },
      remote,
    );
    const context = trace.setSpan(remote, span);
    let settled = false;
    return {
      attempts: attemptTracer(context),
      capturesContent: captureContent,
      settled(done: SettledRequest) {
        settled = true;
        const { request: asked, usage } = done;
        span.updateName(`${done.operation} ${asked.model}`);
        const set: Attributes = {
          [ATTR_GEN_AI_OPERATION_NAME]: done.operation,
          [ATTR_GEN_AI_PROVIDER_NAME]: providerName(done.provider),
          [ATTR_GEN_AI_REQUEST_MODEL]: asked.model,
          [ATTR_GEN_AI_REQUEST_STREAM]: asked.stream === true,
          'tokgate.provider.id': done.provider,
          'tokgate.account.id': done.accountId,
          'tokgate.attempts': done.attempts,
        };
        if (done.keyId !== null) set['tokgate.key.id'] = done.keyId;
        const maxTokens = asked.max_completion_tokens ?? asked.max_tokens;
        if (typeof maxTokens === 'number') set[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
        if (typeof asked.temperature === 'number') set[ATTR_GEN_AI_REQUEST_TEMPERATURE] = asked.temperature;
        if (typeof asked.top_p === 'number') set[ATTR_GEN_AI_REQUEST_TOP_P] = asked.top_p;
        if (typeof asked.n === 'number' && asked.n !== 1) set[ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = asked.n;
        if (done.upstreamModel !== null) set[ATTR_GEN_AI_RESPONSE_MODEL] = done.upstreamModel;
        if (usage) {
          set[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.prompt_tokens;
          set[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.completion_tokens;
          const cached = usage.prompt_tokens_details?.cached_tokens;
          if (typeof cached === 'number') set[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached;
          const reasoning = usage.completion_tokens_details?.reasoning_tokens;
          if (typeof reasoning === 'number') set[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning;
        }
        if (done.costMicros !== undefined) set['tokgate.cost_usd'] = done.costMicros / 1_000_000;
        if (done.finishReasons.length > 0) set[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [...done.finishReasons];
        if (done.ttftMs !== null) set[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = done.ttftMs / 1000;
        if (done.errorCode !== null) set[ATTR_ERROR_TYPE] = done.errorCode;
        if (captureContent) {
          const input = inputMessages(asked.messages);
          if (input !== undefined) set[ATTR_GEN_AI_INPUT_MESSAGES] = input;
          if (done.output && done.output.length > 0)
            set[ATTR_GEN_AI_OUTPUT_MESSAGES] = outputMessages(done.output, done.finishReasons);
        }
        span.setAttributes(set);
      },
      end(status: number, errorCode: string | null, model: string | undefined) {
        if (!settled && model !== undefined) {
          // Refused before the pipeline settled it: named after what it asked for all the same.
          span.updateName(`${request.operation} ${model}`);
          span.setAttributes({
            [ATTR_GEN_AI_OPERATION_NAME]: request.operation,
            [ATTR_GEN_AI_REQUEST_MODEL]: model,
          });
        }
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (status >= 400) span.setAttribute(ATTR_ERROR_TYPE, errorCode ?? String(status));
        // A server span is in error for a 5xx only: a 4xx is the client's (HTTP semantic conventions).
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  }

  return {
    begin,
    close: () => provider.shutdown(),
  };
}
