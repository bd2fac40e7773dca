import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope } from './helpers/sdk.js';
import { buildUi, type BuiltUi } from './helpers/ui.js';

// The web UI's session and how it meets the admin API, over plain HTTP (the browser flow is in
// ui.e2e-spec.ts). Each test logs in from an address of its own (X-Forwarded-For, trusted from
// loopback), so the per-address login limit of one test never touches another.

let ipSeq = 0;
const nextIp = () => `198.51.100.${++ipSeq}`;

describe('UI: login, session cookie, CSRF header, serving the app', () => {
  let db: TestDatabase;
  let ui: BuiltUi;
  let app: TestProxy;

  const login = (password: string, ip: string, username = 'admin', headers: Record<string, string> = {}) =>
    app.fetch('/ui/login', { method: 'POST', key: null, json: { username, password }, headers: { 'x-forwarded-for': ip, ...headers } });

  /** A logged-in session's cookie pair (`mp_ui_session=…`). */
  async function session(): Promise<string> {
    const res = await login(MASTER_KEY, nextIp());
    expect(res.status).toBe(200);
    return res.headers.getSetCookie()[0].split(';')[0];
  }

  const asUi = (path: string, cookie: string | undefined, init: RequestInit & { json?: unknown; csrf?: boolean } = {}) => {
    const { csrf = true, ...rest } = init;
    const headers: Record<string, string> = {};
    if (cookie) headers.cookie = cookie;
    if (csrf) headers['x-ui-session'] = '1';
    return app.fetch(path, { ...rest, key: null, headers });
  };

  beforeAll(async () => {
    [ui, db] = await Promise.all([buildUi(), createTestDatabase()]);
    app = await startTestProxy({ databaseUrl: db.url, env: { UI_DIST_DIR: ui.dir } });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    ui?.remove();
  });

  describe('login', () => {
    it('refuses a wrong password or username with 401 and a clear message, and sets no cookie', async () => {
      const ip = nextIp();
      for (const [user, password] of [
        ['admin', 'sk-wrong'],
        ['root', MASTER_KEY],
        ['admin', ''],
      ]) {
        const res = await login(password, ip, user);
        expect(res.headers.get('set-cookie')).toBeNull();
        const err = await expectErrorEnvelope(res, 401);
        expect(err.message).toBe('Invalid username or password.');
        expect(err.type).toBe('authentication_error');
      }
    });

    it('rejects a malformed body with 400', async () => {
      const res = await app.fetch('/ui/login', { method: 'POST', key: null, json: { username: 'admin' } });
      await expectErrorEnvelope(res, 400);
    });

    it('opens a session: an HttpOnly, SameSite=Strict cookie with a random id that is not the master key', async () => {
      const res = await login(MASTER_KEY, nextIp());
      expect(res.status).toBe(200);
      const body = (await res.json()) as { expires_at: string };
      const ttl = new Date(body.expires_at).getTime() - Date.now();
      expect(ttl).toBeGreaterThan(11 * 3600_000);
      expect(ttl).toBeLessThanOrEqual(12 * 3600_000);

      const cookies = res.headers.getSetCookie();
      expect(cookies).toHaveLength(1);
      const [pair, ...attrs] = cookies[0].split(';').map((s) => s.trim());
      const [name, value] = pair.split('=');
      expect(name).toBe('mp_ui_session');
      expect(value).toMatch(/^[\w-]{43}$/);
      expect(cookies[0]).not.toContain(MASTER_KEY);
      expect(attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=43200']));
      // Plain http here: a Secure cookie would never come back.
      expect(attrs).not.toContain('Secure');

      const other = await login(MASTER_KEY, nextIp());
      expect(other.headers.getSetCookie()[0].split(';')[0]).not.toBe(pair);
    });

    it('marks the cookie Secure when the browser came over HTTPS (a TLS-terminating proxy on loopback)', async () => {
      const res = await login(MASTER_KEY, nextIp(), 'admin', { 'x-forwarded-proto': 'https' });
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()[0]).toMatch(/; Secure$/);
    });

    it('allows 5 failures a minute per address, then answers 429 with Retry-After, even for the right password', async () => {
      const ip = nextIp();
      for (let i = 0; i < 5; i++) expect((await login('sk-guess', ip)).status).toBe(401);
      const limited = await login(MASTER_KEY, ip);
      const err = await expectErrorEnvelope(limited, 429);
      expect(err.message).toMatch(/^Too many failed login attempts\. Try again in \d+ seconds\.$/);
      expect(err.type).toBe('rate_limit_error');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(50);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers.get('set-cookie')).toBeNull();

      // Another address is not held up.
      expect((await login(MASTER_KEY, nextIp())).status).toBe(200);
    });

    it('forgets earlier failures after a success', async () => {
      const ip = nextIp();
      for (let i = 0; i < 4; i++) expect((await login('sk-typo', ip)).status).toBe(401);
      expect((await login(MASTER_KEY, ip)).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await login('sk-typo', ip)).status).toBe(401);
      expect((await login(MASTER_KEY, ip)).status).toBe(200);
    });
  });

  describe('the session on the admin API', () => {
    it('acts as the master key when the request carries the x-ui-session header', async () => {
      const cookie = await session();
      const list = await asUi('/key/list?return_full_object=true', cookie);
      expect(list.status).toBe(200);
      const created = await asUi('/key/generate', cookie, { method: 'POST', json: { key_alias: 'made-from-ui-session' } });
      expect(created.status).toBe(200);
      const { key } = (await created.json()) as { key: string };
      expect(key).toMatch(/^sk-/);
      expect((await asUi('/global/spend', cookie)).status).toBe(200);
    });

    it('is refused without the CSRF header (what a cross-site form would send)', async () => {
      const cookie = await session();
      const err = await expectErrorEnvelope(await asUi('/key/list', cookie, { csrf: false }), 401);
      expect(err.message).toMatch(/No api key passed/);
      const post = await asUi('/key/generate', cookie, { method: 'POST', csrf: false, json: { key_alias: 'csrf-attempt' } });
      await expectErrorEnvelope(post, 401);
      const keys = await app.fetch('/key/list?key_alias=csrf-attempt');
      expect(((await keys.json()) as { total_count: number }).total_count).toBe(0);
    });

    it('is refused with an unknown or missing cookie', async () => {
      await expectErrorEnvelope(await asUi('/key/list', 'mp_ui_session=not-a-session'), 401);
      await expectErrorEnvelope(await asUi('/key/list', undefined), 401);
    });

    it('does not count on the OpenAI routes, which take keys only', async () => {
      const cookie = await session();
      const res = await asUi('/v1/chat/completions', cookie, { method: 'POST', json: { model: 'any', messages: [{ role: 'user', content: 'hi' }] } });
      await expectErrorEnvelope(res, 401);
    });

    it('reports itself on /ui/session and ends at logout', async () => {
      const cookie = await session();
      expect(await (await asUi('/ui/session', cookie)).json()).toMatchObject({ authenticated: true });

      const out = await asUi('/ui/logout', cookie, { method: 'POST' });
      expect(out.status).toBe(200);
      expect(out.headers.getSetCookie()[0]).toMatch(/^mp_ui_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);

      expect(await (await asUi('/ui/session', cookie)).json()).toEqual({ authenticated: false, expires_at: null });
      await expectErrorEnvelope(await asUi('/key/list', cookie), 401);
    });
  });

  describe('serving the app', () => {
    it('redirects /ui to /ui/, keeping the query', async () => {
      for (const [from, to] of [
        ['/ui', '/ui/'],
        ['/ui?x=1', '/ui/?x=1'],
      ]) {
        const res = await app.fetch(from, { key: null, redirect: 'manual' });
        expect(res.status).toBe(301);
        expect(res.headers.get('location')).toBe(to);
      }
    });

    it('serves the shell for /ui/ and every page URL, revalidated on each load, with a strict CSP', async () => {
      for (const path of ['/ui/', '/ui/key-management', '/ui/models', '/ui/spend?from=2026-01-01', '/ui/no-such-page']) {
        const res = await app.fetch(path, { key: null });
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        const html = await res.text();
        expect(html).toContain('<div id="app"></div>');
        expect(html).toMatch(/<script type="module" src="\/ui\/assets\/main-\w+\.js"><\/script>/);
      }
    });

    it('serves hashed assets with their type, a year of caching, ETag revalidation and gzip', async () => {
      const html = await (await app.fetch('/ui/', { key: null })).text();
      const js = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)![1];
      const css = /href="(\/ui\/assets\/[^"]+\.css)"/.exec(html)![1];

      const script = await app.fetch(js, { key: null });
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(script.headers.get('content-encoding')).toBe('gzip');
      expect(await script.text()).toContain('x-ui-session');

      const style = await app.fetch(css, { key: null });
      expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');

      const etag = script.headers.get('etag')!;
      const again = await app.fetch(js, { key: null, headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);

      const shell = await app.fetch('/ui/models', { key: null });
      const revalidated = await app.fetch('/ui/spend', { key: null, headers: { 'if-none-match': shell.headers.get('etag')! } });
      expect(revalidated.status).toBe(304);
    });

    it('answers 404 for an asset that does not exist', async () => {
      await expectErrorEnvelope(await app.fetch('/ui/assets/nope.js', { key: null }), 404);
    });

    it('documents login and logout in the OpenAPI spec, not the static files', async () => {
      const spec = (await (await app.fetch('/openapi.json', { key: null })).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/ui/login', '/ui/logout', '/ui/session']));
      expect(Object.keys(spec.paths).filter((p) => p.startsWith('/ui/assets') || p === '/ui')).toEqual([]);
    });

    it('keeps its auth routes off the master key and out of the shell', async () => {
      const res = await app.fetch('/ui/session', { key: null });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ authenticated: false, expires_at: null });
    });
  });
});
