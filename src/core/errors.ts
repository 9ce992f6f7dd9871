// GatewayError: what went wrong, as one of the catalogue's codes (error-catalog.ts). Layers below the server
// throw it; only the server turns it into HTTP, through a renderer per front door (error-renderers.ts).
import {
  type CodeWhere,
  ERROR_CATALOG,
  type ErrorType,
  type GatewayErrorCode,
  isPublicCode,
  type PublicErrorCode,
} from './error-catalog.js';
import { type OpenAIErrorBody, openAIErrorBody } from './error-renderers.js';

export type { CodeWhere, ErrorType, GatewayErrorCode, PublicErrorCode } from './error-catalog.js';
export type { OpenAIErrorBody } from './error-renderers.js';

export interface GatewayErrorOptions {
  /** Replaces the catalogue's default message. */
  message?: string;
  /** The parameter the error is about; the catalogue's default when not given. */
  param?: string | null;
  /** Seconds the caller should wait, from an upstream `retry-after` or our own limiter. */
  retryAfter?: number;
  /** The same wait to the millisecond (an upstream's `retry-after-ms` or window reset); `retryAfter` follows. */
  retryAfterMs?: number;
  /** Which provider failed, when the error came from upstream. */
  provider?: string;
  /** The provider's own code for its refusal (`context_length_exceeded`), passed on to the client. */
  providerCode?: string | null;
  /**
   * Only where the status is decided elsewhere and must be kept (Fastify's own 4xx answers); everything
   * else takes the catalogue's.
   */
  status?: number;
  /** The HTTP status the upstream answered with, when the error is its answer (for the attempt's span). */
  upstreamStatus?: number;
  /** Response headers that belong to this refusal (a rate limit's `x-ratelimit-*`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  /** What went wrong: one of the catalogue's codes. */
  readonly kind: GatewayErrorCode;
  /** The code a client is told, or null for a generic error (the catalogue's `publicCode: false`). */
  readonly code: PublicErrorCode | null;
  readonly status: number;
  readonly type: ErrorType;
  readonly param: string | null;
  /** Whether the same call may succeed if tried again (the router reads only this). */
  readonly retryable: boolean;
  readonly retryAfter: number | undefined;
  /** The wait in milliseconds, as precisely as it was said (the router's retry delay and cool-down). */
  readonly retryAfterMs: number | undefined;
  readonly provider: string | undefined;
  /** The provider's own code, when it refused the request with one: what the client sees as `code`. */
  readonly providerCode: string | null;
  /** The HTTP status the upstream answered with, when the error is its answer. */
  readonly upstreamStatus: number | undefined;
  /** Response headers that belong to this refusal (a rate limit's `x-ratelimit-*`). */
  readonly headers: Record<string, string> | undefined;

  constructor(kind: GatewayErrorCode, options: GatewayErrorOptions = {}) {
    const spec = ERROR_CATALOG[kind];
    super(
      options.message ?? spec.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'GatewayError';
    this.kind = kind;
    this.code = isPublicCode(kind) ? kind : null;
    this.status = options.status ?? spec.status;
    this.type = spec.type;
    this.param = options.param !== undefined ? options.param : 'param' in spec ? spec.param : null;
    this.retryable = spec.retryable;
    const { retryAfter, retryAfterMs } = options;
    this.retryAfterMs = retryAfterMs ?? (retryAfter === undefined ? undefined : retryAfter * 1000);
    this.retryAfter = retryAfter ?? (retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000));
    this.provider = options.provider;
    this.providerCode = options.providerCode ?? null;
    this.upstreamStatus = options.upstreamStatus;
    this.headers = options.headers;
  }

  /** The code on the wire: the provider's own when it gave one, else ours. */
  get wireCode(): string | null {
    return this.providerCode ?? this.code;
  }

  /** The same error told with another message (the story of every attempt), everything else kept. */
  withMessage(message: string): GatewayError {
    return new GatewayError(this.kind, {
      message,
      param: this.param,
      status: this.status,
      providerCode: this.providerCode,
      ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(this.provider === undefined ? {} : { provider: this.provider }),
      ...(this.headers === undefined ? {} : { headers: this.headers }),
      cause: this,
    });
  }

  /** OpenAI's wire shape; kept for callers that have not moved to the renderers. */
  toBody(): OpenAIErrorBody {
    return openAIErrorBody(this);
  }
}

/** The one way to make a GatewayError: a code from the catalogue, and what the catalogue cannot know. */
export const gatewayError = (code: GatewayErrorCode, options?: GatewayErrorOptions): GatewayError =>
  new GatewayError(code, options);

// Shorthands for the errors raised most often; each is only a code from the catalogue.

export const invalidRequest = (
  message: string,
  param: string | null = null,
  code: CodeWhere<{ type: 'invalid_request_error'; status: 400 }> | null = null,
) => gatewayError(code ?? 'invalid_request', { message, param });

export const unauthorized = (message?: string) =>
  gatewayError('invalid_api_key', message === undefined ? {} : { message });

export const forbidden = (message: string, code: CodeWhere<{ type: 'permission_error' }>) =>
  gatewayError(code, { message });

export const modelNotFound = (model: string, why?: string) =>
  gatewayError('model_not_found', {
    message: `The model \`${model}\` does not exist or you do not have access to it${why ? `: ${why}` : ''}.`,
  });

export const notFound = (message: string) => gatewayError('not_found', { message });

/** A key's own rate limit refused the request; `headers` say where its windows stand (`x-ratelimit-*`). */
export const rateLimited = (message: string, retryAfter: number, headers?: Record<string, string>) =>
  gatewayError('rate_limit_exceeded', { message, retryAfter, ...(headers ? { headers } : {}) });

export const bodyTooLarge = (limit: number) =>
  gatewayError('request_too_large', { message: `Request body is larger than the limit of ${limit} bytes.` });

export const internalError = (cause: unknown) => gatewayError('internal_error', { cause });
