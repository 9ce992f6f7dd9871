// Every request, answered or refused, ends here once its HTTP answer is over: one structured log line,
// the request counter (front doors), the request's span (tracing on), and, for an authenticated request a
// front door refused before the pipeline recorded it (bad input, a model the key may not use, an unknown
// model), a ledger row at no cost so the account sees why its calls failed.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Ledger } from '../accounting/ledger.js';
import { LEDGER_TEXT_LIMITS, storableText } from '../accounting/ledger-record.js';
import type { Metrics } from '../pipeline/metrics.js';
import { recordRefusal } from '../pipeline/refusal.js';
import { RequestReport } from '../pipeline/report.js';
import type { Tracing } from '../pipeline/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request did, written up when it is over. */
    report: RequestReport | undefined;
  }
  interface FastifyContextConfig {
    /** The route is a front door: its name (the ledger's `door`, the log line's message). */
    door?: string;
    /** What the door performs, as gen_ai.operation.name says it (`chat`, `embeddings`, `rerank`). */
    operation?: string;
  }
}

export interface RequestLogDeps {
  log: Logger;
  metrics: Metrics;
  ledger: Ledger;
  tracing: Tracing | undefined;
}

/** Client-chosen text in the line is capped: a URL or user agent may be kilobytes long. */
const PATH_LIMIT = 512;
const AGENT_LIMIT = 256;

/** The model a refused request's body named, when it got as far as being parsed. */
function bodyModel(request: FastifyRequest): string | undefined {
  const body = request.body as { model?: unknown } | undefined;
  return body && typeof body === 'object' && typeof body.model === 'string'
    ? storableText(body.model, LEDGER_TEXT_LIMITS.model)
    : undefined;
}

function finish(deps: RequestLogDeps, request: FastifyRequest, reply: FastifyReply, report: RequestReport) {
  const { log, metrics } = deps;
  // The answer never completed: the client left (as the ledger says, 499).
  const status = reply.raw.writableFinished ? reply.raw.statusCode : 499;
  const { door } = report;
  const { principal } = request;
  const model = report.model ?? bodyModel(request);
  const errorCode = report.errorCode;
  const latencyMs = report.elapsedMs();
  if (door !== undefined) {
    const code = errorCode ?? report.status ?? (status === 499 ? 'aborted' : status < 400 ? 'ok' : 'error');
    metrics.counted(
      { door, provider: report.provider ?? 'none', model: metrics.modelLabel(model) },
      status,
      code,
    );
    if (!report.ledgered && principal && status >= 400 && status !== 499)
      recordRefusal(deps.ledger, {
        id: request.id,
        createdAt: Date.now() - Math.round(latencyMs),
        principal,
        model,
        httpStatus: status,
        errorCode,
        latencyMs,
        door,
      });
  }
  report.trace?.end(status, errorCode, model);
  const path = request.url.split('?', 1)[0]!.slice(0, PATH_LIMIT);
  // Probes, metrics scrapes and the console's files that went well are told at debug only.
  const level = status < 400 && !path.startsWith('/v1') && !path.startsWith('/admin') ? 'debug' : 'info';
  if (!log.isLevelEnabled(level)) return;
  const agent = request.headers['user-agent'];
  log[level](
    {
      reqId: request.id,
      method: request.method,
      path,
      status,
      errorCode,
      keyId: principal === undefined ? undefined : principal.kind === 'key' ? principal.key.id : 'admin',
      model,
      ms: Math.round(latencyMs),
      ip: request.ip,
      userAgent: typeof agent === 'string' ? agent.slice(0, AGENT_LIMIT) : undefined,
      ...report.fields,
      ...(report.error === undefined ? {} : { error: report.error }),
    },
    door ?? 'request',
  );
}

/** Starts each request's report (and span) as it arrives, and writes it up when its answer is over. */
export function trackRequests(app: FastifyInstance, deps: RequestLogDeps): void {
  app.decorateRequest('report', undefined);
  const { tracing } = deps;
  app.addHook('onRequest', (request, reply, done) => {
    const { door } = request.routeOptions.config;
    const report = new RequestReport(door);
    request.report = report;
    if (tracing && door !== undefined) {
      report.trace = tracing.begin({
        id: request.id,
        method: request.method,
        route: request.routeOptions.url,
        path: request.url.split('?', 1)[0]!.slice(0, PATH_LIMIT),
        headers: request.headers,
        clientAddress: request.ip,
        door,
        operation: request.routeOptions.config.operation ?? 'chat',
      });
    }
    // 'close' comes after 'finish', or alone when the client left first.
    reply.raw.once('close', () => report.whenSettled(() => finish(deps, request, reply, report)));
    done();
  });
}
