// Vertex AI on Google's Application Default Credentials, each place Google's libraries find them: an
// `authorized_user` file named by GOOGLE_APPLICATION_CREDENTIALS (refresh-token grant at the fake token
// endpoint), gcloud's well-known file under $HOME, and the metadata server (GCE_METADATA_HOST pointing at
// the fake's), which also names the project. Unusable credentials stop the start with one clear line.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { AccessTokenSource } from '../../src/providers/vertex/access-token.js';
import { type FakeVertex, startFakeVertex } from '../fakes/vertex.js';
import { readJson, startTestGateway } from '../support/gateway.js';

const REPLY = 'alpha beta gamma';
const CHAT = { model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] };

let fake: FakeVertex;
let dir: string;

before(async () => {
  fake = await startFakeVertex();
  fake.google.options.reply = REPLY;
  dir = mkdtempSync(join(tmpdir(), 'tokgate-adc-'));
});

after(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(path: string, value: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/** A gateway on `env`: five concurrent chats and one more, each answered; then the gateway is closed. */
async function chatThrough(env: Record<string, string>): Promise<void> {
  const gw = await startTestGateway({ VERTEX_BASE_URL: fake.url, ...env });
  try {
    const { key } = await gw.createKey();
    const ask = async () => {
      const res = await gw.call('/v1/chat/completions', { method: 'POST', key, json: CHAT });
      const body = await readJson(res);
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.choices[0].message.content, REPLY);
    };
    await Promise.all(Array.from({ length: 5 }, ask));
    await ask();
  } finally {
    await gw.close();
  }
}

const reset = () => {
  fake.exchanges.length = 0;
  fake.calls.length = 0;
  fake.metadataCalls.length = 0;
};

describe('Vertex AI on Application Default Credentials', () => {
  test('GOOGLE_APPLICATION_CREDENTIALS naming an authorized_user file: one refresh-token grant, the quota project billed', async () => {
    reset();
    const file = writeJson(join(dir, 'user.json'), fake.user);
    await chatThrough({ GOOGLE_APPLICATION_CREDENTIALS: file, GOOGLE_VERTEX_PROJECT: 'my-project' });
    assert.equal(fake.exchanges.length, 1, 'six requests, five of them concurrent, one grant');
    assert.deepEqual(fake.exchanges[0], {
      refresh_token: fake.user.refresh_token,
      client_id: fake.user.client_id,
      client_secret: fake.user.client_secret,
      grant_type: 'refresh_token',
    });
    assert.equal(fake.calls.length, 6);
    for (const call of fake.calls) {
      assert.match(call.path, /^\/v1\/projects\/my-project\/locations\/us-central1\/publishers\/google\//);
      assert.match(call.authorization ?? '', /^Bearer ya29\.fake-/);
      assert.equal(call.userProject, 'billed-project', 'x-goog-user-project from quota_project_id');
    }
  });

  test("gcloud's well-known file under $HOME; the project from GOOGLE_CLOUD_PROJECT; GOOGLE_CLOUD_QUOTA_PROJECT wins", async () => {
    reset();
    const home = join(dir, 'home');
    writeJson(join(home, '.config', 'gcloud', 'application_default_credentials.json'), fake.user);
    await chatThrough({
      HOME: home,
      GOOGLE_VERTEX_LOCATION: 'europe-west4',
      GOOGLE_CLOUD_PROJECT: 'cloud-project',
      GOOGLE_CLOUD_QUOTA_PROJECT: 'quota-override',
    });
    assert.equal(fake.exchanges.length, 1);
    assert.equal(fake.exchanges[0]?.grant_type, 'refresh_token');
    assert.match(fake.calls[0]?.path ?? '', /^\/v1\/projects\/cloud-project\/locations\/europe-west4\//);
    assert.equal(fake.calls[0]?.userProject, 'quota-override');
  });

  test('the metadata server: its project, its token (Metadata-Flavor: Google), fetched once for concurrent requests', async () => {
    reset();
    await chatThrough({ GOOGLE_VERTEX_LOCATION: 'us-east5', GCE_METADATA_HOST: fake.metadataHost });
    assert.equal(fake.exchanges.length, 0, 'no token endpoint');
    assert.deepEqual(fake.metadataCalls, [
      { path: '/computeMetadata/v1/project/project-id', flavored: true },
      { path: '/computeMetadata/v1/instance/service-accounts/default/token', flavored: true },
    ]);
    assert.equal(fake.calls.length, 6);
    for (const call of fake.calls) {
      assert.match(call.path, /^\/v1\/projects\/gce-project\/locations\/us-east5\//);
      assert.equal(call.userProject, undefined);
    }
  });

  test('a metadata server refusing the token is a 502 upstream_auth_failed; the next request asks again', async () => {
    reset();
    const gw = await startTestGateway({
      VERTEX_BASE_URL: fake.url,
      GOOGLE_VERTEX_PROJECT: 'p',
      GCE_METADATA_HOST: fake.metadataHost,
    });
    try {
      const { key } = await gw.createKey();
      fake.tokenFaults.push(404);
      const refused = await gw.call('/v1/chat/completions', { method: 'POST', key, json: CHAT });
      assert.equal(refused.status, 502);
      const body = await readJson(refused);
      assert.equal(body.error.code, 'upstream_auth_failed');
      assert.match(body.error.message, /metadata server answered 404/);
      const ok = await gw.call('/v1/chat/completions', { method: 'POST', key, json: CHAT });
      assert.equal(ok.status, 200);
      assert.equal(fake.metadataCalls.length, 2, 'no project lookup: GOOGLE_VERTEX_PROJECT names it');
    } finally {
      await gw.close();
    }
  });

  test('no project anywhere and no metadata server: the start stops with a ConfigError', async () => {
    await assert.rejects(
      startTestGateway({ GOOGLE_VERTEX_LOCATION: 'us-east5', GCE_METADATA_HOST: '127.0.0.1:1' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /GOOGLE_VERTEX_PROJECT is not set and the metadata server \(127\.0\.0\.1:1\) did not name the project/.test(
          error.message,
        ),
    );
  });
});

describe('Vertex AI on workload identity federation (external_account)', () => {
  const federated = (source: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'external_account',
    audience: fake.federation.audience,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: `${fake.url}/sts/v1/token`,
    credential_source: source,
    ...extra,
  });
  const by = (authorization: string | undefined) =>
    fake.issuedBy.get(/^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '');

  test('a file-sourced subject token exchanged at STS; the federated token calls Vertex', async () => {
    reset();
    fake.stsExchanges.length = 0;
    const subject = join(dir, 'oidc-token');
    writeFileSync(subject, fake.federation.subjectToken);
    const file = writeJson(join(dir, 'federation-file.json'), federated({ file: subject }));
    await chatThrough({ GOOGLE_APPLICATION_CREDENTIALS: file, GOOGLE_VERTEX_PROJECT: 'my-project' });
    assert.deepEqual(fake.stsExchanges, [
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        audience: fake.federation.audience,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token: fake.federation.subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      },
    ]);
    assert.equal(fake.calls.length, 6);
    for (const call of fake.calls) assert.equal(by(call.authorization), 'sts');
  });

  test('a URL-sourced JSON subject token (with its headers), then the service account impersonated', async () => {
    reset();
    fake.stsExchanges.length = 0;
    fake.impersonations.length = 0;
    const file = writeJson(
      join(dir, 'federation-url.json'),
      federated(
        {
          url: `${fake.url}/oidc-token`,
          headers: { Metadata: 'true' },
          format: { type: 'json', subject_token_field_name: 'access_token' },
        },
        {
          service_account_impersonation_url: `${fake.url}/iam/v1/projects/-/serviceAccounts/${fake.federation.serviceAccount}:generateAccessToken`,
          service_account_impersonation: { token_lifetime_seconds: 1800 },
        },
      ),
    );
    await chatThrough({ GOOGLE_APPLICATION_CREDENTIALS: file, GOOGLE_VERTEX_PROJECT: 'my-project' });
    assert.equal(fake.stsExchanges.length, 1);
    assert.equal(fake.stsExchanges[0]?.subject_token, fake.federation.subjectToken);
    assert.equal(fake.impersonations.length, 1, 'one impersonation for six requests');
    assert.equal(by(fake.impersonations[0]?.authorization), 'sts');
    assert.deepEqual(fake.impersonations[0]?.body, {
      scope: ['https://www.googleapis.com/auth/cloud-platform'],
      lifetime: '1800s',
    });
    for (const call of fake.calls) assert.equal(by(call.authorization), 'iam');
  });

  test('client authentication (HTTP Basic) at STS; the client secret kept apart for log redaction', async () => {
    reset();
    fake.stsExchanges.length = 0;
    const subject = join(dir, 'oidc-token-basic');
    writeFileSync(subject, fake.federation.subjectToken);
    const account = federated(
      { file: subject },
      { client_id: 'workforce-client', client_secret: 'wf-secret', workforce_pool_user_project: 'up' },
    );
    const options = loadConfig({
      TOKGATE_CONFIG: '',
      GOOGLE_VERTEX_PROJECT: 'p',
      GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify(account),
    }).providers.find((p) => p.id === 'vertex')?.options;
    assert.equal(options?.client_secret, 'wf-secret');
    assert.doesNotMatch(options?.external_account ?? '', /wf-secret/);
    await chatThrough({
      GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify(account),
      GOOGLE_VERTEX_PROJECT: 'p',
    });
    assert.equal(fake.stsExchanges.length, 1);
    const exchange = fake.stsExchanges[0]!;
    assert.equal(
      exchange.authorization,
      `Basic ${Buffer.from('workforce-client:wf-secret').toString('base64')}`,
    );
    assert.equal(exchange.options, undefined, 'client authentication over the user project option');
  });

  test('a subject token STS refuses is a 502 upstream_auth_failed naming the OAuth error', async () => {
    const subject = join(dir, 'stale-token');
    writeFileSync(subject, 'eyJ.not-trusted');
    const file = writeJson(join(dir, 'federation-stale.json'), federated({ file: subject }));
    const gw = await startTestGateway({
      VERTEX_BASE_URL: fake.url,
      GOOGLE_APPLICATION_CREDENTIALS: file,
      GOOGLE_VERTEX_PROJECT: 'p',
    });
    try {
      const { key } = await gw.createKey();
      const res = await gw.call('/v1/chat/completions', { method: 'POST', key, json: CHAT });
      assert.equal(res.status, 502);
      const body = await readJson(res);
      assert.equal(body.error.code, 'upstream_auth_failed');
      assert.match(body.error.message, /invalid_grant: The subject token is invalid/);
      // The platform rotates the file: the next request reads it again.
      writeFileSync(subject, fake.federation.subjectToken);
      const ok = await gw.call('/v1/chat/completions', { method: 'POST', key, json: CHAT });
      assert.equal(ok.status, 200);
    } finally {
      await gw.close();
    }
  });
});

describe('Application Default Credentials: which, in what order', () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ TOKGATE_CONFIG: '', GOOGLE_VERTEX_PROJECT: 'p', ...env }).providers.find(
      (p) => p.id === 'vertex',
    );

  test('GOOGLE_APPLICATION_CREDENTIALS before the well-known file, which comes before the metadata server', () => {
    const home = join(dir, 'order-home');
    writeJson(join(home, '.config', 'gcloud', 'application_default_credentials.json'), fake.user);
    const keyFile = writeJson(join(dir, 'key.json'), fake.key);
    assert.equal(
      load({ HOME: home, GOOGLE_APPLICATION_CREDENTIALS: keyFile })?.options.auth,
      'service_account',
    );
    assert.equal(load({ HOME: home })?.options.auth, 'authorized_user');
    const metadata = load({ HOME: join(dir, 'nobody'), GCE_METADATA_HOST: 'md.test:8080' });
    assert.equal(metadata?.options.auth, 'metadata');
    assert.equal(metadata?.options.metadata_host, 'md.test:8080');
    assert.equal(load({})?.options.metadata_host, 'metadata.google.internal');
    assert.equal(load({ GCE_METADATA_IP: '10.0.0.9' })?.options.metadata_host, '10.0.0.9');
  });

  test('the project: GOOGLE_VERTEX_PROJECT, then GCLOUD_PROJECT / GOOGLE_CLOUD_PROJECT, then the key', () => {
    const inline = JSON.stringify(fake.key);
    const project = (env: Record<string, string>) =>
      loadConfig({ TOKGATE_CONFIG: '', GOOGLE_VERTEX_LOCATION: 'us-east5', ...env }).providers.find(
        (p) => p.id === 'vertex',
      )?.options.project;
    assert.equal(project({ GOOGLE_APPLICATION_CREDENTIALS_JSON: inline }), 'tokgate-test');
    assert.equal(project({ GOOGLE_APPLICATION_CREDENTIALS_JSON: inline, GOOGLE_CLOUD_PROJECT: 'g' }), 'g');
    assert.equal(project({ GOOGLE_APPLICATION_CREDENTIALS_JSON: inline, GCLOUD_PROJECT: 'c' }), 'c');
    assert.equal(
      project({
        GOOGLE_APPLICATION_CREDENTIALS_JSON: inline,
        GCLOUD_PROJECT: 'c',
        GOOGLE_VERTEX_PROJECT: 'v',
      }),
      'v',
    );
    assert.equal(project({}), '', 'the metadata server names it at start');
  });

  test('unusable credentials: one clear line each', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'missing.json') },
        /^GOOGLE_APPLICATION_CREDENTIALS \(.*missing\.json\) cannot be read: ENOENT/,
      ],
      [
        {
          GOOGLE_APPLICATION_CREDENTIALS: writeJson(join(dir, 'aws.json'), {
            type: 'external_account',
            audience:
              '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/aws',
            subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request',
            token_url: 'https://sts.googleapis.com/v1/token',
            credential_source: {
              environment_id: 'aws1',
              region_url: 'http://169.254.169.254/latest/meta-data/placement/availability-zone',
              url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials',
              regional_cred_verification_url:
                'https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15',
            },
          }),
        },
        /external_account credentials sourced from AWS are not supported by tokgate$/,
      ],
      [
        {
          GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify({
            type: 'external_account',
            audience: 'a',
            subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
            credential_source: { file: '/t', format: { type: 'json' } },
          }),
        },
        /external_account credentials in the json format need subject_token_field_name$/,
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify({ type: 'impersonated_service_account' }) },
        /is impersonated_service_account credentials \(service-account impersonation\), which tokgate does not support/,
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify({ ...fake.user, refresh_token: undefined }) },
        /^GOOGLE_APPLICATION_CREDENTIALS_JSON: authorized_user credentials without refresh_token$/,
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify({ type: 'something_else' }) },
        /must be a service-account key \(type service_account\) or gcloud user credentials/,
      ],
      [{ METADATA_SERVER_DETECTION: 'none' }, /^Vertex AI has no Google credentials/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => load(env),
        (error: unknown) =>
          error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'),
        `${JSON.stringify(env)} → ${message}`,
      );
    }
    assert.throws(
      () =>
        load({
          GOOGLE_VERTEX_PROJECT: '',
          GOOGLE_VERTEX_LOCATION: 'us-east5',
          GOOGLE_APPLICATION_CREDENTIALS_JSON: JSON.stringify(fake.user),
        }),
      /GOOGLE_VERTEX_PROJECT is not set and GOOGLE_APPLICATION_CREDENTIALS_JSON names no project_id/,
    );
  });
});

describe('AccessTokenSource', () => {
  test('cached until five minutes before expiry, then refreshed; callers during a refresh share it', async () => {
    let now = 1_000_000;
    let grants = 0;
    let release: (() => void) | undefined;
    const source = new AccessTokenSource(
      async () => {
        grants += 1;
        const n = grants;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { accessToken: `t${n}`, expiresInS: 3600 };
      },
      () => now,
    );
    const first = [source.get(), source.get(), source.get()];
    release?.();
    assert.deepEqual(await Promise.all(first), ['t1', 't1', 't1']);
    assert.equal(grants, 1);
    now += 55 * 60_000 - 1; // just before expiry − 5 min
    assert.equal(await source.get(), 't1');
    now += 1;
    const again = [source.get(), source.get()];
    release?.();
    assert.deepEqual(await Promise.all(again), ['t2', 't2']);
    assert.equal(grants, 2);
  });

  test('a failed grant is not cached: the next caller asks again', async () => {
    let grants = 0;
    const source = new AccessTokenSource(async () => {
      grants += 1;
      if (grants === 1) throw new Error('refused');
      return { accessToken: 'ok', expiresInS: undefined };
    });
    await assert.rejects(source.get(), /refused/);
    assert.equal(await source.get(), 'ok');
    assert.equal(grants, 2);
  });
});
