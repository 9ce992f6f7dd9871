// What the environment says about observability: tracing (the standard OTEL_* variables, off unless an
// OTLP endpoint is set), the content opt-in, and which proxies' X-Forwarded-For is believed.
import { isIP } from 'node:net';

/** Tracing as OTEL_* configures it. */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL (`<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`, or the traces endpoint as given). */
  url: string;
  /** OTEL_SERVICE_NAME (default `tokgate`). */
  serviceName: string;
  /** OTEL_TRACES_SAMPLER (+ _ARG): the fraction of new traces kept, and whether a client's sampled flag decides. */
  sampler: { ratio: number; parentBased: boolean };
  /** TOKGATE_OTEL_CAPTURE_CONTENT=true: prompts and answers on the request span (opt-in, sensitive). */
  captureContent: boolean;
}

/** Fastify's `trustProxy`: true (every hop), a hop count, or the proxies' addresses and CIDR ranges. */
export type TrustProxy = boolean | number | string[];

export interface ObservabilitySettings {
  /** Undefined: tracing off (nothing of the OpenTelemetry SDK is loaded). */
  tracing: TracingSettings | undefined;
  trustProxy: TrustProxy;
}

type Fail = (message: string) => Error;

const SAMPLERS: Record<string, { parentBased: boolean; ratio?: number }> = {
  always_on: { parentBased: false, ratio: 1 },
  always_off: { parentBased: false, ratio: 0 },
  traceidratio: { parentBased: false },
  parentbased_always_on: { parentBased: true, ratio: 1 },
  parentbased_always_off: { parentBased: true, ratio: 0 },
  parentbased_traceidratio: { parentBased: true },
};

function tracesUrl(env: NodeJS.ProcessEnv, fail: Fail): string | undefined {
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  // The signal's endpoint is used as given; the base one gets the signal's path (the OTLP exporter spec).
  const [name, url] = signal
    ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', signal]
    : base
      ? ['OTEL_EXPORTER_OTLP_ENDPOINT', `${base.replace(/\/+$/, '')}/v1/traces`]
      : [undefined, undefined];
  if (!name || !url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail(`${name} must be an http(s) URL, like http://127.0.0.1:4318 (got '${signal ?? base}')`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw fail(`${name} must be an http(s) URL: tokgate exports OTLP over HTTP (got '${signal ?? base}')`);
  return url;
}

function sampler(env: NodeJS.ProcessEnv, fail: Fail): TracingSettings['sampler'] {
  const name = (env.OTEL_TRACES_SAMPLER || 'parentbased_always_on').toLowerCase();
  const known = SAMPLERS[name];
  if (!known)
    throw fail(`OTEL_TRACES_SAMPLER must be one of ${Object.keys(SAMPLERS).join(', ')} (got '${name}')`);
  if (known.ratio !== undefined) return { ratio: known.ratio, parentBased: known.parentBased };
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  const ratio = arg === undefined || arg === '' ? 1 : Number(arg);
  if (!(ratio >= 0 && ratio <= 1))
    throw fail(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 (got '${arg}')`);
  return { ratio, parentBased: known.parentBased };
}

function tracing(env: NodeJS.ProcessEnv, fail: Fail): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER && env.OTEL_TRACES_EXPORTER !== 'otlp') {
    if (env.OTEL_TRACES_EXPORTER === 'none') return undefined;
    throw fail(`OTEL_TRACES_EXPORTER must be otlp or none (got '${env.OTEL_TRACES_EXPORTER}')`);
  }
  const url = tracesUrl(env, fail);
  if (!url) return undefined;
  const capture = env.TOKGATE_OTEL_CAPTURE_CONTENT || env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
  if (capture && capture !== 'true' && capture !== 'false')
    throw fail(`TOKGATE_OTEL_CAPTURE_CONTENT must be true or false (got '${capture}')`);
  return {
    url,
    serviceName: env.OTEL_SERVICE_NAME || 'tokgate',
    sampler: sampler(env, fail),
    captureContent: capture === 'true',
  };
}

/** proxy-addr's names for ranges, which Fastify's trustProxy takes too. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const slash = entry.indexOf('/');
  if (slash < 0) return isIP(entry) !== 0;
  const version = isIP(entry.slice(0, slash));
  const bits = entry.slice(slash + 1);
  if (version === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (version === 4 ? 32 : 128);
}

/**
 * TOKGATE_TRUST_PROXY: unset or `false` (the client address is the connection's), `true` (the left-most
 * X-Forwarded-For address: only behind a proxy that overwrites the header), a hop count (`1`: one proxy in
 * front), or a comma-separated list of proxy addresses and CIDR ranges (also `loopback`, `linklocal`,
 * `uniquelocal`).
 */
function trustProxy(env: NodeJS.ProcessEnv, fail: Fail): TrustProxy {
  const raw = env.TOKGATE_TRUST_PROXY?.trim();
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw.split(',').map((entry) => entry.trim());
  const bad = list.find((entry) => !isAddressOrRange(entry));
  if (bad !== undefined)
    throw fail(
      `TOKGATE_TRUST_PROXY must be true, false, a hop count, or a comma-separated list of addresses and CIDR ranges (got '${bad}')`,
    );
  return list;
}

export function resolveObservability(env: NodeJS.ProcessEnv, fail: Fail): ObservabilitySettings {
  return { tracing: tracing(env, fail), trustProxy: trustProxy(env, fail) };
}
