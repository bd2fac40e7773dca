import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { usd } from '../ui/src/format.js';
import { CHROMIUM, DESKTOP, hasChromium, launchBrowser, PHONE, shot, signIn, type UiBrowser } from './helpers/browser.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { closedPort } from './helpers/sdk.js';
import { generateKey, type GeneratedKey } from './helpers/spend.js';
import { buildUi, type BuiltUi, seedRollup } from './helpers/ui.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Issue 16 as an operator meets it in headless Chromium: edit a key's budget on its page and see the
// API answer it, see dead and cooling backends on the Models page, edit a database model, filter the
// Spend page by a key and see its totals change, export the CSV and read it back. Screenshots of every
// page at desktop and phone size land in test-results/ui/console-*.png.

const GEMMA = 'google/gemma-4-31b';
const PRICES = { input_cost_per_token: 0.00002, output_cost_per_token: 0.00006 };

if (!hasChromium) console.warn(`test/ui-console.e2e-spec.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

/** RFC 4180 rows (quoted cells with "" escapes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r\n/).filter(Boolean)) {
    const cells = [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) => m[1].replace(/^"|"$/g, '').replace(/""/g, '"'));
    rows.push(cells);
  }
  return rows;
}

describe.skipIf(!hasChromium)('operator console in headless Chromium', () => {
  let db: TestDatabase;
  let ui: BuiltUi;
  let gemma: MockVllm;
  let duoA: MockVllm;
  let duoB: MockVllm;
  let other: MockVllm;
  let app: TestProxy;
  let chrome: UiBrowser;
  let keyA: GeneratedKey;
  let keyB: GeneratedKey;
  const newPage = (viewport = DESKTOP, on = app) => chrome.newPage(on.url, viewport);
  const chat = (key: string, model = 'gemma-4-31b') =>
    app.client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
  const stat = (page: Page, label: string) =>
    page.locator('.stat', { has: page.locator('.stat-label', { hasText: new RegExp(`^${label}$`) }) }).locator('.stat-value');
  const keyInfo = async (token: string) => ((await (await app.fetch(`/key/info?key=${token}`)).json()) as { info: Record<string, unknown> }).info;

  beforeAll(async () => {
    const dead = await closedPort();
    [ui, db, gemma, duoA, duoB, other] = await Promise.all([
      buildUi(),
      createTestDatabase(),
      ...[1, 2, 3, 4].map(() => startMockVllm({ model: GEMMA })),
    ] as const);
    const dep = (name: string, base: string) => ({ model_name: name, litellm_params: { model: `openai/${GEMMA}`, api_base: base }, model_info: PRICES });
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { STORE_MODEL_IN_DB: 'True', UI_DIST_DIR: ui.dir },
      models: [dep('gemma-4-31b', gemma.url), dep('duo-8b', duoA.url), dep('duo-8b', duoB.url), dep('broken-7b', `http://127.0.0.1:${dead}/v1`)],
      settings: { router_settings: { cooldown_time: 60 }, litellm_settings: { num_retries: 0 } },
    });
    keyA = await generateKey(app, { key_alias: 'console-research', team_id: 'team-research', max_budget: 40, budget_duration: '30d', models: ['gemma-4-31b'] });
    keyB = await generateKey(app, { key_alias: 'console-batch', team_id: 'team-batch' });
    // Three weeks of earlier traffic for the charts, then real requests through the SDK.
    await db.query(
      `INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens, "startTime", "endTime",
         "completionStartTime", request_duration_ms, model, model_group, team_id, status, metadata)
       SELECT 'hist-' || k.key_alias || '-' || d || '-' || n, 'acompletion', k.token, 0.002 * (1 + d % 5) * (1 + n), 300 + 5 * n, 100 + d, 400 + 5 * n + d,
         now() - make_interval(days => d, hours => n), now() - make_interval(days => d, hours => n) + make_interval(secs => 0.4 + 0.05 * (d % 9)),
         now() - make_interval(days => d, hours => n) + make_interval(secs => 0.1 + 0.01 * n), 400 + 50 * (d % 9), '${GEMMA}', 'gemma-4-31b', k.team_id,
         CASE WHEN (d + n) % 9 = 0 THEN 'failure' ELSE 'success' END,
         CASE WHEN (d + n) % 9 = 0 THEN jsonb_build_object('status_code', CASE WHEN n % 2 = 0 THEN 502 ELSE 503 END, 'error_type', CASE WHEN n % 2 = 0 THEN 'upstream_error' ELSE 'service_unavailable' END) ELSE '{}'::jsonb END
       FROM "LiteLLM_VerificationToken" k, generate_series(1, 21) d, generate_series(0, CASE WHEN k.key_alias = 'console-batch' THEN 5 ELSE 2 END) n`,
    );
    await seedRollup(db);
    await db.query(`UPDATE "LiteLLM_VerificationToken" k SET spend = (SELECT sum(spend) FROM "LiteLLM_SpendLogs" s WHERE s.api_key = k.token)`);
    for (let i = 0; i < 3; i++) await chat(keyA.key);
    await chat(keyB.key);
    chrome = await launchBrowser();
  }, 120_000);
  afterEach(() => {
    expect(chrome.pageErrors.splice(0), 'errors thrown in the page').toEqual([]);
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.close();
    await Promise.all([gemma, duoA, duoB, other].map((m) => m?.close()));
    await db?.drop();
    ui?.remove();
  });

  it("edits a key's budget and metadata on its own page; /key/info and the database answer the new values", async () => {
    const page = await newPage();
    await signIn(page, '/ui/key-management');
    await page.getByRole('link', { name: 'console-research' }).click();
    await page.waitForURL(`**/ui/key-management/${keyA.token}`);
    await page.getByRole('heading', { name: /console-research/ }).waitFor();
    await page.getByRole('table', { name: 'Spend logs' }).locator('tbody tr').first().waitFor();
    const resetBefore = (await keyInfo(keyA.token)).budget_reset_at;

    await page.getByRole('button', { name: 'Edit settings' }).click();
    const form = page.getByRole('dialog', { name: 'Edit key console-research' });
    expect(await form.getByLabel('Max budget (USD)').inputValue()).toBe('40');
    await form.getByLabel('Max budget (USD)').fill('12.5');
    await form.getByLabel('Requests per minute').fill('90');
    await form.getByLabel('Metadata (JSON)').fill('{bad json');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByText(/^Not valid JSON/).waitFor();
    await form.getByLabel('Metadata (JSON)').fill('{"owner": "research"}');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });

    const facts = page.getByRole('definition').filter({ hasText: '$12.50' });
    await facts.first().waitFor();
    const info = await keyInfo(keyA.token);
    expect(info).toMatchObject({ max_budget: 12.5, rpm_limit: 90, metadata: { owner: 'research' }, budget_duration: '30d' });
    // Only what changed was sent: the budget period (and its reset date) stay.
    expect(info.budget_reset_at).toBe(resetBefore);
    const [row] = await db.query<{ max_budget: number }>(`SELECT max_budget FROM "LiteLLM_VerificationToken" WHERE token = $1`, [keyA.token]);
    expect(row.max_budget).toBe(12.5);
    // A deep link reloads into the same page.
    await page.reload();
    await page.getByText('90 rpm').waitFor();
    await shot(page, 'console-key-detail');
  }, 60_000);

  it('shows an over-budget key as "Over budget" (not Active) and finds keys by part of the alias', async () => {
    const res = await app.fetch('/key/update', { method: 'POST', json: { key: keyB.token, max_budget: 0.01 } });
    expect(res.status).toBe(200);
    const page = await newPage();
    await signIn(page, '/ui/key-management');
    const row = page.locator('tr[data-key="console-batch"]');
    await row.waitFor();
    expect(await row.locator('td[data-label="Status"]').textContent()).toBe('Over budget');
    expect(await row.locator('[data-last-used]').textContent()).toMatch(/ago|now/);
    await page.getByLabel('Search by key alias').fill('BATCH');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await shot(page, 'console-keys-search');
  }, 60_000);

  it('marks a dead backend Unreachable and a failing one Cooling down on the Models page, with vLLM load where reported', async () => {
    gemma.setReportedLoad({ waiting: 12, running: 3, kvCacheUsage: 0.42 });
    duoA.setFault('429', 1);
    duoB.setFault('429', 1);
    await chat(MASTER_KEY, 'duo-8b').catch(() => undefined);
    const page = await newPage();
    await signIn(page, '/ui/models');
    const broken = page.locator('tr[data-model="broken-7b"] td[data-label="Health"]');
    await expect.poll(() => broken.textContent()).toContain('Unreachable');
    expect(await broken.textContent()).toContain('ECONNREFUSED');
    expect(await page.locator('tr[data-model="gemma-4-31b"] td[data-label="Health"]').textContent()).toContain('Healthy');
    const duo = page.locator('tr[data-model="duo-8b"] td[data-label="Health"]');
    await expect.poll(async () => (await duo.allTextContents()).join(' ')).toMatch(/Cooling down\s*until \d\d:\d\d:\d\d/);
    // Read from the mock's vLLM /metrics about every second; the page refreshes every 10 s.
    await expect
      .poll(async () => {
        await page.reload();
        return page.locator('tr[data-model="gemma-4-31b"] td[data-label="Load"]').textContent();
      })
      .toBe('12 waiting · 3 running · KV 42%');
    expect(await page.locator('tr[data-model="broken-7b"] td[data-label="Load"]').textContent()).toBe('not reported');
    await shot(page, 'console-models-health');
  }, 60_000);

  it('edits a database model; /model/info answers the new price and requests go to the new backend', async () => {
    const added = await app.fetch('/model/new', {
      method: 'POST',
      json: { model_name: 'db-edit-me', litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url }, model_info: { output_cost_per_token: 0.000001 } },
    });
    expect(added.status).toBe(200);
    const page = await newPage();
    await signIn(page, '/ui/models');
    const row = page.locator('tr[data-model="db-edit-me"]');
    await row.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('dialog', { name: 'Edit model db-edit-me' });
    expect(await form.getByLabel('Output price (USD / 1M tokens)').inputValue()).toBe('1');
    await form.getByLabel('API base').fill(other.url);
    await form.getByLabel('Output price (USD / 1M tokens)').fill('3');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    await expect.poll(() => row.textContent()).toContain('$3.00');
    const info = (await (await app.fetch('/model/info')).json()) as {
      data: Array<{ model_name: string; litellm_params: { api_base: string }; model_info: Record<string, number> }>;
    };
    const m = info.data.find((d) => d.model_name === 'db-edit-me')!;
    expect(m.litellm_params.api_base).toBe(other.url);
    expect(m.model_info.output_cost_per_token).toBeCloseTo(0.000003, 12);
    other.reset();
    await chat(MASTER_KEY, 'db-edit-me');
    expect(other.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  }, 60_000);

  it('offers "+ Add model" disabled, with the reason, when STORE_MODEL_IN_DB is off', async () => {
    const plain = await startTestProxy({ databaseUrl: db.url, env: { UI_DIST_DIR: ui.dir }, models: [] });
    try {
      const page = await newPage(DESKTOP, plain);
      await signIn(page, '/ui/models');
      await page.getByText('STORE_MODEL_IN_DB=True').waitFor();
      expect(await page.getByRole('button', { name: '+ Add model' }).isDisabled()).toBe(true);
      await shot(page, 'console-models-store-off');
    } finally {
      await plain.close();
    }
  }, 60_000);

  it('filters the whole Spend page by a key (totals change) and exports what it shows as CSV', async () => {
    const page = await newPage();
    await signIn(page, '/ui/spend');
    const spend = stat(page, 'Spend');
    await expect.poll(() => spend.textContent()).not.toBe('…');
    const [all] = await db.query<{ spend: number; n: number }>(
      `SELECT sum(spend)::float8 AS spend, count(*)::int AS n FROM "LiteLLM_SpendLogs" WHERE "startTime" >= date_trunc('day', now() - interval '29 days')`,
    );
    expect(await spend.textContent()).toBe(usd(all.spend));
    await page.locator('.u-over').first().waitFor();
    await page.getByRole('table', { name: 'Errors' }).getByText('502').first().waitFor();
    await shot(page, 'console-spend');

    await page.getByLabel('Filter by key').selectOption({ label: 'console-research' });
    await expect.poll(() => new URL(page.url()).searchParams.get('key')).toBe(keyA.token);
    const [mine] = await db.query<{ spend: number; n: number }>(
      `SELECT sum(spend)::float8 AS spend, count(*)::int AS n FROM "LiteLLM_SpendLogs" WHERE api_key = $1 AND "startTime" >= date_trunc('day', now() - interval '29 days')`,
      [keyA.token],
    );
    await expect.poll(() => spend.textContent()).toBe(usd(mine.spend));
    expect(await stat(page, 'Requests').textContent()).toBe(String(mine.n));
    const keys = await page.getByRole('table', { name: 'Spend logs' }).locator('tbody tr td:nth-child(2)').allTextContents();
    expect(new Set(keys)).toEqual(new Set(['console-research']));

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const rows = parseCsv(readFileSync((await download.path())!, 'utf8'));
    expect(rows[0]).toEqual(['day_utc', 'group', 'spend', 'requests', 'failed_requests', 'prompt_tokens', 'completion_tokens', 'total_tokens']);
    const body = rows.slice(1);
    expect(body.reduce((n, r) => n + Number(r[3]), 0)).toBe(mine.n);
    expect(Math.abs(body.reduce((n, r) => n + Number(r[2]), 0) - mine.spend)).toBeLessThan(1e-9);

    // Hourly, one series per model: the CSV says so too.
    await page.getByRole('button', { name: 'Today' }).click();
    await page.getByLabel('Series per').selectOption('model');
    await expect.poll(() => new URL(page.url()).searchParams.get('split')).toBe('model');
    const [hourly] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const hrows = parseCsv(readFileSync((await hourly.path())!, 'utf8'));
    expect(hrows[0][0]).toBe('hour_utc');
    expect(new Set(hrows.slice(1).map((r) => r[1]))).toEqual(new Set(['gemma-4-31b']));
    await shot(page, 'console-spend-hourly');
  }, 90_000);

  it('auto-refresh picks up a request made after the page loaded', async () => {
    const page = await newPage();
    await page.clock.install();
    await signIn(page, `/ui/spend?key=${keyA.token}`);
    const requests = stat(page, 'Requests');
    await expect.poll(() => requests.textContent()).toMatch(/^\d+$/);
    const before = Number(await requests.textContent());
    await page.getByLabel('Auto-refresh (15 s)').check();
    await chat(keyA.key);
    await page.clock.runFor(16_000);
    await expect.poll(() => requests.textContent()).toBe(String(before + 1));
  }, 60_000);

  it('names a deleted key in spend by its alias and masked key', async () => {
    const res = await app.fetch('/key/delete', { method: 'POST', json: { keys: [keyB.token] } });
    expect(res.status).toBe(200);
    const page = await newPage();
    await signIn(page, '/ui/spend');
    const top = page.getByRole('table', { name: 'Top keys' });
    await expect.poll(() => top.textContent()).toContain(`deleted key console-batch · sk-...${keyB.key.slice(-4)}`);
  }, 60_000);

  it('every page at desktop and phone size (screenshots), nothing wider than a phone but tables', async () => {
    for (const [viewport, size] of [
      [DESKTOP, 'desktop'],
      [PHONE, 'phone'],
    ] as const) {
      const page = await newPage(viewport);
      await signIn(page, '/ui/key-management');
      for (const [path, name] of [
        ['/ui/key-management', 'keys'],
        [`/ui/key-management/${keyA.token}`, 'key-detail'],
        ['/ui/models', 'models'],
        ['/ui/spend', 'spend'],
      ]) {
        await page.goto(path);
        await page.locator('table').first().waitFor();
        await page.waitForLoadState('networkidle');
        if (viewport === PHONE) expect(Number(await page.evaluate('document.documentElement.scrollWidth')), name).toBeLessThanOrEqual(PHONE.width);
        await shot(page, `console-${size}-${name}`);
      }
    }
    const dark = await newPage();
    await dark.emulateMedia({ colorScheme: 'dark' });
    await signIn(dark, '/ui/spend');
    await dark.locator('.u-over').first().waitFor();
    await dark.waitForLoadState('networkidle');
    await shot(dark, 'console-dark-spend');
  }, 120_000);
});
