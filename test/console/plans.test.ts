// The console's money pages (issue 20) in headless Chromium against a real gateway and a fake OpenAI: a
// price plan created and edited on the Plans page, an account put on it on its page (and the accounts table
// showing it), its low-balance threshold set, its statement showing what it was charged beside what it cost
// upstream, a plan in use refused deletion, and the Plans page absent for a tenant. Screenshots go to
// test-artifacts/console/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { usd } from '../../console/src/format.js';
import { parsePrices, parseRules, pricesText, rulesText } from '../../console/src/plan-text.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ADMIN_KEY, readJson, startTestGateway, type TestGateway } from '../support/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts/console';

const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is missing (apt-get install chromium); the console browser tests are skipped`
    : false;

test('plan rules and prices read and write as lines, and a malformed line is named', () => {
  const rules = parseRules('openai/* = 0.9\n\n  anthropic/claude-* =1.2 ');
  assert.deepEqual(rules, { 'openai/*': 0.9, 'anthropic/claude-*': 1.2 });
  assert.equal(rulesText(rules as Record<string, number>), 'openai/* = 0.9\nanthropic/claude-* = 1.2');
  const prices = parsePrices('openai/gpt-4o = 2, 8, 1\nopenai/o3 = 1,2,,3');
  assert.match((prices as { error: string }).error, /openai\/o3/);
  const fine = parsePrices('openai/gpt-4o = 2, 8, 1');
  assert.deepEqual(fine, { 'openai/gpt-4o': { input: 2, output: 8, cached_input: 1 } });
  assert.equal(pricesText(fine as never), 'openai/gpt-4o = 2, 8, 1');
  assert.match((parseRules('openai/*') as { error: string }).error, /openai\/\*/);
});

describe('price plans, low-balance alerts and statements in the console', { skip, timeout: 180_000 }, () => {
  let fake: FakeOpenAI;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let accountId = '';

  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const go = (label: string) =>
    page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: label }).click();
  const admin = async (method: string, path: string, json?: unknown) =>
    readJson(await gw.call(path, { method, key: ADMIN_KEY, ...(json === undefined ? {} : { json }) }));

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fake = await startFakeOpenAI();
    gw = await startTestGateway({ OPENAI_API_KEY: 'sk-upstream', OPENAI_BASE_URL: fake.url });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    await context.route(
      (url) => url.origin !== new URL(gw.url).origin,
      (route) => route.abort(),
    );
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(message.text());
    });
    page.setDefaultTimeout(10_000);
    accountId = (await admin('POST', '/admin/accounts', { name: 'Reseller Ltd', credits_usd: 10 })).id;
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    await fake?.close();
  });

  test('creates a plan on the Plans page, refuses a malformed rule, and edits it', async () => {
    await page.goto(`${gw.url}/console`);
    await page.getByLabel('Key', { exact: true }).fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview').waitFor();
    await go('Plans');
    await heading('Price plans').waitFor();
    await page.getByText('No price plans yet').waitFor();

    await page.getByRole('button', { name: 'Create plan' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create price plan' });
    await dialog.getByLabel('Name').fill('resellers');
    await dialog.getByLabel('Multiplier').fill('2');
    await dialog.getByLabel('Rules').fill('openai/gpt-4.1*\n');
    await dialog.getByRole('button', { name: 'Create plan' }).click();
    await dialog.getByText('write a rule as openai/* = 0.9').waitFor();
    await dialog.getByLabel('Rules').fill('openai/gpt-4.1* = 1.5\nopenai/gpt-4.1-mini = 0.5');
    await dialog.getByLabel('Fixed prices').fill('openai/gpt-4o = 1, 3');
    await shot('30-plans-create');
    await dialog.getByRole('button', { name: 'Create plan' }).click();
    await page.getByText('Plan “resellers” saved.').waitFor();
    const row = page.locator('tbody tr', { hasText: 'resellers' });
    await row.getByText('openai/gpt-4.1* ×1.5').waitFor();
    await row.getByText('openai/gpt-4o $1 / $3').waitFor();

    const [plan] = (await admin('GET', '/admin/plans')).data;
    assert.equal(plan.multiplier, 2);
    assert.deepEqual(plan.multipliers, { 'openai/gpt-4.1*': 1.5, 'openai/gpt-4.1-mini': 0.5 });
    assert.deepEqual(plan.prices, { 'openai/gpt-4o': { input: 1, output: 3 } });

    await page.getByRole('button', { name: 'Edit resellers' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit price plan' });
    assert.equal(await edit.getByLabel('Fixed prices').inputValue(), 'openai/gpt-4o = 1, 3');
    await edit.getByLabel('Multiplier').fill('3');
    await edit.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText('Plan “resellers” saved.').waitFor();
    await row.getByText('×3', { exact: true }).waitFor();
    assert.equal((await admin('GET', `/admin/plans/${plan.id}`)).multiplier, 3);
    await shot('31-plans');
  });

  test('puts an account on the plan and sets its low-balance alert; the table shows the plan', async () => {
    await go('Accounts');
    await heading('Accounts').waitFor();
    const listed = page.locator('tbody tr', { hasText: 'Reseller Ltd' });
    await listed.getByText('list prices').waitFor();
    await listed.getByRole('link', { name: 'Reseller Ltd' }).click();
    await heading('Reseller Ltd').waitFor();
    await page.getByText('Its keys pay list prices.').waitFor();
    await page.getByLabel('Plan', { exact: true }).selectOption({ label: 'resellers (×3)' });
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText('Its keys pay the prices of the plan resellers.').waitFor();

    await page.getByLabel('Threshold (USD)').fill('-1');
    await page.getByRole('button', { name: 'Save threshold' }).click();
    await page.getByText('The threshold is an amount in USD of at least 0').waitFor();
    await page.getByLabel('Threshold (USD)').fill('2.5');
    await page.getByRole('button', { name: 'Save threshold' }).click();
    await page.getByText('A webhook fires when the balance falls below $2.50.').waitFor();

    const account = await admin('GET', `/admin/accounts/${accountId}`);
    assert.equal(account.low_balance_usd, 2.5);
    assert.ok(account.plan_id?.startsWith('plan_'));

    await go('Accounts');
    await page.locator('tbody tr', { hasText: 'Reseller Ltd' }).getByText('resellers').waitFor();
    await shot('32-accounts-with-plan');
  });

  test('the statement shows what the account was charged beside what it cost upstream', async () => {
    const { key } = await gw.createKey({ account_id: accountId });
    const res = await gw.call('/v1/chat/completions', {
      method: 'POST',
      key,
      json: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'charge me at the plan' }] },
    });
    assert.equal(res.status, 200);
    const cost = (await readJson(res)).usage.cost as number;
    await gw.gateway.ledger.flush();
    const statement = await admin('GET', `/admin/accounts/${accountId}/statement`);
    const [line] = statement.spend;
    assert.equal(line.cost_usd, cost);
    assert.equal(Math.round(line.upstream_cost_usd * 3e6), Math.round(cost * 1e6));

    await page.locator('tbody tr', { hasText: 'Reseller Ltd' }).getByRole('link').click();
    const table = page.getByRole('table', { name: 'Spend per day and model' });
    const spend = table.locator('tbody tr', { hasText: 'openai/gpt-4o-mini' });
    await spend.waitFor();
    const cells = await spend.locator('td').allTextContents();
    assert.deepEqual(cells.slice(2), ['1', usd(line.cost_usd), usd(line.upstream_cost_usd)]);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    assert.match((await download).suggestedFilename(), /^statement-acct_.*\.csv$/);
    await shot('33-account-statement');
  });

  test('a plan in use cannot be deleted: the page says why', async () => {
    await go('Plans');
    await page.getByRole('button', { name: 'Delete resellers' }).click();
    await page.getByText(/account\(s\) are on the price plan 'resellers'/).waitFor();
    assert.equal((await admin('GET', '/admin/plans')).data.length, 1);
  });

  test('a tenant has no Plans page', async () => {
    const { key } = await gw.createKey({ account_id: accountId });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview').waitFor();
    assert.equal(
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Plans' }).count(),
      0,
    );
    // Its own account's statement: what it paid, without the upstream cost.
    await go('Account');
    await heading('Account').waitFor();
    const table = page.getByRole('table', { name: 'Spend per day and model' });
    await table.locator('tbody tr', { hasText: 'openai/gpt-4o-mini' }).waitFor();
    assert.deepEqual(await table.locator('thead th').allTextContents(), [
      'Day',
      'Model',
      'Requests',
      'Charged',
    ]);
    await shot('34-tenant-statement');
    await page.goto(`${gw.url}/console/plans`);
    await heading('Page not found').waitFor();
  });

  test('no script errors on any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
