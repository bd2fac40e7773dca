import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { MASTER_KEY } from './proxy.js';

// Headless Chromium for the UI tests (Debian's package, driven by playwright-core).

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const SHOTS = fileURLToPath(new URL('../../test-results/ui/', import.meta.url));
export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface UiBrowser {
  browser: Browser;
  /** Script errors and CSP refusals met in any page; a test checks it is empty. */
  pageErrors: string[];
  newPage(baseURL: string, viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<UiBrowser> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    browser,
    pageErrors,
    async newPage(baseURL, viewport = DESKTOP) {
      const context = await browser.newContext({ viewport, baseURL, deviceScaleFactor: viewport === PHONE ? 2 : 1, acceptDownloads: true });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) pageErrors.push(msg.text());
      });
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** Signs in as admin with the master key on `path` (the login shows there first). */
export async function signIn(page: Page, path = '/ui/'): Promise<void> {
  await page.goto(path);
  await page.getByLabel('Password').fill(MASTER_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
}

export const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
