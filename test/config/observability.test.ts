// The observability settings read from the environment: OTEL_* (tracing off unless an endpoint is set) and
// TOKGATE_TRUST_PROXY.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const load = (env: Record<string, string>) =>
  loadConfig({ DATABASE_URL: 'sqlite::memory:', TOKGATE_CONFIG: '', ...env }).observability;

test('tracing is off unless an OTLP endpoint is set', () => {
  assert.equal(load({}).tracing, undefined);
  assert.equal(load({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }).tracing, undefined);
  assert.equal(
    load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing,
    undefined,
  );
  assert.equal(
    load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing,
    undefined,
  );
});

test('the endpoints: the base one gets /v1/traces, the traces one is used as given', () => {
  const base = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing!;
  assert.equal(base.url, 'http://collector:4318/v1/traces');
  assert.equal(base.serviceName, 'tokgate');
  assert.deepEqual(base.sampler, { ratio: 1, parentBased: true });
  assert.equal(base.captureContent, false);
  const signal = load({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example.com/custom/traces',
    OTEL_SERVICE_NAME: 'gw-eu',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
    TOKGATE_OTEL_CAPTURE_CONTENT: 'true',
  }).tracing!;
  assert.equal(signal.url, 'https://otlp.example.com/custom/traces');
  assert.equal(signal.serviceName, 'gw-eu');
  assert.deepEqual(signal.sampler, { ratio: 0.25, parentBased: true });
  assert.equal(signal.captureContent, true);
  assert.deepEqual(
    load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_TRACES_SAMPLER: 'always_off' }).tracing!.sampler,
    {
      ratio: 0,
      parentBased: false,
    },
  );
});

test('mistakes name the variable', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, /OTEL_EXPORTER_OTLP_ENDPOINT/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER/],
    [
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '2',
      },
      /OTEL_TRACES_SAMPLER_ARG/,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', TOKGATE_OTEL_CAPTURE_CONTENT: 'yes' },
      /TOKGATE_OTEL_CAPTURE_CONTENT/,
    ],
    [{ TOKGATE_TRUST_PROXY: '10.0.0.0/99' }, /TOKGATE_TRUST_PROXY/],
    [{ TOKGATE_TRUST_PROXY: 'proxy.internal' }, /TOKGATE_TRUST_PROXY/],
  ];
  for (const [env, message] of cases)
    assert.throws(
      () => load(env),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
});

test('TOKGATE_TRUST_PROXY: off, every proxy, a hop count, or addresses and ranges', () => {
  assert.equal(load({}).trustProxy, false);
  assert.equal(load({ TOKGATE_TRUST_PROXY: 'false' }).trustProxy, false);
  assert.equal(load({ TOKGATE_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(load({ TOKGATE_TRUST_PROXY: '2' }).trustProxy, 2);
  assert.deepEqual(
    load({ TOKGATE_TRUST_PROXY: '10.0.0.0/8, 192.168.1.5,::1,fd00::/8, loopback' }).trustProxy,
    ['10.0.0.0/8', '192.168.1.5', '::1', 'fd00::/8', 'loopback'],
  );
});
