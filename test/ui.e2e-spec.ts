import type OpenAI from 'openai';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { usd } from '../ui/src/format.js';
import { CHROMIUM, DESKTOP, hasChromium, launchBrowser, PHONE, shot, signIn, type UiBrowser } from './helpers/browser.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { rejectionOf } from './helpers/sdk.js';
import { buildUi, type BuiltUi, seedRollup } from './helpers/ui.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Issue 8 as an operator meets it: the admin UI in headless Chromium (Debian's package, driven by
// playwright-core), against the real app, a real PostgreSQL and the mock vLLM, with the official SDK
// as the client whose key the UI mints and revokes. Screenshots of each page land in test-results/ui/.

const GEMMA = 'google/gemma-4-31b';
const DB_MODEL = 'acme/db-model-7b';
const CONFIG_SECRET = 'sk-vllm-config-secret-0001';
const DB_SECRET = 'sk-vllm-db-secret-0002';
const PRICE_IN = 0.00002;
const PRICE_OUT = 0.00006;
if (!hasChromium) console.warn(`test/ui.e2e-spec.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const user = (content: string) => [{ role: 'user' as const, content }];

describe.skipIf(!hasChromium)('admin UI in headless Chromium', () => {
  let db: TestDatabase;
  let ui: BuiltUi;
  let gemma: MockVllm;
  let keyed: MockVllm;
  let app: TestProxy;
  let chrome: UiBrowser;
  const newPage = (viewport = DESKTOP) => chrome.newPage(app.url, viewport);

  const keyRow = (page: Page, alias: string): Locator => page.locator(`tr[data-key="${alias}"]`);
  const sdkStatus = async (call: Promise<unknown>) => ((await rejectionOf(call)) as InstanceType<typeof OpenAI.APIError>).status;
  const chat = (apiKey: string, model = 'gemma-4-31b') =>
    app.client(apiKey).chat.completions.create({ model, messages: user('hello from the ui test'), max_tokens: 4 });

  /** A few weeks of earlier traffic, so the chart and the top lists have something to show. */
  async function seedHistory(): Promise<void> {
    for (const [alias, models] of [
      ['analytics-batch', ['gemma-4-31b']],
      ['support-bot', []],
    ] as const) {
      const res = await app.fetch('/key/generate', { method: 'POST', json: { key_alias: alias, models, max_budget: 5 } });
      expect(res.status).toBe(200);
    }
    await db.query(`
      INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens,
                                       "startTime", "endTime", request_duration_ms, model, model_group, status, metadata)
      SELECT 'seed-' || k.key_alias || '-' || d || '-' || n, 'acompletion', k.token,
             (120 + 80 * sin(d) + 40 * n) * ${PRICE_OUT} , 300 + 20 * n, 120 + 10 * d, 420 + 20 * n + 10 * d,
             now() - make_interval(days => d, mins => 7 * n), now() - make_interval(days => d, mins => 7 * n) + interval '850 ms', 850,
             '${GEMMA}', CASE WHEN k.key_alias = 'support-bot' AND n % 3 = 0 THEN 'llama-3-8b' ELSE 'gemma-4-31b' END,
             CASE WHEN (d + n) % 11 = 0 THEN 'failure' ELSE 'success' END,
             CASE WHEN (d + n) % 11 = 0 THEN '{"status_code": 502, "error_type": "upstream_error"}'::jsonb ELSE '{}'::jsonb END
      FROM "LiteLLM_VerificationToken" k, generate_series(1, 20) d, generate_series(1, CASE WHEN k.key_alias = 'support-bot' THEN 6 ELSE 3 END) n
      WHERE k.key_alias IN ('analytics-batch', 'support-bot')`);
    await db.query(`UPDATE "LiteLLM_VerificationToken" k SET spend = (SELECT sum(spend) FROM "LiteLLM_SpendLogs" s WHERE s.api_key = k.token)
                    WHERE k.key_alias IN ('analytics-batch', 'support-bot')`);
    await seedRollup(db);
  }

  beforeAll(async () => {
    [ui, db, gemma, keyed] = await Promise.all([
      buildUi(),
      createTestDatabase(),
      startMockVllm({ model: GEMMA }),
      startMockVllm({ model: DB_MODEL, apiKey: DB_SECRET }),
    ]);
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { STORE_MODEL_IN_DB: 'True', UI_DIST_DIR: ui.dir },
      models: [
        {
          model_name: 'gemma-4-31b',
          litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url, api_key: CONFIG_SECRET },
          model_info: { input_cost_per_token: PRICE_IN, output_cost_per_token: PRICE_OUT },
        },
        { model_name: 'llama-3-8b', litellm_params: { model: 'openai/meta/llama-3-8b', api_base: gemma.url } },
      ],
    });
    await seedHistory();
    chrome = await launchBrowser();
  });
  afterEach(() => {
    expect(chrome.pageErrors.splice(0), 'errors thrown in the page').toEqual([]);
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.close();
    await Promise.all([gemma?.close(), keyed?.close()]);
    await db?.drop();
    ui?.remove();
  });

  it('refuses a wrong password with a message, then signs in with admin + the master key', async () => {
    const page = await newPage();
    await page.goto('/ui');
    expect(page.url()).toBe(`${app.url}/ui/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);

    await page.getByLabel('Password').fill('sk-not-the-master-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Invalid username or password.');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await shot(page, 'login-refused');

    await page.getByLabel('Password').fill(MASTER_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/ui/key-management');
    await page.getByRole('heading', { name: 'Keys', exact: true }).waitFor();
    // The session lives in an HttpOnly cookie the page's scripts cannot read.
    expect(await page.evaluate('document.cookie')).toBe('');
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'mp_ui_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.value).not.toContain(MASTER_KEY);
  }, 60_000);

  it('creates a key that works through the SDK, shows its spend, and revokes it: block, regenerate, delete', async () => {
    const page = await newPage();
    await signIn(page, '/ui/key-management');
    const alias = `ui-e2e-${Date.now().toString(36)}`;

    // Create: the plain key is shown once, with a copy button.
    await page.getByRole('button', { name: '+ Create key' }).click();
    const form = page.getByRole('dialog', { name: 'Create key' });
    await form.getByLabel('Alias').fill(alias);
    await form.getByLabel('gemma-4-31b').check();
    await form.getByLabel('Max budget (USD)').fill('-3');
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('A number of dollars, 0 or more.').waitFor();
    await form.getByLabel('Max budget (USD)').fill('2.5');
    await form.getByLabel('Expires after').selectOption('30d');
    await form.getByRole('button', { name: 'Create key' }).click();

    const reveal = page.getByRole('dialog', { name: 'Key created' });
    await reveal.waitFor();
    const key = await reveal.getByLabel('New key').inputValue();
    expect(key).toMatch(/^sk-[\w-]{20,}$/);
    await reveal.getByRole('button', { name: 'Copy' }).click();
    await reveal.getByRole('button', { name: 'Copied ✓' }).waitFor();
    await shot(page, 'keys-new-key');
    await reveal.getByRole('button', { name: 'Done' }).click();

    const row = keyRow(page, alias);
    await row.waitFor();
    expect(await row.textContent()).toContain(`sk-...${key.slice(-4)}`);
    expect(await row.textContent()).not.toContain(key);

    // The SDK uses it, within its models.
    const completion = await chat(key);
    expect(completion.choices[0].message.content).toBeTruthy();
    expect(await sdkStatus(chat(key, 'llama-3-8b'))).toBe(401);
    const { prompt_tokens, completion_tokens } = completion.usage!;
    const spent = usd(prompt_tokens * PRICE_IN + completion_tokens * PRICE_OUT);

    // Its spend shows on the Keys page (against its budget) and on the Spend page.
    await page.reload();
    await expect.poll(() => row.textContent()).toContain(`${spent} / $2.50`);
    await shot(page, 'keys');

    await page.getByRole('link', { name: 'Spend', exact: true }).click();
    await page.waitForURL('**/ui/spend');
    const topKeys = page.getByRole('table', { name: 'Top keys' });
    await expect.poll(() => topKeys.textContent()).toContain(alias);
    const logs = page.getByRole('table', { name: 'Spend logs' });
    await expect.poll(() => logs.locator('tr', { hasText: alias }).first().textContent()).toContain(spent);
    await shot(page, 'spend');

    // Filter the request log by the key (from its entry in the top list): only its rows remain, in the URL too.
    await topKeys.getByRole('button', { name: alias }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('key')).toBeTruthy();
    await expect.poll(() => logs.locator('tbody tr').count()).toBe(1);

    // Block: the SDK is refused; unblock: it works again.
    await page.goBack();
    await page.goBack();
    await page.waitForURL('**/ui/key-management');
    await row.getByRole('button', { name: 'Block', exact: true }).click();
    await row.getByText('Blocked').waitFor();
    expect(await sdkStatus(chat(key))).toBe(401);
    await row.getByRole('button', { name: 'Unblock', exact: true }).click();
    await row.getByText('Active').waitFor();
    expect((await chat(key)).choices).toHaveLength(1);

    // Regenerate: the new secret is shown once; the old one stops working.
    await row.getByRole('button', { name: 'Regenerate' }).click();
    await page.getByRole('dialog', { name: 'Regenerate key' }).getByRole('button', { name: 'Regenerate' }).click();
    const regenerated = page.getByRole('dialog', { name: 'Key regenerated' });
    const newKey = await regenerated.getByLabel('New key').inputValue();
    expect(newKey).not.toBe(key);
    await regenerated.getByRole('button', { name: 'Done' }).click();
    expect(await sdkStatus(chat(key))).toBe(401);
    expect((await chat(newKey)).choices).toHaveLength(1);

    // Delete, after confirming: gone from the list, and the SDK is refused.
    await row.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete key' });
    expect(await confirm.textContent()).toContain(alias);
    await shot(page, 'keys-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete key' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await sdkStatus(chat(newKey))).toBe(401);

    // Search by alias.
    await page.getByLabel('Search by key alias').fill('support-bot');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('alias')).toBe('support-bot');
  }, 120_000);

  it('lists config and database models with secrets masked, adds a database model the SDK can use, and deletes it', async () => {
    const page = await newPage();
    await signIn(page, '/ui/models');
    const table = page.getByRole('table', { name: 'Models' });
    const configRow = table.locator('tr[data-model="gemma-4-31b"]');
    await configRow.waitFor();
    expect(await configRow.textContent()).toContain('Config file');
    expect(await configRow.getByRole('button', { name: 'Delete' }).count()).toBe(0);

    // The form checks its fields before calling the API.
    await page.getByRole('button', { name: '+ Add model' }).click();
    const form = page.getByRole('dialog', { name: 'Add model' });
    await form.getByLabel('Alias').fill('ui added');
    await form.getByLabel('API base').fill('not a url');
    await form.getByRole('button', { name: 'Add model' }).click();
    await form.getByText('No spaces.').waitFor();
    await form.getByText('Required: the model id vLLM serves.').waitFor();
    await form.getByText(/^Not a URL/).waitFor();
    await shot(page, 'models-add-invalid');

    await form.getByLabel('Alias').fill('ui-added-model');
    await form.getByLabel('Upstream model').fill(DB_MODEL);
    await form.getByLabel('API base').fill(keyed.url);
    await form.getByLabel('API key').fill(DB_SECRET);
    await form.getByLabel('Input price (USD / 1M tokens)').fill('0.5');
    await form.getByLabel('Output price (USD / 1M tokens)').fill('1.5');
    await form.getByRole('button', { name: 'Add model' }).click();
    await form.waitFor({ state: 'detached' });

    const dbRow = table.locator('tr[data-model="ui-added-model"]');
    await dbRow.waitFor();
    const text = (await dbRow.textContent()) ?? '';
    expect(text).toContain('Database');
    expect(text).toContain(`openai/${DB_MODEL}`);
    expect(text).toContain('$0.50');
    expect(text).toContain('$1.50');
    // No backend secret reaches the page.
    const html = await page.content();
    expect(html).not.toContain(DB_SECRET);
    expect(html).not.toContain(CONFIG_SECRET);
    await shot(page, 'models');

    // The mock behind it demands the deployment key: an answer proves it was stored and is sent.
    const reply = await app.client(MASTER_KEY).chat.completions.create({ model: 'ui-added-model', messages: user('hi'), max_tokens: 2 });
    expect(reply.choices).toHaveLength(1);

    await dbRow.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete model' }).getByRole('button', { name: 'Delete model' }).click();
    await dbRow.waitFor({ state: 'detached' });
    expect(await sdkStatus(app.client(MASTER_KEY).chat.completions.create({ model: 'ui-added-model', messages: user('hi') }))).toBe(400);
  }, 90_000);

  it('serves deep links on reload, keeps them through sign-in, and follows the back button', async () => {
    const page = await newPage();
    // Signed out, a deep link shows the login and then the page it named.
    await signIn(page, '/ui/spend?from=2020-01-01');
    expect(new URL(page.url()).pathname).toBe('/ui/spend');
    await page.getByRole('heading', { name: 'Spend', exact: true }).waitFor();

    for (const [path, heading] of [
      ['/ui/key-management', 'Keys'],
      ['/ui/models', 'Models'],
      ['/ui/spend', 'Spend'],
    ]) {
      await page.goto(path);
      await page.reload();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await expect.poll(() => page.title()).toBe(`${heading} · Model Proxy`);
    }

    await page.getByRole('link', { name: 'Models', exact: true }).click();
    await page.waitForURL('**/ui/models');
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.waitForURL('**/ui/key-management');
    await page.goBack();
    await page.waitForURL('**/ui/models');
    await page.getByRole('heading', { name: 'Models', exact: true }).waitFor();
    await page.goBack();
    await page.waitForURL('**/ui/spend');
    await page.getByRole('heading', { name: 'Spend', exact: true }).waitFor();

    await page.goto('/ui/no-such-page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  }, 60_000);

  it('signs out: the session ends on the server, not only in the page', async () => {
    const page = await newPage();
    await signIn(page, '/ui/key-management');
    const [cookie] = await page.context().cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.context().cookies()).toHaveLength(0);
    const replay = await app.fetch('/key/list', { key: null, headers: { cookie: `${cookie.name}=${cookie.value}`, 'x-ui-session': '1' } });
    expect(replay.status).toBe(401);
  }, 60_000);

  it('follows the system dark mode', async () => {
    const page = await newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    await signIn(page, '/ui/key-management');
    await page.locator('tbody tr').first().waitFor();
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(12, 17, 29)');
    await shot(page, 'keys-dark');
  }, 60_000);

  it('reads on a phone', async () => {
    const page = await newPage(PHONE);
    await page.goto('/ui/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, 'phone-login');
    await signIn(page, '/ui/key-management');
    for (const [path, name] of [
      ['/ui/key-management', 'keys'],
      ['/ui/models', 'models'],
      ['/ui/spend', 'spend'],
    ]) {
      await page.goto(path);
      await page.locator('table').first().waitFor();
      await page.waitForLoadState('networkidle');
      // Nothing but tables (which scroll inside their card) may be wider than the screen.
      expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(PHONE.width);
      await shot(page, `phone-${name}`);
    }
  }, 60_000);
});
