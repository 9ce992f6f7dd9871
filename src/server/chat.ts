// POST /v1/chat/completions: validate, resolve the model, call the provider, meter, and answer as OpenAI
// does, in JSON or as server-sent events.
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Admission, Admitter } from '../accounting/admission.js';
import type { Ledger } from '../accounting/ledger.js';
import type { Meter, Metered } from '../accounting/meter.js';
import { responseText } from '../accounting/meter.js';
import { microsToUsd } from '../accounting/pricing.js';
import type { Principal } from '../auth/authenticator.js';
import { forbidden, GatewayError } from '../core/errors.js';
import type { ChatChunk, ChatRequest, ChatResponse, UpstreamCall, Usage } from '../core/types.js';
import { completeVia, streamVia } from '../router/dispatch.js';
import type { Router, Target } from '../router/router.js';
import type { RequestRow } from '../store/store.js';
import { toGatewayError } from './errors.js';
import type { Metrics } from './metrics.js';
import { SseWriter } from './sse.js';
import { validateChatRequest } from './validate-chat.js';

export interface ChatDeps {
  router: Router;
  admitter: Admitter;
  meter: Meter;
  ledger: Ledger;
  metrics: Metrics;
  log: Logger;
  bodyLimit: number;
}

/** Everything known about one request while it runs, for the ledger row, the log and the metrics. */
class Exchange {
  readonly started = performance.now();
  readonly createdAt = Date.now();
  /** Time spent waiting on the upstream, to compute the gateway's own overhead. */
  upstreamMs = 0;
  ttftMs: number | null = null;
  upstreamModel: string | null = null;
  admission: Admission | undefined;

  constructor(
    readonly id: string,
    readonly principal: Principal,
    readonly request: ChatRequest,
    readonly target: Target,
  ) {}

  elapsedMs(): number {
    return performance.now() - this.started;
  }
}

function headerSafe(warnings: readonly string[]): string {
  // Header values must be visible ASCII; warnings are written by us but may quote user input.
  return warnings
    .join('; ')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 2000);
}

/** `chatcmpl-` + the request id's random part: one id per request, also across chunks and providers. */
const completionId = (requestId: string) =>
  `chatcmpl-${requestId.startsWith('req_') ? requestId.slice(4) : requestId}`;

export function registerChatRoute(app: FastifyInstance, deps: ChatDeps): void {
  const { router, admitter, meter, ledger, metrics, log } = deps;

  function gatewayHeaders(exchange: Exchange, warnings: readonly string[]): Record<string, string> {
    const headers: Record<string, string> = { 'x-tokgate-provider': exchange.target.provider.id };
    Object.assign(headers, exchange.admission?.headers);
    const all = exchange.target.entry?.price
      ? warnings
      : [...warnings, `model '${exchange.request.model}' has no price; usage is recorded unpriced`];
    if (all.length > 0) headers['x-tokgate-warnings'] = headerSafe(all);
    return headers;
  }

  function finish(
    exchange: Exchange,
    status: RequestRow['status'],
    httpStatus: number,
    metered: Metered | undefined,
    errorCode: string | null,
  ): void {
    const latencyMs = exchange.elapsedMs();
    const { principal, target, request } = exchange;
    // Failed requests cost nothing; aborted ones pay for what was generated.
    const cost = status === 'error' ? (metered ? 0 : null) : (metered?.costMicros ?? null);
    if (exchange.admission) {
      const tokens = metered ? metered.usage.prompt_tokens + metered.usage.completion_tokens : 0;
      admitter.settle(exchange.admission, cost ?? 0, tokens);
    }
    ledger.record({
      id: exchange.id,
      created_at: exchange.createdAt,
      key_id: principal.kind === 'key' ? principal.key.id : null,
      account_id: principal.kind === 'key' ? principal.key.accountId : 'acct_default',
      model: request.model,
      provider: target.provider.id,
      upstream_model: exchange.upstreamModel ?? target.upstreamModel,
      status,
      http_status: httpStatus,
      stream: request.stream ? 1 : 0,
      prompt_tokens: metered?.usage.prompt_tokens ?? null,
      cached_tokens: metered?.usage.prompt_tokens_details?.cached_tokens ?? null,
      completion_tokens: metered?.usage.completion_tokens ?? null,
      reasoning_tokens: metered?.usage.completion_tokens_details?.reasoning_tokens ?? null,
      usage_source: metered?.source ?? null,
      cost_micros: cost,
      latency_ms: Math.round(latencyMs),
      ttft_ms: exchange.ttftMs === null ? null : Math.round(exchange.ttftMs),
      error_code: errorCode,
      attempts: null,
      price_version: metered?.costMicros === undefined ? null : (target.entry?.priceVersion ?? null),
    });
    metrics.requests.inc({
      provider: target.provider.id,
      status: String(httpStatus),
      code: errorCode ?? status,
    });
    metrics.duration.observe(
      { provider: target.provider.id, stream: String(Boolean(request.stream)) },
      latencyMs / 1000,
    );
    metrics.overhead.observe(Math.max(0, latencyMs - exchange.upstreamMs) / 1000);
    if (metered && metered.costMicros === undefined) metrics.unpriced.inc({ model: request.model });
    log.info(
      {
        reqId: exchange.id,
        keyId: principal.kind === 'key' ? principal.key.id : 'admin',
        model: request.model,
        status,
        httpStatus,
        ms: Math.round(latencyMs),
        promptTokens: metered?.usage.prompt_tokens,
        completionTokens: metered?.usage.completion_tokens,
        errorCode,
      },
      'chat completion',
    );
  }

  function withCost(usage: Usage, metered: Metered): Usage {
    return metered.costMicros === undefined ? usage : { ...usage, cost: microsToUsd(metered.costMicros) };
  }

  async function completeJson(exchange: Exchange, call: UpstreamCall, reply: FastifyReply) {
    const upstreamStart = performance.now();
    let response: ChatResponse;
    try {
      response = await completeVia(exchange.target.provider, call);
    } finally {
      exchange.upstreamMs = performance.now() - upstreamStart;
    }
    exchange.upstreamModel = typeof response.model === 'string' ? response.model : null;
    const metered = meter.measure(exchange.target, exchange.request, response.usage, responseText(response));
    for (const choice of response.choices) {
      // OpenAI always sends these (null when empty); not every provider does.
      choice.message.refusal ??= null;
      choice.logprobs ??= null;
    }
    response.id = completionId(exchange.id);
    response.model = exchange.request.model;
    response.usage = withCost(metered.usage, metered);
    if (response.system_fingerprint === null) delete response.system_fingerprint;
    finish(exchange, 'ok', 200, metered, null);
    return reply
      .headers(gatewayHeaders(exchange, call.warnings))
      .type('application/json')
      .send(JSON.stringify(response));
  }

  async function completeStream(exchange: Exchange, call: UpstreamCall, reply: FastifyReply) {
    const includeUsage = exchange.request.stream_options?.include_usage === true;
    const id = completionId(exchange.id);
    const model = exchange.request.model;
    const generated: string[] = [];
    let reported: Usage | undefined;
    let usageChunk: ChatChunk | undefined;
    let created = 0;
    let writer: SseWriter | undefined;
    const upstreamStart = performance.now();
    const iterator = streamVia(exchange.target.provider, call)[Symbol.asyncIterator]();

    try {
      for (;;) {
        const waitStart = performance.now();
        const next = await iterator.next();
        exchange.upstreamMs += performance.now() - waitStart;
        if (next.done) break;
        const chunk = next.value;
        if (chunk.usage) {
          reported = chunk.usage;
          if (chunk.choices.length === 0) {
            usageChunk = chunk;
            continue;
          }
        }
        if (!writer) {
          // Commit: the first chunk is here, so the answer is a 200 stream from now on.
          exchange.ttftMs = performance.now() - exchange.started;
          exchange.upstreamModel = typeof chunk.model === 'string' ? chunk.model : null;
          created = chunk.created;
          reply.hijack();
          writer = new SseWriter(reply.raw);
          writer.open({ 'x-request-id': exchange.id, ...gatewayHeaders(exchange, call.warnings) });
        }
        for (const choice of chunk.choices) {
          const { content, tool_calls } = choice.delta;
          if (typeof content === 'string' && content.length > 0) generated.push(content);
          for (const callDelta of tool_calls ?? []) {
            if (callDelta.function?.name) generated.push(callDelta.function.name);
            if (callDelta.function?.arguments) generated.push(callDelta.function.arguments);
          }
        }
        chunk.id = id;
        chunk.model = model;
        chunk.created = created;
        if (includeUsage) chunk.usage = null;
        else delete chunk.usage;
        if (chunk.system_fingerprint === null) delete chunk.system_fingerprint;
        await writer.data(JSON.stringify(chunk));
      }
    } catch (error) {
      const aborted = call.signal.aborted;
      const failure = aborted ? undefined : toGatewayError(error, deps.bodyLimit);
      const metered =
        writer || aborted ? meter.measure(exchange.target, exchange.request, reported, generated) : undefined;
      finish(exchange, aborted ? 'aborted' : 'error', failure?.status ?? 499, metered, failure?.code ?? null);
      if (!writer) {
        if (aborted) return reply.hijack();
        throw failure;
      }
      // After the commit an error can only be told in-band: an error event, and no [DONE].
      if (failure) await writer.data(JSON.stringify(failure.toBody()));
      writer.end();
      return;
    } finally {
      exchange.upstreamMs = Math.min(exchange.upstreamMs, performance.now() - upstreamStart);
    }

    const metered = meter.measure(exchange.target, exchange.request, reported, generated);
    if (!writer) {
      // The upstream ended without a single choice chunk: answer with an empty stream all the same.
      reply.hijack();
      writer = new SseWriter(reply.raw);
      writer.open({ 'x-request-id': exchange.id, ...gatewayHeaders(exchange, call.warnings) });
      created = Math.floor(Date.now() / 1000);
    }
    if (includeUsage) {
      const final: ChatChunk = usageChunk ?? {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [],
      };
      final.id = id;
      final.model = model;
      final.created = created;
      final.usage = withCost(metered.usage, metered);
      if (final.system_fingerprint === null) delete final.system_fingerprint;
      await writer.data(JSON.stringify(final));
    }
    await writer.data('[DONE]');
    writer.end();
    finish(exchange, writer.isClosed && call.signal.aborted ? 'aborted' : 'ok', 200, metered, null);
  }

  app.post('/v1/chat/completions', async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = request.principal!;
    const chat = validateChatRequest(request.body);
    const target = router.resolve(chat.model);
    if (principal.kind === 'key' && principal.key.allows && !principal.key.allows(chat.model)) {
      throw forbidden(`This API key is not allowed to use the model \`${chat.model}\`.`, 'model_not_allowed');
    }
    const exchange = new Exchange(request.id, principal, chat, target);
    const controller = new AbortController();
    // The client went away before the answer was complete: stop the upstream call at once.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    const call: UpstreamCall = {
      request: { ...chat, model: target.upstreamModel },
      signal: controller.signal,
      warnings: [],
    };
    try {
      exchange.admission = await admitter.admit(principal, target, call.request);
    } catch (error) {
      const refusal = toGatewayError(error, deps.bodyLimit);
      finish(exchange, 'error', refusal.status, undefined, refusal.code);
      throw refusal;
    }
    if (chat.stream) return completeStream(exchange, call, reply);
    try {
      return await completeJson(exchange, call, reply);
    } catch (error) {
      if (controller.signal.aborted) {
        finish(exchange, 'aborted', 499, undefined, null);
        return reply.hijack();
      }
      const failure = toGatewayError(error, deps.bodyLimit);
      finish(exchange, 'error', failure.status, undefined, failure.code);
      throw failure instanceof GatewayError ? failure : error;
    }
  });
}
