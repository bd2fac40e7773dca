import { Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCookie } from '../src/auth/ui-session.service.js';
import { LoginThrottle } from '../src/ui/login-throttle.js';
import { UiAssetsService } from '../src/ui/ui-assets.service.js';

// The UI's server-side pieces on their own; over HTTP in ui-auth.e2e-spec.ts, in a browser in ui.e2e-spec.ts.

// UiSessionService itself needs its database table: see ui-auth.e2e-spec.ts.
describe('readCookie', () => {
  it('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; mp_ui_session=abc; b=2', 'mp_ui_session')).toBe('abc');
    expect(readCookie('xmp_ui_session=abc', 'mp_ui_session')).toBeUndefined();
    expect(readCookie(undefined, 'mp_ui_session')).toBeUndefined();
  });
});

describe('LoginThrottle', () => {
  it('allows `limit` failures in the window, then says how long to wait', () => {
    const throttle = new LoginThrottle(5, 60_000);
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) {
      expect(throttle.retryAfter('1.2.3.4', t0 + i * 1000)).toBe(0);
      throttle.fail('1.2.3.4', t0 + i * 1000);
    }
    expect(throttle.retryAfter('1.2.3.4', t0 + 5000)).toBe(55);
    expect(throttle.retryAfter('5.6.7.8', t0 + 5000)).toBe(0);
    // The oldest failure leaves the window: one more try.
    expect(throttle.retryAfter('1.2.3.4', t0 + 60_001)).toBe(0);
  });

  it('forgets an address after a success', () => {
    const throttle = new LoginThrottle(2, 60_000);
    throttle.fail('ip');
    throttle.fail('ip');
    expect(throttle.retryAfter('ip')).toBeGreaterThan(0);
    throttle.succeed('ip');
    expect(throttle.retryAfter('ip')).toBe(0);
  });

  it('stays bounded under failures from many addresses', () => {
    const throttle = new LoginThrottle(5, 60_000, 100);
    for (let i = 0; i < 1000; i++) throttle.fail(`10.0.${i >> 8}.${i & 255}`);
    expect((throttle as unknown as { failures: Map<string, number[]> }).failures.size).toBeLessThanOrEqual(100);
  });
});

describe('UiAssetsService', () => {
  it('reads the built UI into memory: types, ETags, gzip when it pays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-ui-assets-'));
    try {
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
      writeFileSync(join(dir, 'assets', 'main-ABC.js'), 'console.log("x");'.repeat(200));
      writeFileSync(join(dir, 'assets', 'main-ABC.css'), 'b{}');
      const ui = new UiAssetsService({ UI_DIST_DIR: dir });
      expect(ui.shell?.type).toBe('text/html; charset=utf-8');
      const js = ui.asset('main-ABC.js')!;
      expect(js.type).toBe('text/javascript; charset=utf-8');
      expect(js.etag).toMatch(/^"[\w-]{27}"$/);
      expect(js.gzip!.length).toBeLessThan(js.body.length / 10);
      // Too small to gain from gzip: sent as is.
      expect(ui.asset('main-ABC.css')!.gzip).toBeUndefined();
      expect(ui.asset('missing.js')).toBeUndefined();
      expect(ui.asset('../index.html')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so (and serves nothing) when the UI was not built', () => {
    const warnings: string[] = [];
    Logger.overrideLogger({ log() {}, error() {}, warn: (m: string) => warnings.push(m) });
    try {
      const ui = new UiAssetsService({ UI_DIST_DIR: join(tmpdir(), 'mp-ui-never-built') });
      expect(ui.shell).toBeUndefined();
      expect(warnings.join()).toMatch(/admin UI is not built .*run `npm run build`/);
    } finally {
      Logger.overrideLogger(['error', 'warn']);
    }
  });
});
