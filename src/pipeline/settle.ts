// The last stage of every request, whatever its end: settle the admission (the reservation becomes the real
// cost), write the ledger row, count it in the metrics and log one line.
import {
  chargeOf,
  LEDGER_TEXT_LIMITS,
  ledgerRow,
  type RequestStatus,
  type ServedBy,
  storableText,
} from '../accounting/ledger-record.js';
import type { Metered } from '../accounting/meter.js';
import type { PipelineDeps } from './deps.js';
import type { Exchange, OperationRequest } from './exchange.js';

export interface Settlement {
  status: RequestStatus;
  httpStatus: number;
  metered: Metered | undefined;
  errorCode: string | null;
  /** The failure as the client was told it (secrets masked), for the log line. */
  errorMessage?: string;
  /** Who served the answer, when it was not the exchange's deployment (the response cache). */
  servedBy?: ServedBy;
}

function servedByDeployment(exchange: Exchange<OperationRequest>): ServedBy {
  const { target } = exchange;
  return {
    provider: target.provider.id,
    upstreamModel: exchange.upstreamModel ?? target.upstreamModel,
    priceVersion: target.entry?.priceVersion ?? null,
  };
}

/** Settles the request; resolves when its ledger row is durable (spooled), so an answer can follow. */
export function settle(
  deps: PipelineDeps,
  door: string,
  exchange: Exchange<OperationRequest>,
  end: Settlement,
): Promise<void> {
  const { metrics, log } = deps;
  const { principal, request } = exchange;
  const { status, httpStatus, metered, errorCode } = end;
  const latencyMs = exchange.elapsedMs();
  if (exchange.admission) {
    const tokens = metered ? metered.usage.prompt_tokens + metered.usage.completion_tokens : 0;
    deps.admitter.settle(exchange.admission, chargeOf(status, metered) ?? 0, tokens);
  }
  const servedBy = end.servedBy ?? servedByDeployment(exchange);
  const row = ledgerRow({
    id: exchange.id,
    createdAt: exchange.createdAt,
    principal,
    model: request.model,
    servedBy,
    status,
    httpStatus,
    stream: request.stream === true,
    metered,
    latencyMs,
    ttftMs: exchange.ttftMs,
    errorCode,
    attempts: exchange.attempts,
    door,
  });
  const durable = deps.ledger.record(row);
  const provider = servedBy.provider;
  metrics.requests.inc({ provider, status: String(httpStatus), code: errorCode ?? status });
  metrics.duration.observe({ provider, stream: String(Boolean(request.stream)) }, latencyMs / 1000);
  metrics.overhead.observe(Math.max(0, latencyMs - exchange.upstreamMs) / 1000);
  if (metered && metered.costMicros === undefined) metrics.unpriced.inc({ provider });
  // The line's object is only built when it will be written (LOG_LEVEL=warn skips per-request lines).
  if (log.isLevelEnabled('info'))
    log.info(
      {
        reqId: exchange.id,
        keyId: principal.kind === 'key' ? principal.key.id : 'admin',
        // Capped and cleaned as in the ledger: the client's model id may be megabytes long.
        model: row.model,
        deployment: exchange.deployment && storableText(exchange.deployment.id, LEDGER_TEXT_LIMITS.model),
        attempts: exchange.attempts.length,
        status,
        httpStatus,
        ms: Math.round(latencyMs),
        promptTokens: metered?.usage.prompt_tokens,
        completionTokens: metered?.usage.completion_tokens,
        errorCode,
        ...(end.errorMessage === undefined ? {} : { error: end.errorMessage.slice(0, 1000) }),
        ...(end.servedBy ? { servedBy: end.servedBy.provider } : {}),
      },
      door,
    );
  return durable;
}
