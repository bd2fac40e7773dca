import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { buildUi, type BuiltUi } from './helpers/ui.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Issue 16, item 5 in the browser: the Audit page lists admin changes with who made them and what
// changed, filters them, and reads at desktop and phone size. Screenshots land in test-results/ui/.

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../test-results/ui/', import.meta.url));
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('UI: the audit page', () => {
  let db: TestDatabase;
  let ui: BuiltUi;
  let mock: MockVllm;
  let app: TestProxy;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [ui, db, mock] = await Promise.all([buildUi(), createTestDatabase(), startMockVllm({ model: 'google/gemma-4-31b' })]);
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { UI_DIST_DIR: ui.dir },
      models: [{ model_name: 'gemma-4-31b', litellm_params: { model: 'openai/google/gemma-4-31b', api_base: mock.url } }],
    });
    // Changes made with the master key: a key created, its budget raised, blocked; another deleted.
    const post = async (path: string, json: unknown) => {
      const res = await app.fetch(path, { method: 'POST', json });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as { key: string };
    };
    const batch = await post('/key/generate', { key_alias: 'analytics-batch', models: ['gemma-4-31b'], max_budget: 5 });
    await post('/key/update', { key: batch.key, max_budget: 25, rpm_limit: 60 });
    await post('/key/block', { key: batch.key });
    const temp = await post('/key/generate', { key_alias: 'temp-demo' });
    await post('/key/delete', { keys: [temp.key] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await mock?.close();
    await db?.drop();
    ui?.remove();
  });

  async function signedIn(viewport: typeof DESKTOP): Promise<Page> {
    const context = await browser.newContext({ viewport, baseURL: app.url, deviceScaleFactor: viewport === PHONE ? 2 : 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto('/ui/audit');
    await page.getByLabel('Password').fill(MASTER_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  it('lists changes with who, what and the fields changed; a change made in the UI names the UI session; filters narrow the list', async () => {
    const page = await signedIn(DESKTOP);
    // A change made through this browser's session.
    const status = await page.evaluate(async () => {
      const res = await fetch('/key/generate', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ui-session': '1' },
        body: '{"key_alias":"from-the-ui"}',
      });
      return res.status;
    });
    expect(status).toBe(200);
    // The nav link leads here from another page.
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('link', { name: 'Audit' }).click();
    const table = page.getByRole('table', { name: 'Audit log' });
    await table.getByRole('row').nth(6).waitFor();
    const rows = table.getByRole('row');
    expect(await rows.count()).toBe(7); // header + 6 changes
    const newest = rows.nth(1);
    await expect.poll(() => newest.textContent()).toMatch(/ui:admin.*ui-session:[0-9a-f]{12}.*created.*from-the-ui/);
    const update = table.locator('tr[data-action="updated"]');
    expect(await update.textContent()).toMatch(/master key.*analytics-batch.*max_budget 5 → 25/);
    expect(await update.textContent()).toMatch(/rpm_limit null → 60/);
    expect(await table.locator('tr[data-action="deleted"]').textContent()).toMatch(/temp-demo/);
    await page.screenshot({ path: join(SHOTS, 'audit-desktop.png'), fullPage: true });

    await page.getByLabel('Filter by action').selectOption('blocked');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(1).textContent()).toMatch(/blocked.*analytics-batch.*blocked (false|null) → true/);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Changed by').fill('ui:admin');
    await page.getByLabel('Changed by').press('Enter');
    await expect.poll(() => rows.count()).toBe(2);
    expect(new URL(page.url()).searchParams.get('by')).toBe('ui:admin');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    // Picking an object shows its history only.
    await update.getByRole('button', { name: 'analytics-batch' }).click();
    await expect.poll(() => rows.count()).toBe(4); // created, updated, blocked
    expect(pageErrors).toEqual([]);
  });

  it('reads at phone size', async () => {
    const page = await signedIn(PHONE);
    await page.getByRole('table', { name: 'Audit log' }).getByRole('row').nth(1).waitFor();
    await page.screenshot({ path: join(SHOTS, 'audit-phone.png'), fullPage: true });
    expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(PHONE.width);
    expect(pageErrors).toEqual([]);
  });
});
