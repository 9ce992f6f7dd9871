// A fake Google Vertex AI: an OAuth2 token endpoint that verifies the service account's signed JWT (RS256,
// with the test key's public half) or a user's refresh token and issues access tokens, Google's STS token
// exchange and IAM generateAccessToken (workload identity federation) with a subject-token URL of an
// "other cloud", a GCE metadata server (its own port, as GCE_METADATA_HOST) that issues tokens to the
// "instance", and Vertex's publisher paths
// (`/v1/projects/{p}/locations/{l}/publishers/{google|anthropic}/models/{m}:{method}`), which check the
// access token and Vertex's own rules, then hand the call to the fake Gemini API or fake Anthropic API
// (test/fakes/google.ts, anthropic.ts) in their own wire formats, so every translation check of those
// fakes applies here too; Imagen's `:predict` goes to the images fake's Imagen dialect (images.ts), whose
// wire Vertex shares.
//
// Vertex's rules reproduced: `Authorization: Bearer <access token>` (401 UNAUTHENTICATED otherwise);
// Anthropic models take the body without `model` and with `anthropic_version: "vertex-2023-10-16"`
// (400 otherwise), on `:rawPredict` and `:streamRawPredict`.
import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeAnthropic, startFakeAnthropic } from './anthropic.js';
import { parseBody, readBody } from './exchange.js';
import { type FakeGoogle, startFakeGoogle } from './google.js';
import { type FakeImages, startFakeImages } from './images.js';

/** A service-account key pair for tests, and its JSON key file pointing at the fake's token endpoint. */
export function testServiceAccount(tokenUri: string, project = 'tokgate-test') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = {
    type: 'service_account',
    project_id: project,
    private_key_id: 'test-key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: `gateway@${project}.iam.gserviceaccount.com`,
    client_id: '1',
    token_uri: tokenUri,
  };
  return { key, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** The `authorized_user` file `gcloud auth application-default login` writes, for the fake's token endpoint. */
export function testAuthorizedUser(tokenUri: string) {
  return {
    type: 'authorized_user',
    client_id: '764086051850-test.apps.googleusercontent.com',
    client_secret: 'd-FL95Q19q7MQmFpd7hHD0Ty',
    refresh_token: `1//0g-test-${randomBytes(8).toString('hex')}`,
    quota_project_id: 'billed-project',
    token_uri: tokenUri,
  };
}

export interface VertexCall {
  path: string;
  authorization: string | undefined;
  /** `x-goog-user-project`: the quota project user credentials bill. */
  userProject: string | undefined;
  body: unknown;
}

export interface FakeVertex {
  /** Base URL, as VERTEX_BASE_URL (the fake's root). */
  url: string;
  tokenUri: string;
  /** The service-account key file the fake trusts. */
  key: Record<string, string>;
  /** Token exchanges, with the JWT claims each presented (a refresh-token grant: its form fields). */
  exchanges: Array<Record<string, unknown>>;
  /** The user credentials the token endpoint honours (`authorized_user` file, pointing at the fake). */
  user: Record<string, string>;
  /** Workload identity federation: the pool's audience, the subject token it trusts, the account to impersonate. */
  federation: { audience: string; subjectToken: string; serviceAccount: string };
  /** STS exchanges (their form fields, and the Authorization header as `authorization` when sent) and
   * generateAccessToken calls (authorization, body). */
  stsExchanges: Array<Record<string, string>>;
  impersonations: Array<{ authorization: string | undefined; body: unknown }>;
  /** Who issued each access token: `oauth`, `sts`, `iam` or `metadata`. */
  issuedBy: Map<string, string>;
  /** The metadata server's `host:port` (GCE_METADATA_HOST). */
  metadataHost: string;
  /** The project the metadata server names. */
  metadataProject: string;
  /** Requests the metadata server answered: `path` and whether `Metadata-Flavor: Google` came with it. */
  metadataCalls: Array<{ path: string; flavored: boolean }>;
  calls: VertexCall[];
  /** Lifetime of the tokens issued, seconds (default 3600). */
  tokenLifetimeS: number;
  /** Answer the next token exchanges with this status and OAuth error body. */
  tokenFaults: number[];
  google: FakeGoogle;
  anthropic: FakeAnthropic;
  /** Imagen's `:predict`, relayed to the images fake's Imagen dialect. */
  imagen: FakeImages;
  close(): Promise<void>;
}

const fromBase64url = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

export async function startFakeVertex(): Promise<FakeVertex> {
  const google = await startFakeGoogle();
  const anthropic = await startFakeAnthropic();
  const imagen = await startFakeImages('google');
  const issued = new Set<string>();
  let publicKeyPem = '';

  const fake: FakeVertex = {
    url: '',
    tokenUri: '',
    key: {},
    exchanges: [],
    user: {},
    federation: {
      audience:
        '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/oidc',
      subjectToken: `eyJ.subject-${randomBytes(6).toString('hex')}`,
      serviceAccount: 'gateway@tokgate-test.iam.gserviceaccount.com',
    },
    stsExchanges: [],
    impersonations: [],
    issuedBy: new Map(),
    metadataHost: '',
    metadataProject: 'gce-project',
    metadataCalls: [],
    calls: [],
    tokenLifetimeS: 3600,
    tokenFaults: [],
    google,
    anthropic,
    imagen,
    close,
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const rpcError = (res: ServerResponse, status: number, state: string, message: string) =>
    send(res, status, { error: { code: status, message, status: state } });

  /** The grant's header and claims, or why Google's token endpoint would refuse it. */
  function checkAssertion(
    form: URLSearchParams,
  ): string | { head: Record<string, unknown>; body: Record<string, unknown> } {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return 'Invalid grant_type';
    const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
    if (!header || !claims || !signature) return 'Invalid JWT';
    const verified = createVerify('RSA-SHA256')
      .update(`${header}.${claims}`)
      .verify(publicKeyPem, Buffer.from(signature, 'base64url'));
    if (!verified) return 'Invalid JWT Signature.';
    const head = fromBase64url(header);
    const body = fromBase64url(claims);
    const now = Math.floor(Date.now() / 1000);
    if (head.alg !== 'RS256') return 'Invalid JWT: alg';
    if (body.iss !== fake.key.client_email) return 'Invalid JWT: iss';
    if (body.aud !== fake.tokenUri) return 'Invalid JWT: aud';
    if (body.scope !== 'https://www.googleapis.com/auth/cloud-platform') return 'Invalid JWT: scope';
    if (typeof body.iat !== 'number' || Math.abs(body.iat - now) > 300) return 'Invalid JWT: iat';
    if (typeof body.exp !== 'number' || body.exp - body.iat > 3600) return 'Invalid JWT: exp';
    return { head, body };
  }

  /** The refresh-token grant: Google answers `invalid_client` or `invalid_grant` for what does not match. */
  function checkRefresh(form: URLSearchParams): string | undefined {
    if (
      form.get('client_id') !== fake.user.client_id ||
      form.get('client_secret') !== fake.user.client_secret
    ) {
      return 'invalid_client';
    }
    if (form.get('refresh_token') !== fake.user.refresh_token) return 'invalid_grant';
    return undefined;
  }

  const issue = (by = 'oauth') => {
    const accessToken = `ya29.fake-${randomBytes(12).toString('base64url')}`;
    issued.add(accessToken);
    fake.issuedBy.set(accessToken, by);
    return { access_token: accessToken, expires_in: fake.tokenLifetimeS, token_type: 'Bearer' };
  };

  /** Checks the grant the way Google's token endpoint does (the parts a client can get wrong). */
  function token(raw: string, res: ServerResponse): void {
    const form = new URLSearchParams(raw);
    const fault = fake.tokenFaults.shift();
    if (fault !== undefined) {
      send(res, fault, { error: 'invalid_grant', error_description: 'Invalid JWT Signature. (fake fault)' });
      return;
    }
    if (form.get('grant_type') === 'refresh_token') {
      const refused = checkRefresh(form);
      if (refused) {
        send(res, refused === 'invalid_client' ? 401 : 400, {
          error: refused,
          error_description: 'Bad Request',
        });
        return;
      }
      fake.exchanges.push(Object.fromEntries(form));
      send(res, 200, { ...issue(), scope: 'https://www.googleapis.com/auth/cloud-platform openid' });
      return;
    }
    const checked = checkAssertion(form);
    if (typeof checked === 'string') {
      send(res, 400, { error: 'invalid_grant', error_description: checked });
      return;
    }
    const { head, body } = checked;
    fake.exchanges.push({ ...head, ...body });
    send(res, 200, issue());
  }

  /** Google STS (RFC 8693): the pool's audience and the trusted subject token become a federated token. */
  function sts(raw: string, authorization: string | undefined, res: ServerResponse) {
    const form = Object.fromEntries(new URLSearchParams(raw));
    fake.stsExchanges.push(authorization ? { ...form, authorization } : form);
    const wrong =
      form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange' ||
      form.requested_token_type !== 'urn:ietf:params:oauth:token-type:access_token' ||
      form.subject_token_type !== 'urn:ietf:params:oauth:token-type:jwt' ||
      form.scope !== 'https://www.googleapis.com/auth/cloud-platform';
    if (wrong)
      return send(res, 400, { error: 'invalid_request', error_description: 'Invalid token exchange' });
    if (form.audience !== fake.federation.audience) {
      return send(res, 400, {
        error: 'invalid_target',
        error_description: 'The target service indicated by the "audience" parameters is invalid.',
      });
    }
    if (form.subject_token !== fake.federation.subjectToken) {
      return send(res, 400, { error: 'invalid_grant', error_description: 'The subject token is invalid.' });
    }
    const { access_token, expires_in } = issue('sts');
    send(res, 200, {
      access_token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in,
    });
  }

  /** IAM Credentials generateAccessToken: a federated token → the service account's own token. */
  function impersonate(email: string, raw: string, authorization: string | undefined, res: ServerResponse) {
    const body = parseBody(raw) as { scope?: string[]; lifetime?: string } | undefined;
    fake.impersonations.push({ authorization, body });
    const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!bearer || fake.issuedBy.get(bearer) !== 'sts') {
      return rpcError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    if (email !== fake.federation.serviceAccount) {
      return rpcError(
        res,
        403,
        'PERMISSION_DENIED',
        `Permission 'iam.serviceAccounts.getAccessToken' denied on ${email}`,
      );
    }
    const { access_token, expires_in } = issue('iam');
    send(res, 200, {
      accessToken: access_token,
      expireTime: new Date(Date.now() + expires_in * 1000).toISOString(),
    });
  }

  /**
   * The metadata server's two paths tokgate reads, with its rules: requests without `Metadata-Flavor: Google`
   * are refused (403), answers carry the header; the token is JSON, the project id plain text.
   */
  function metadata(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const flavored = req.headers['metadata-flavor'] === 'Google';
    fake.metadataCalls.push({ path: url.pathname, flavored });
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'metadata-flavor': 'Google' });
      res.end(body);
    };
    if (!flavored) return answer(403, 'text/html', 'Missing Metadata-Flavor:Google header.');
    if (url.pathname === '/computeMetadata/v1/instance/service-accounts/default/token') {
      const fault = fake.tokenFaults.shift();
      if (fault !== undefined) return answer(fault, 'text/plain', 'fake fault');
      return answer(200, 'application/json', JSON.stringify(issue('metadata')));
    }
    if (url.pathname === '/computeMetadata/v1/project/project-id') {
      return answer(200, 'application/text', fake.metadataProject);
    }
    return answer(404, 'text/html', 'Not Found');
  }
  const metadataServer = createServer(metadata);

  /** Relays a call to a fake in its own wire format and pipes its answer back. */
  function relay(target: string, headers: Record<string, string>, body: string, res: ServerResponse) {
    const upstream = httpRequest(target, { method: 'POST', headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      // A connection the relayed fake cuts is cut here too (pipe alone would leave this one open).
      answer.on('aborted', () => res.destroy());
      answer.on('error', () => res.destroy());
      answer.pipe(res);
    });
    res.on('close', () => upstream.destroy());
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname === '/token' && req.method === 'POST') return token(raw, res);
    if (url.pathname === '/sts/v1/token' && req.method === 'POST')
      return sts(raw, req.headers.authorization, res);
    const iam = /^\/iam\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url.pathname);
    if (iam && req.method === 'POST')
      return impersonate(decodeURIComponent(iam[1] ?? ''), raw, req.headers.authorization, res);
    // The "other cloud's" token endpoint (Azure IMDS style): JSON, only with `Metadata: true`.
    if (url.pathname === '/oidc-token') {
      if (req.headers.metadata !== 'true') return send(res, 400, { error: 'missing Metadata header' });
      return send(res, 200, { access_token: fake.federation.subjectToken, token_type: 'Bearer' });
    }
    const body = parseBody(raw);
    fake.calls.push({
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      userProject: req.headers['x-goog-user-project'] as string | undefined,
      body,
    });
    const route =
      /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(\w+)$/.exec(
        url.pathname,
      );
    if (!route) return rpcError(res, 404, 'NOT_FOUND', `${url.pathname} is not a Vertex AI path`);
    const [, , , publisher, model, method] = route as unknown as string[];
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !issued.has(bearer)) {
      return rpcError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    if (publisher === 'google' && method === 'predict') {
      relay(
        `${imagen.url}/v1beta/models/${model}:predict`,
        { 'content-type': 'application/json', 'x-goog-api-key': 'up' },
        raw,
        res,
      );
      return;
    }
    if (publisher === 'google') {
      if (method !== 'generateContent' && method !== 'streamGenerateContent') {
        return rpcError(res, 400, 'INVALID_ARGUMENT', `Unknown method ${method}`);
      }
      relay(
        `${google.url}/v1beta/models/${model}:${method}${url.search}`,
        { 'content-type': 'application/json', 'x-goog-api-key': 'vertex-relay' },
        raw,
        res,
      );
      return;
    }
    if (method !== 'rawPredict' && method !== 'streamRawPredict') {
      return rpcError(res, 400, 'INVALID_ARGUMENT', `Unknown method ${method}`);
    }
    if (typeof body !== 'object' || body === null)
      return rpcError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON');
    const message = body as Record<string, unknown>;
    if ('model' in message) {
      return send(res, 400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'model: Extra inputs are not permitted' },
      });
    }
    if (message.anthropic_version !== 'vertex-2023-10-16') {
      return send(res, 400, {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: 'anthropic_version: Input should be "vertex-2023-10-16"',
        },
      });
    }
    const { anthropic_version: _version, ...rest } = message;
    relay(
      `${anthropic.url}/v1/messages`,
      { 'content-type': 'application/json', 'x-api-key': 'vertex-relay', 'anthropic-version': '2023-06-01' },
      JSON.stringify({ ...rest, model: decodeURIComponent(model ?? '') }),
      res,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) rpcError(res, 500, 'INTERNAL', `fake crashed: ${String(error)}`);
      else res.destroy();
    });
  });

  async function close(): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await new Promise<void>((resolve) => metadataServer.close(() => resolve()));
    await google.close();
    await anthropic.close();
    await imagen.close();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.tokenUri = `${fake.url}/token`;
  const account = testServiceAccount(fake.tokenUri);
  fake.key = account.key;
  publicKeyPem = account.publicKeyPem;
  fake.user = testAuthorizedUser(fake.tokenUri);
  await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
  fake.metadataHost = `127.0.0.1:${(metadataServer.address() as AddressInfo).port}`;
  return fake;
}

/**
 * The shape the provider contract suite drives (test/contract/providers.test.ts), for one publisher on a
 * fake Vertex: requests, faults and options are the relayed Gemini or Anthropic fake's, so its faults
 * travel back through Vertex's paths as they would from the real service.
 */
export async function startVertexContractFake(publisher: 'google' | 'anthropic') {
  const vertex = await startFakeVertex();
  const inner: FakeGoogle | FakeAnthropic = publisher === 'google' ? vertex.google : vertex.anthropic;
  return {
    url: vertex.url,
    vertex,
    get requests() {
      return inner.requests;
    },
    get faults() {
      return inner.faults;
    },
    get options() {
      return inner.options;
    },
    set options(value) {
      inner.options = value;
    },
    get aborted() {
      return inner.aborted;
    },
    close: () => vertex.close(),
  };
}
