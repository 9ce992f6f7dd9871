// The web console end to end: headless Chromium (Debian's, driven by playwright-core) against a real gateway
// with fake OpenAI and Anthropic upstreams. Signs in as admin, creates a key in the UI and uses it with the
// openai and Anthropic clients, finds both requests in the log (with the API each came through) and the
// spend on the overview, revokes the key in the UI and sees it refused, chats in the playground through
// Chat completions and through Anthropic Messages, and looks at the console as a tenant. Screenshots of every
// page go to test-artifacts/console/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { usd } from '../../console/src/format.js';
import {
  DEFAULT_REPLY as ANTHROPIC_REPLY,
  countInputTokens,
  type FakeAnthropic,
  startFakeAnthropic,
} from '../fakes/anthropic.js';
import { DEFAULT_REPLY, type FakeOpenAI, startFakeOpenAI, tokenize } from '../fakes/openai.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts/console';
const MODEL = 'openai/gpt-4o';
const CLAUDE = 'anthropic/claude-sonnet-4-5';

// Locally a machine without Chromium skips this suite; CI must run it.
const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is missing (apt-get install chromium); the console browser tests are skipped`
    : false;

describe('web console in Chromium', { skip, timeout: 180_000 }, () => {
  let fake: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  let secret = '';
  /** Script errors and console errors (a CSP violation is one); failed API calls are expected and left out. */
  const pageErrors: string[] = [];
  let keyId = '';
  /** The gateway's ids of the key's first requests: one through each API. */
  let chatRequestId = '';
  let messagesRequestId = '';

  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  const go = async (label: string) => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: label }).click();
  };
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const text = async (locator: Locator) => (await locator.textContent()) ?? '';
  /** The value of a `<dt>label</dt><dd>value</dd>` pair inside `scope`. */
  const property = (scope: Locator, label: string) =>
    scope.locator('div', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd');

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fake = await startFakeOpenAI({ chunkDelayMs: 15 });
    anthropic = await startFakeAnthropic({ chunkDelayMs: 15 });
    gw = await startTestGateway({
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'sk-ant-upstream',
      ANTHROPIC_BASE_URL: anthropic.url,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    // The console must work offline: any request to another origin fails the test.
    await context.route(
      (url) => url.origin !== new URL(gw.url).origin,
      (route) => route.abort(),
    );
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(message.text());
      }
    });
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    await fake?.close();
    await anthropic?.close();
  });

  test('serves the built console with caching headers', async () => {
    const index = await fetch(`${gw.url}/console`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    const html = await index.text();
    const asset = /\/console\/assets\/[\w.-]+\.js/.exec(html)?.[0];
    assert.ok(asset, 'index.html links a hashed script');
    const script = await fetch(`${gw.url}${asset}`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    // Client routes answer the app; a missing asset is a 404, never HTML.
    assert.equal((await fetch(`${gw.url}/console/requests/req_x`)).status, 200);
    assert.equal((await fetch(`${gw.url}/console/assets/nope.js`)).status, 404);
    assert.equal((await fetch(`${gw.url}/console/assets/..%2f..%2fpackage.json`)).status, 404);
  });

  test('refuses a wrong key, then signs in with the admin key', async () => {
    await page.goto(`${gw.url}/console`);
    await heading('Sign in').waitFor();
    await page.getByLabel('Key', { exact: true }).fill('sk-not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await shot('01-sign-in-error');

    await page.getByLabel('Key', { exact: true }).fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview').waitFor();
    await page.getByText('No requests yet.').waitFor();
    await shot('02-overview-empty');
  });

  test('creates a key in the UI, shows its secret once, and the key works with the openai and Anthropic clients', async () => {
    await go('Keys');
    await heading('API keys').waitFor();
    await page.getByRole('button', { name: 'Create key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    await dialog.getByLabel('Name').fill('e2e-draft');
    await dialog.getByLabel('Budget (USD)').fill('5');
    await dialog.getByLabel('Requests per minute').fill('600');
    await shot('03-keys-create');
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const secretDialog = page.getByRole('dialog', { name: 'Your new API key' });
    await secretDialog.waitFor();
    secret = await secretDialog.getByLabel('Secret key').inputValue();
    assert.match(secret, /^sk-/);
    await secretDialog.getByRole('button', { name: 'Copy key' }).waitFor();
    await shot('04-keys-secret');
    await secretDialog.getByRole('button', { name: 'I have copied it' }).click();

    assert.equal(await page.getByText(secret).count(), 0, 'the secret is not shown again');

    // Rename it.
    await page.getByRole('button', { name: 'Edit e2e-draft' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit API key' });
    assert.equal(await edit.getByLabel('Budget (USD)').inputValue(), '5');
    await edit.getByLabel('Name').fill('e2e-app');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Key “e2e-app” saved.').waitFor();
    const row = page.locator('tr', { hasText: 'e2e-app' });
    await row.waitFor();
    keyId = (await row.getAttribute('data-key-id')) ?? '';
    assert.ok(keyId);

    const chat = await gw
      .client(secret)
      .chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Say hello to the console test' }],
      })
      .withResponse();
    assert.equal(chat.data.choices[0]?.message.content, DEFAULT_REPLY);
    chatRequestId = chat.response.headers.get('x-request-id') ?? '';
    const claude = new Anthropic({ baseURL: gw.url, apiKey: secret, maxRetries: 0 });
    const message = await claude.messages
      .create({ model: CLAUDE, max_tokens: 100, messages: [{ role: 'user', content: 'Hello, Claude' }] })
      .withResponse();
    assert.deepEqual(message.data.content, [{ type: 'text', text: ANTHROPIC_REPLY }]);
    messagesRequestId = message.response.headers.get('request-id') ?? '';
    assert.ok(chatRequestId && messagesRequestId);
    await gw.gateway.ledger.flush();
    await page.reload();
    await page.locator('tr', { hasText: 'e2e-app' }).waitFor();
    await shot('05-keys');
  });

  test('the requests appear in the log with the API each came through, and with their detail', async () => {
    await go('Requests');
    await heading('Requests').waitFor();
    const chatRow = page.locator(`tbody tr[data-request-id="${chatRequestId}"]`);
    const messagesRow = page.locator(`tbody tr[data-request-id="${messagesRequestId}"]`);
    await chatRow.waitFor();
    await messagesRow.waitFor();
    // The API column sits between Model and Key.
    const headers = await page.locator('thead th').allTextContents();
    const door = headers.indexOf('API');
    assert.deepEqual(headers.slice(door - 1, door + 2), ['Model', 'API', 'Key']);
    const cells = async (row: Locator) => row.locator('td').allTextContents();
    const chatCells = await cells(chatRow);
    assert.equal(chatCells[door], 'Chat completions');
    assert.match(chatCells[door - 1] ?? '', /gpt-4o/);
    assert.equal(chatCells[door + 1], 'e2e-app');
    const messagesCells = await cells(messagesRow);
    assert.equal(messagesCells[door], 'Messages');
    assert.match(messagesCells[door - 1] ?? '', /claude-sonnet-4-5/);
    assert.equal(messagesCells[door + 1], 'e2e-app');
    assert.match(await text(chatRow), /ok/);

    // Filters: this key's requests only, then a status with none.
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'e2e-app' });
    await chatRow.waitFor();
    await page.getByLabel('Status').selectOption('error');
    await page.getByText('No request matches these filters.').waitFor();
    await shot('06-requests-filtered-empty');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await chatRow.waitFor();
    await shot('07-requests');

    await chatRow.getByRole('link').click();
    await heading(MODEL).waitFor();
    const stats = await text(page.locator('.stats'));
    assert.match(stats, /Cost\s*\$0\.\d+/);
    assert.match(stats, /Time to first token/);
    await page.getByText('e2e-app').waitFor();
    const request = page.getByRole('region', { name: 'Request', exact: true });
    assert.equal(await text(property(request, 'API')), 'Chat completions');
    // The one upstream attempt, read from the ledger's attempt record (HTTP status, code, ms).
    const attempt = await page
      .getByRole('region', { name: 'Attempts' })
      .locator('tbody tr')
      .locator('td')
      .allTextContents();
    assert.deepEqual(attempt.slice(0, 6), ['1', 'openai', 'gpt-4o', 'ok', '200', '—']);
    assert.match(attempt[6] ?? '', /^\d+ ms$/);
    await shot('08-request-detail');

    await page.getByRole('link', { name: '← Requests' }).click();
    await messagesRow.getByRole('link').click();
    await heading(CLAUDE).waitFor();
    assert.equal(await text(property(request, 'API')), 'Messages');
    await shot('08b-request-detail-messages');
  });

  test('the spend shows on the overview charts', async () => {
    await go('Overview');
    await heading('Overview').waitFor();
    const keyChart = page.getByRole('region', { name: 'Spend by key' });
    await keyChart.locator('canvas').waitFor();
    const label = (await keyChart.locator('canvas').getAttribute('aria-label')) ?? '';
    assert.match(label, /Spend total \$0\.0*[1-9]/, label);
    await keyChart.getByText('Show data').click();
    const spendRow = keyChart.locator('tr', { hasText: 'e2e-app' });
    assert.match(await text(spendRow), /\$0\.0*[1-9]/);
    await page.getByRole('region', { name: 'Spend per day' }).locator('canvas').waitFor();
    await shot('09-overview');
  });

  test('accounts: make the default account prepaid, top it up and see the history', async () => {
    await go('Accounts');
    await heading('Accounts').waitFor();
    await shot('10-accounts');
    await page.locator('tbody tr').first().getByRole('link').click();
    // The default account is unmetered: credit can be added only once it is switched to prepaid.
    await page.getByRole('heading', { name: 'Metering' }).waitFor();
    await page.getByRole('button', { name: 'Make it prepaid' }).click();
    await page.getByRole('heading', { name: 'Add credits' }).waitFor();
    await page.getByLabel('Amount (USD)').fill('25');
    await page.getByLabel('Note').fill('e2e top-up');
    await page.getByRole('button', { name: 'Add credits' }).click();
    await page.locator('td', { hasText: 'e2e top-up' }).waitFor();
    await shot('11-account-detail');
  });

  test('models: the catalog with prices and the enabled provider', async () => {
    await go('Models');
    await heading('Models').waitFor();
    await page.getByRole('region', { name: 'Enabled providers' }).getByRole('listitem').first().waitFor();
    assert.match(await text(page.getByRole('region', { name: 'Enabled providers' })), /openai/);
    await page.getByLabel('Search models').fill('gpt-4o');
    const row = page.locator('tr', { hasText: MODEL }).first();
    assert.match(await text(row), /\$\d+\.\d{2}/);
    // Each price says where it was read and when: the vendor's page, linked, and the day.
    const source = row.locator('td.price-source');
    assert.equal(await source.getByRole('link').getAttribute('href'), 'https://openai.com/api/pricing');
    assert.match(await text(source), /openai\.com.*2025-11-01.*builtin@2025-11-01/);
    await shot('12-models');

    // An imported price version: the page shows its source, date and version. (Then an empty version puts
    // the built-in prices back for the tests after this one.)
    const imported = await gw.call('/admin/prices', {
      method: 'POST',
      key: ADMIN_KEY,
      json: {
        tokgate_prices: 1,
        prices: { [MODEL]: { input: 2, output: 8, source: 'contract 42', date: '2026-12-01' } },
      },
    });
    assert.equal(imported.status, 201);
    await page.reload();
    await page.getByLabel('Search models').fill('gpt-4o');
    const after = page.locator('tr', { hasText: MODEL }).first().locator('td.price-source');
    await after.getByText('contract 42').waitFor();
    assert.match(await text(after), /contract 42.*2026-12-01.*import-1@/);
    const restored = await gw.call('/admin/prices', {
      method: 'POST',
      key: ADMIN_KEY,
      json: { tokgate_prices: 1, prices: {} },
    });
    assert.equal(restored.status, 201);
  });

  test('playground: a streamed answer with its usage and cost', async () => {
    await go('Playground');
    await heading('Playground').waitFor();
    await page.getByLabel('Model').selectOption(MODEL);
    await page.getByLabel('Message').fill('Hello from the playground');
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.locator('.message-assistant').last();
    await answer.locator('.answer-meta').waitFor();
    assert.equal(await text(answer.locator('.message-body')), DEFAULT_REPLY);
    assert.match(await text(answer.getByTestId('answer-cost')), /^\$0\.\d+$/);
    const streamed = fake.requests.at(-1)?.body as { stream?: boolean; stream_options?: unknown };
    assert.equal(streamed.stream, true);
    assert.deepEqual(streamed.stream_options, { include_usage: true });
    await shot('13-playground');
  });

  test('playground: a streamed answer through the Anthropic Messages API, with its usage and cost', async () => {
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByLabel('API', { exact: true }).selectOption({ label: 'Anthropic Messages' });
    await page.getByText('POST /v1/messages').waitFor();
    await page.getByLabel('Model').selectOption(CLAUDE);
    await page.getByLabel('System prompt').fill('You are terse.');
    await page.getByLabel('Temperature').fill('0.5');
    await page.getByLabel('Message').fill('Hello from the playground');
    const sent = page.waitForRequest((request) => new URL(request.url()).pathname === '/v1/messages');
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.locator('.message-assistant').last();
    await answer.locator('.answer-meta').waitFor();
    assert.equal(await text(answer.locator('.message-body')), ANTHROPIC_REPLY);

    // The Messages API's own request: its headers, max_tokens (required) by default, system at the top.
    const request = await sent;
    const headers = await request.allHeaders();
    assert.equal(headers['x-api-key'], ADMIN_KEY);
    assert.equal(headers['anthropic-version'], '2023-06-01');
    assert.equal(headers.authorization, undefined);
    const body = {
      model: CLAUDE,
      max_tokens: 1024,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Hello from the playground' }],
      temperature: 0.5,
      stream: true,
    };
    assert.deepEqual(request.postDataJSON(), body);
    // Passed through to the Anthropic upstream as sent.
    const upstream = anthropic.requests.at(-1);
    assert.deepEqual(upstream?.body, { ...body, model: 'claude-sonnet-4-5' });
    // The fake's counts, as the stream's message_start (input) and message_delta (output) reported them.
    const input = countInputTokens(upstream?.body as Record<string, unknown>);
    const output = tokenize(ANTHROPIC_REPLY).length;
    assert.equal(await text(answer.getByTestId('answer-tokens')), `${input} in · ${output} out`);
    assert.equal(await text(property(answer, 'API')), 'Anthropic Messages');

    // Anthropic's usage has no price: the playground shows what the request log recorded.
    const cost = answer.getByTestId('answer-cost');
    await cost.filter({ hasText: /^\$/ }).waitFor();
    const rows = await gw.gateway.store.listRequests({ limit: 1 });
    assert.equal(rows[0]?.door, 'messages');
    assert.equal(rows[0]?.prompt_tokens, input);
    assert.equal(rows[0]?.completion_tokens, output);
    const logged = (await (await gw.call(`/admin/requests/${rows[0]?.id}`, { key: ADMIN_KEY })).json()) as {
      cost_usd: number;
    };
    assert.ok(logged.cost_usd > 0);
    assert.equal(await text(cost), usd(logged.cost_usd));
    await shot('13b-playground-messages');

    // An error event in the stream ends the answer with the error shown.
    anthropic.faults.push({ kind: 'stream-error', afterChunks: 2 });
    await page.getByLabel('Message', { exact: true }).fill('And again');
    await page.getByRole('button', { name: 'Send' }).click();
    const failed = page.locator('.message-assistant').last();
    await failed.getByRole('alert').waitFor();
    assert.equal(await text(failed.locator('.message-body')), tokenize(ANTHROPIC_REPLY).slice(0, 2).join(''));
    assert.equal(await failed.locator('.answer-meta').count(), 0);
    await shot('13c-playground-messages-error');
  });

  test('revokes the key in the UI, after which the gateway refuses it', async () => {
    await go('Keys');
    await page.getByRole('button', { name: 'Revoke e2e-app' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API key' });
    await confirm.waitFor();
    await shot('14-keys-revoke-confirm');
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('Key “e2e-app” revoked.').waitFor();
    await page.getByLabel(/Show revoked/).check();
    await page.locator(`tr[data-key-id="${keyId}"]`, { hasText: 'revoked' }).waitFor();
    await shot('15-keys-revoked');

    await assert.rejects(
      gw
        .client(secret)
        .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
      (error: unknown) => error instanceof OpenAI.APIError && error.status === 401,
    );
  });

  test('a tenant key sees only its own key and account', async () => {
    const tenant = await gw.createKey({ name: 'tenant-app', budget_usd: 2 });
    await gw
      .client(tenant.key)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'tenant call' }] });
    await gw.gateway.ledger.flush();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in').waitFor();
    await page.getByLabel('Key', { exact: true }).fill(tenant.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview').waitFor();
    await page.getByText('Usage of the key “tenant-app”.').waitFor();
    await page.getByRole('region', { name: 'Spend per day' }).locator('canvas').waitFor();
    await shot('16-tenant-overview');

    await go('Requests');
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1, 'only the tenant key’s own request');
    await go('My key');
    await heading('My key').waitFor();
    await shot('17-tenant-key');

    // A tenant's Messages answer: its cost comes from the tenant's own request log.
    await go('Playground');
    await page.getByLabel('API', { exact: true }).selectOption({ label: 'Anthropic Messages' });
    await page.getByLabel('Model').selectOption(CLAUDE);
    await page.getByLabel('Message', { exact: true }).fill('Hello as a tenant');
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.locator('.message-assistant').last();
    await answer.getByTestId('answer-cost').filter({ hasText: /^\$/ }).waitFor();
    const [row] = await gw.gateway.store.listRequests({ limit: 1 });
    assert.equal(row?.key_id, tenant.id);
    assert.equal(row?.door, 'messages');
    const logged = (await (await gw.call(`/admin/requests/${row?.id}`, { key: ADMIN_KEY })).json()) as {
      cost_usd: number;
    };
    assert.ok(logged.cost_usd > 0);
    assert.equal(await text(answer.getByTestId('answer-cost')), usd(logged.cost_usd));

    await page.setViewportSize({ width: 390, height: 844 });
    await go('Overview');
    await heading('Overview').waitFor();
    await page.getByRole('region', { name: 'Spend per day' }).locator('canvas').waitFor();
    await shot('18-tenant-overview-mobile');
  });

  test('no script errors or content-security-policy violations on any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
