// POST /v1/chat/completions: validate, resolve the model to its route, admit, run the attempts (retries,
// fallbacks, timeouts: src/router/executor.ts), meter, and answer as OpenAI does, in JSON or as server-sent
// events. This file is the HTTP layer: status codes, headers, SSE framing, keep-alive, idempotent replays.
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Admission, Admitter } from '../accounting/admission.js';
import type { Ledger } from '../accounting/ledger.js';
import type { Meter, Metered } from '../accounting/meter.js';
import { responseText } from '../accounting/meter.js';
import { microsToUsd } from '../accounting/pricing.js';
import type { Principal } from '../auth/authenticator.js';
import {
  CACHE_HEADER,
  hitResponse,
  hitRow,
  type ResponseCache,
  wantsCache,
} from '../cache/response-cache.js';
import { forbidden, GatewayError, invalidRequest } from '../core/errors.js';
import { rawTopLevelValue, rememberRawJson } from '../core/raw-json.js';
import type { ChatChunk, ChatRequest, Usage } from '../core/types.js';
import { type AttemptRecord, openStream, runJson } from '../router/executor.js';
import { type Claim, fingerprint, IdempotencyStore } from '../router/idempotency.js';
import type { Router, Target } from '../router/router.js';
import { costliestTarget, type Deployment, type RoutePlan } from '../router/routes.js';
import { ClientAbort } from '../router/timeouts.js';
import type { RequestRow } from '../store/store.js';
import { toGatewayError } from './errors.js';
import type { Metrics } from './metrics.js';
import { isClosing, SseWriter } from './sse.js';
import { validateChatRequest } from './validate-chat.js';

export interface ChatDeps {
  router: Router;
  admitter: Admitter;
  meter: Meter;
  ledger: Ledger;
  metrics: Metrics;
  log: Logger;
  bodyLimit: number;
  /** The exact-match response cache, used when a request asks for it (`x-tokgate-cache: true`). */
  cache: ResponseCache;
}

/** Fallback models a request may list in `models` (OpenRouter's convention). */
const MAX_FALLBACK_MODELS = 8;

/** Everything known about one request while it runs, for the ledger row, the log and the metrics. */
class Exchange {
  readonly started = performance.now();
  readonly createdAt = Date.now();
  /** Time spent waiting on the upstream, to compute the gateway's own overhead. */
  upstreamMs = 0;
  ttftMs: number | null = null;
  upstreamModel: string | null = null;
  admission: Admission | undefined;
  /** The deployment of the latest attempt: the one that served, or the last that failed. */
  deployment: Deployment | undefined;
  readonly attempts: AttemptRecord[] = [];
  /** Notes of the gateway's own (not a provider's), for `x-tokgate-warnings`. */
  readonly notes: string[] = [];
  /** The client asked for the response cache: a fresh answer is stored for the next identical request. */
  cacheable = false;

  constructor(
    readonly id: string,
    readonly principal: Principal,
    readonly request: ChatRequest,
    readonly plan: RoutePlan,
  ) {}

  /** The deployment the row is about; before any attempt, the route's first. */
  get target(): Target {
    return this.deployment?.target ?? this.plan.groups[0]!.deployments[0]!.target;
  }

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

/** Reads (and removes: it is not sent upstream) the request's `models` fallback list. */
function takeFallbacks(chat: ChatRequest): string[] {
  const raw = chat.models;
  delete chat.models;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((m) => typeof m !== 'string' || m === '')) {
    throw invalidRequest(
      "Invalid type for 'models': expected an array of model ids to fall back to.",
      'models',
      'invalid_type',
    );
  }
  const models = [...new Set(raw as string[])].filter((m) => m !== chat.model);
  if (models.length > MAX_FALLBACK_MODELS) {
    throw invalidRequest(`'models' lists at most ${MAX_FALLBACK_MODELS} fallback models.`, 'models');
  }
  return models;
}

/**
 * A chunk as the client gets it: the request's own id, created and model, `usage` only when asked for
 * (null until the last chunk, as OpenAI does), no null system_fingerprint. Keys are set to undefined
 * (JSON.stringify leaves them out) rather than deleted: `delete` drops V8 into slow dictionary objects,
 * which serialise at half the speed.
 */
function chunkJson(chunk: ChatChunk, id: string, created: number, model: string, includeUsage: boolean) {
  const out = chunk as unknown as Record<string, unknown>;
  out.id = id;
  out.model = model;
  out.created = created;
  out.usage = includeUsage ? null : undefined;
  if (out.system_fingerprint === null) out.system_fingerprint = undefined;
  return JSON.stringify(out);
}

const idempotencyScope = (principal: Principal) => (principal.kind === 'key' ? principal.key.id : 'admin');

export function registerChatRoute(app: FastifyInstance, deps: ChatDeps): void {
  const { router, admitter, meter, ledger, metrics, log } = deps;

  function gatewayHeaders(exchange: Exchange, warnings: readonly string[]): Record<string, string> {
    const headers: Record<string, string> = {};
    const target = exchange.deployment?.target;
    if (target) {
      headers['x-tokgate-provider'] = target.provider.id;
      headers['x-tokgate-deployment'] = target.model;
    }
    headers['x-tokgate-attempts'] = String(Math.max(1, exchange.attempts.length));
    Object.assign(headers, exchange.admission?.headers);
    const all = [...exchange.notes, ...warnings];
    if (target && !target.entry?.price)
      all.push(`model '${target.model}' has no price; usage is recorded unpriced`);
    if (all.length > 0) headers['x-tokgate-warnings'] = headerSafe(all);
    return headers;
  }

  function finish(
    exchange: Exchange,
    status: RequestRow['status'],
    httpStatus: number,
    metered: Metered | undefined,
    errorCode: string | null,
  ): Promise<void> {
    const latencyMs = exchange.elapsedMs();
    const { principal, target, request } = exchange;
    // Failed requests cost nothing; aborted ones pay for what was generated.
    const cost = status === 'error' ? (metered ? 0 : null) : (metered?.costMicros ?? null);
    if (exchange.admission) {
      const tokens = metered ? metered.usage.prompt_tokens + metered.usage.completion_tokens : 0;
      admitter.settle(exchange.admission, cost ?? 0, tokens);
    }
    const durable = ledger.record({
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
      attempts: exchange.attempts.length > 0 ? JSON.stringify(exchange.attempts) : null,
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
    if (metered && metered.costMicros === undefined) metrics.unpriced.inc({ provider: target.provider.id });
    // The line's object is only built when it will be written (LOG_LEVEL=warn skips per-request lines).
    if (log.isLevelEnabled('info'))
      log.info(
        {
          reqId: exchange.id,
          keyId: principal.kind === 'key' ? principal.key.id : 'admin',
          model: request.model,
          deployment: exchange.deployment?.id,
          attempts: exchange.attempts.length,
          status,
          httpStatus,
          ms: Math.round(latencyMs),
          promptTokens: metered?.usage.prompt_tokens,
          completionTokens: metered?.usage.completion_tokens,
          errorCode,
        },
        'chat completion',
      );
    return durable;
  }

  /** The usage with the request's cost in USD (OpenRouter's `usage.cost`); the object is this request's own. */
  function withCost(usage: Usage, metered: Metered): Usage {
    if (metered.costMicros !== undefined) usage.cost = microsToUsd(metered.costMicros);
    return usage;
  }

  const runOptions = (exchange: Exchange, client: ClientAbort) => ({
    client,
    attempts: exchange.attempts,
    onAttempt: (deployment: Deployment) => {
      exchange.deployment = deployment;
    },
  });

  async function completeJson(
    exchange: Exchange,
    upstream: ChatRequest,
    client: ClientAbort,
    reply: FastifyReply,
    claim: Claim | undefined,
  ) {
    const upstreamStart = performance.now();
    let served: Awaited<ReturnType<typeof runJson>>;
    try {
      served = await runJson(router, exchange.plan, upstream, runOptions(exchange, client));
    } finally {
      exchange.upstreamMs = performance.now() - upstreamStart;
    }
    const response = served.value;
    exchange.deployment = served.deployment;
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
    // Not `delete`: that makes the object slow to serialise (see chunkJson).
    if (response.system_fingerprint === null)
      (response as { system_fingerprint?: unknown }).system_fingerprint = undefined;
    // The answer goes out only once its ledger row is safe (on disk, with a spool); it is serialised while
    // the row is being written.
    const durable = finish(exchange, 'ok', 200, metered, null);
    const headers = gatewayHeaders(exchange, served.warnings);
    const body = JSON.stringify(response);
    await durable;
    if (exchange.cacheable) {
      deps.cache.put(exchange.principal, exchange.request, response).catch((error: unknown) => {
        log.warn({ err: error, reqId: exchange.id }, 'response cache write failed');
      });
    }
    if (claim?.kind === 'owner') claim.complete({ status: 200, headers, body });
    // During a graceful shutdown, close the connection after this answer rather than wait for the client to.
    if (isClosing(reply.raw)) reply.header('connection', 'close');
    return reply.headers(headers).type('application/json').send(body);
  }

  async function completeStream(
    exchange: Exchange,
    upstream: ChatRequest,
    client: ClientAbort,
    reply: FastifyReply,
  ) {
    const includeUsage = exchange.request.stream_options?.include_usage === true;
    const id = completionId(exchange.id);
    const model = exchange.request.model;
    const generated: string[] = [];
    let reported: Usage | undefined;
    let usageChunk: ChatChunk | undefined;
    let created = 0;
    let writer: SseWriter | undefined;
    let committed = false;
    const openWriter = (headers: Record<string, string>) => {
      reply.hijack();
      writer = new SseWriter(reply.raw);
      writer.open({ 'x-request-id': exchange.id, ...headers });
      return writer;
    };

    // Waiting long for the first token: send the 200 and SSE comments, so clients and proxies keep waiting.
    // The deployment is not known yet, so those headers are not sent; fallbacks can still happen.
    const { keepAliveMs } = router.routing;
    let keepAlive: NodeJS.Timeout | undefined;
    const tick = () => {
      (writer ?? openWriter({ ...exchange.admission?.headers })).comment('keep-alive');
      keepAlive = setTimeout(tick, keepAliveMs);
    };
    if (keepAliveMs > 0) keepAlive = setTimeout(tick, keepAliveMs);

    const upstreamStart = performance.now();
    let served: Awaited<ReturnType<typeof openStream>> | undefined;
    try {
      served = await openStream(router, exchange.plan, upstream, runOptions(exchange, client));
      exchange.upstreamMs += performance.now() - upstreamStart;
      exchange.deployment = served.deployment;
      const iterator = served.value[Symbol.asyncIterator]();
      let waitStart = performance.now();
      for (;;) {
        const next = await iterator.next();
        const now = performance.now();
        exchange.upstreamMs += now - waitStart;
        waitStart = now;
        if (next.done) break;
        for (const chunk of next.value) {
          if (chunk.usage) {
            reported = chunk.usage;
            if (chunk.choices.length === 0) {
              usageChunk = chunk;
              continue;
            }
          }
          if (!committed) {
            // Commit: the answer is this deployment's 200 stream from now on.
            committed = true;
            clearTimeout(keepAlive);
            exchange.ttftMs = performance.now() - exchange.started;
            exchange.upstreamModel = typeof chunk.model === 'string' ? chunk.model : null;
            created = chunk.created;
            writer ??= openWriter(gatewayHeaders(exchange, served.warnings));
          }
          for (const choice of chunk.choices) {
            const { content, tool_calls } = choice.delta;
            if (typeof content === 'string' && content.length > 0) generated.push(content);
            for (const callDelta of tool_calls ?? []) {
              if (callDelta.function?.name) generated.push(callDelta.function.name);
              if (callDelta.function?.arguments) generated.push(callDelta.function.arguments);
            }
          }
          writer!.data(chunkJson(chunk, id, created, model, includeUsage));
        }
        // The whole batch is queued for this turn's write; a client reading slower than the upstream
        // sends makes the next read wait.
        const wait = writer?.backpressure;
        if (wait) {
          await wait;
          waitStart = performance.now();
        }
      }
    } catch (error) {
      clearTimeout(keepAlive);
      const aborted = client.aborted;
      const failure = aborted ? undefined : toGatewayError(error, deps.bodyLimit);
      const metered =
        committed || aborted
          ? meter.measure(exchange.target, exchange.request, reported, generated)
          : undefined;
      void finish(
        exchange,
        aborted ? 'aborted' : 'error',
        failure?.status ?? 499,
        metered,
        failure?.code ?? null,
      );
      if (!writer) {
        if (aborted) return reply.hijack();
        reply.header('x-tokgate-attempts', String(exchange.attempts.length));
        throw failure;
      }
      // Once the 200 is out an error can only be told in-band: an error event, and no [DONE].
      if (failure) writer.data(JSON.stringify(failure.toBody()));
      writer.end();
      return;
    } finally {
      clearTimeout(keepAlive);
    }

    const metered = meter.measure(exchange.target, exchange.request, reported, generated);
    if (!writer) {
      // The upstream ended without a single choice chunk: answer with an empty stream all the same.
      writer = openWriter(gatewayHeaders(exchange, served.warnings));
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
      if (final.system_fingerprint === null)
        (final as { system_fingerprint?: unknown }).system_fingerprint = undefined;
      writer.data(JSON.stringify(final));
    }
    // The row is recorded (and spooled) before the last byte, so an answered stream is always in the ledger.
    await finish(exchange, client.aborted ? 'aborted' : 'ok', 200, metered, null);
    writer.data('[DONE]');
    writer.end();
  }

  app.post('/v1/chat/completions', async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = request.principal!;
    const idempotencyKey = IdempotencyStore.parseKey(request.headers['idempotency-key']);
    // Taken before anything reads (and trims) the body: a retry must send the very same request.
    const print = idempotencyKey === undefined ? '' : fingerprint(request.body);
    const chat = validateChatRequest(request.body);
    if (request.rawJson !== undefined) {
      // A large prompt goes upstream as the client's own JSON text (see core/raw-json.ts).
      const messages = rawTopLevelValue(request.rawJson, 'messages');
      if (messages !== undefined) rememberRawJson(chat.messages, messages);
    }
    const fallbacks = takeFallbacks(chat);
    const plan = router.plan(chat.model, fallbacks);
    if (principal.kind === 'key' && principal.key.allows) {
      for (const model of [chat.model, ...fallbacks]) {
        if (!principal.key.allows(model)) {
          throw forbidden(`This API key is not allowed to use the model \`${model}\`.`, 'model_not_allowed');
        }
      }
    }
    const client = new ClientAbort();
    // The client went away before the answer was complete: stop the upstream call at once.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) client.abort();
    });

    let claim: Claim | undefined;
    if (idempotencyKey !== undefined && !chat.stream) {
      try {
        claim = await router.idempotency.claim(
          idempotencyScope(principal),
          idempotencyKey,
          print,
          client.signal,
        );
      } catch (error) {
        if (client.aborted) return reply.hijack();
        throw error;
      }
      if (claim.kind === 'replay') {
        const { status, headers, body } = claim.response;
        log.info({ reqId: request.id, idempotencyKey }, 'chat completion replayed');
        return reply
          .code(status)
          .headers({ ...headers, 'x-tokgate-idempotent-replay': 'true' })
          .type('application/json')
          .send(body);
      }
    }

    // The response cache (opt-in per request): a hit answers at once, at the cache's own price.
    const cacheable = wantsCache(request.headers, chat);
    if (cacheable) {
      const started = performance.now();
      const hit = await deps.cache.get(principal, chat).catch(() => undefined);
      if (hit) {
        const body = hitResponse(hit, completionId(request.id), deps.cache.hitPriceMicros);
        await ledger.record(
          hitRow({
            requestId: request.id,
            createdAt: Date.now(),
            principal,
            model: chat.model,
            response: body,
            priceMicros: deps.cache.hitPriceMicros,
            latencyMs: performance.now() - started,
          }),
        );
        return reply.header(CACHE_HEADER, 'hit').type('application/json').send(JSON.stringify(body));
      }
    }

    const exchange = new Exchange(request.id, principal, chat, plan);
    exchange.cacheable = cacheable;
    if (idempotencyKey !== undefined && chat.stream) {
      exchange.notes.push('Idempotency-Key is ignored on streaming requests');
    }
    const upstream: ChatRequest = { ...chat };
    try {
      exchange.admission = await admitter.admit(principal, costliestTarget(plan, chat), upstream);
    } catch (error) {
      if (claim?.kind === 'owner') claim.abandon();
      const refusal = toGatewayError(error, deps.bodyLimit);
      void finish(exchange, 'error', refusal.status, undefined, refusal.code);
      throw refusal;
    }
    if (chat.stream) return completeStream(exchange, upstream, client, reply);
    try {
      return await completeJson(exchange, upstream, client, reply, claim);
    } catch (error) {
      if (claim?.kind === 'owner') claim.abandon();
      if (client.aborted) {
        void finish(exchange, 'aborted', 499, undefined, null);
        return reply.hijack();
      }
      const failure = toGatewayError(error, deps.bodyLimit);
      void finish(exchange, 'error', failure.status, undefined, failure.code);
      if (exchange.attempts.length > 0) reply.header('x-tokgate-attempts', String(exchange.attempts.length));
      throw failure instanceof GatewayError ? failure : error;
    }
  });
}
