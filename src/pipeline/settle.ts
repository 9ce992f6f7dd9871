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
  metrics.duration.observe({ provider, stream: String(Boolean(request.stream)) }, latencyMs / 1000);
  metrics.overhead.observe(Math.max(0, latencyMs - exchange.upstreamMs) / 1000);
  if (metered && metered.costMicros === undefined) metrics.unpriced.inc({ provider });
  if (errorCode === 'wallet_unavailable') metrics.walletUnavailable.inc();
  const usage = metered?.usage;
  metrics.used(
    { door, provider, model: metrics.modelLabel(request.model) },
    status === 'error' ? undefined : usage,
    metered?.costMicros,
    exchange.attempts,
    request.stream ? { ttftMs: exchange.ttftMs, lastChunkMs: exchange.lastChunkMs } : undefined,
  );

  // The request's log line, metrics and span are written once its HTTP answer is over (server/request-log.ts).
  const { report } = exchange;
  report.ledgered = true;
  report.status = status;
  report.model = row.model;
  report.provider = provider;
  report.errorCode = errorCode;
  if (end.errorMessage !== undefined) report.error = end.errorMessage.slice(0, 1000);
  // The line's fields are only gathered when it will be written (LOG_LEVEL=warn skips per-request lines).
  if (log.isLevelEnabled('info'))
    report.fields = {
      deployment: exchange.deployment && storableText(exchange.deployment.id, LEDGER_TEXT_LIMITS.model),
      attempts: exchange.attempts.length,
      outcome: status,
      promptTokens: usage?.prompt_tokens,
      completionTokens: usage?.completion_tokens,
      ...(end.servedBy ? { servedBy: end.servedBy.provider } : {}),
    };
  report.trace?.settled({
    operation: exchange.operation,
    request,
    keyId: row.key_id,
    accountId: row.account_id ?? '',
    provider,
    upstreamModel: servedBy.upstreamModel,
    usage,
    costMicros: metered?.costMicros,
    ttftMs: exchange.ttftMs,
    finishReasons: exchange.finishReasons,
    output: exchange.output,
    errorCode,
    attempts: exchange.attempts.length,
  });
  return durable;
}
