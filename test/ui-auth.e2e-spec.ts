import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_SESSION_TTL_MS, UiSessionService } from '../src/auth/ui-session.service.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope, waitFor } from './helpers/sdk.js';
import { buildUi, type BuiltUi } from './helpers/ui.js';

// The web UI's session and how it meets the admin API, over plain HTTP (the browser flow is in
// ui.e2e-spec.ts). Each test logs in from an address of its own (X-Forwarded-For, trusted from
// loopback), so the per-address login limit of one test never touches another. Sessions live in the
// database, shared by every instance (several processes on one port: workers.e2e-spec.ts).

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

  describe('sessions in the database', () => {
    const withCookie = (id: string, csrf = true) => ({ cookie: `theme=dark; mp_ui_session=${id}; other=1`, ...(csrf ? { 'x-ui-session': '1' } : {}) });
    const service = () => app.proxy.app.get(UiSessionService);
    const cookieId = (cookie: string) => cookie.slice('mp_ui_session='.length);
    const keyed = (id: string) => createHmac('sha256', MASTER_KEY).update(id).digest('hex');

    it('keeps only a hash of the session id (HMAC-SHA256 under the master key), with its expiry', async () => {
      const id = cookieId(await session());
      const rows = await db.query<{ session_hash: string; expires_at: Date; created_at: Date }>(
        `SELECT "session_hash", "expires_at", "created_at" FROM "model_proxy_ui_sessions" WHERE "session_hash" = $1`,
        [keyed(id)],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].expires_at.getTime() - rows[0].created_at.getTime()).toBeGreaterThan(UI_SESSION_TTL_MS - 60_000);
      const stored = await db.query<{ row: string }>(`SELECT t::text AS "row" FROM "model_proxy_ui_sessions" t`);
      expect(stored.map((r) => r.row).join('\n')).not.toContain(id);
    });

    it('finds a live session by its cookie, and only with the CSRF header authorizes', async () => {
      const sessions = service();
      const s = await sessions.create();
      expect(await sessions.fromCookie(withCookie(s.id))).toEqual(s);
      expect(await sessions.authorizes(withCookie(s.id))).toBe(true);
      expect(await sessions.authorizes(withCookie(s.id, false))).toBe(false);
      expect(await sessions.authorizes({ ...withCookie(s.id, false), 'x-ui-session': '0' })).toBe(false);
      expect(await sessions.authorizes(withCookie('forged'))).toBe(false);
    });

    it('ends sessions at expiry and at destroy', async () => {
      const sessions = service();
      const t0 = Date.now();
      const s = await sessions.create(t0);
      expect(await sessions.fromCookie(withCookie(s.id), t0 + UI_SESSION_TTL_MS - 1)).toBeDefined();
      expect(await sessions.fromCookie(withCookie(s.id), t0 + UI_SESSION_TTL_MS)).toBeUndefined();
      const other = await sessions.create();
      expect(await sessions.fromCookie(withCookie(other.id))).toBeDefined();
      await sessions.destroy(other.id);
      expect(await sessions.fromCookie(withCookie(other.id))).toBeUndefined();
    });

    it('deletes expired rows at the next login', async () => {
      const expired = 'e'.repeat(64);
      await db.query(`INSERT INTO "model_proxy_ui_sessions" ("session_hash", "expires_at") VALUES ($1, now() - interval '1 minute')`, [expired]);
      await session();
      expect(await db.query(`SELECT 1 FROM "model_proxy_ui_sessions" WHERE "session_hash" = $1`, [expired])).toEqual([]);
    });

    it('is accepted by another instance on the same database, and logout ends it there at once', async () => {
      const other = await startTestProxy({ databaseUrl: db.url, env: { UI_DIST_DIR: ui.dir } });
      try {
        const cookie = await session();
        const onOther = () => other.fetch('/key/list', { key: null, headers: { cookie, 'x-ui-session': '1' } });
        expect((await onOther()).status).toBe(200);
        expect(await (await other.fetch('/ui/session', { key: null, headers: { cookie } })).json()).toMatchObject({ authenticated: true });

        // The other instance now holds the session in its cache (5 s); the NOTIFY must end it sooner.
        const t0 = Date.now();
        expect((await asUi('/ui/logout', cookie, { method: 'POST' })).status).toBe(200);
        await waitFor(async () => (await onOther()).status === 401, 2_000);
        expect(Date.now() - t0).toBeLessThan(2_000);
      } finally {
        await other.close();
      }
    });

    it('ends every session when the master key is replaced', async () => {
      const cookie = await session();
      const rotated = await startTestProxy({ databaseUrl: db.url, env: { UI_DIST_DIR: ui.dir, LITELLM_MASTER_KEY: 'sk-fc-rotated-master-key-0123456789' } });
      try {
        expect((await rotated.fetch('/key/list', { key: null, headers: { cookie, 'x-ui-session': '1' } })).status).toBe(401);
        expect(await (await rotated.fetch('/ui/session', { key: null, headers: { cookie } })).json()).toEqual({ authenticated: false, expires_at: null });
      } finally {
        await rotated.close();
      }
      // The old key's instance still knows it: the row is not what changed.
      expect((await asUi('/key/list', cookie)).status).toBe(200);
    });

    // Last: it evicts every session the tests above opened.
    it('keeps at most 1000 sessions, dropping the oldest', async () => {
      const sessions = service();
      const first = await sessions.create();
      const second = await sessions.create();
      for (let i = 0; i < 998; i++) await sessions.create();
      await sessions.create();
      expect(await sessions.fromCookie(withCookie(first.id))).toBeUndefined();
      expect(await sessions.fromCookie(withCookie(second.id))).toBeDefined();
      expect(await db.query(`SELECT 1 FROM "model_proxy_ui_sessions"`)).toHaveLength(1000);
    }, 60_000);
  });
});
