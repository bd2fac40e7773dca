import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope, rejectionOf, uniqueTag } from './helpers/sdk.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Virtual keys end to end: the admin API over HTTP, enforcement on /v1 through the official SDK,
// and what lands in the database. Every test mints its own keys (unique aliases, users, teams).

const MODEL_ID = 'mock/keys-model';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface KeyView {
  token: string;
  key_name: string;
  key_alias: string | null;
  spend: number;
  max_budget: number | null;
  expires: string | null;
  models: string[];
  user_id: string | null;
  team_id: string | null;
  max_parallel_requests: number | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  blocked: boolean | null;
  metadata: Record<string, unknown>;
}

interface GeneratedKey extends KeyView {
  key: string;
  token_id: string;
  duration: string | null;
}

describe('virtual keys', () => {
  let mock: MockVllm;
  let db: TestDatabase;
  let app: TestProxy;

  beforeAll(async () => {
    [mock, db] = await Promise.all([startMockVllm({ model: MODEL_ID }), createTestDatabase()]);
    const params = { model: `openai/${MODEL_ID}`, api_base: mock.url };
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [
        { model_name: 'a', litellm_params: params },
        { model_name: 'b', litellm_params: params },
      ],
    });
  });
  afterAll(async () => {
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  const post = (path: string, json: unknown, key?: string) => app.fetch(path, { method: 'POST', json, key });

  async function generate(body: Record<string, unknown> = {}): Promise<GeneratedKey> {
    const res = await post('/key/generate', body);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as GeneratedKey;
  }

  async function keyInfo(key: string): Promise<KeyView> {
    const res = await app.fetch(`/key/info?key=${encodeURIComponent(key)}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { info: KeyView }).info;
  }

  const chat = (key: string, model = 'a') => app.client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 2 });

  /** The SDK's error for a call that must fail (fails the test when it succeeds). */
  async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    const err = await rejectionOf(call);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    return err as InstanceType<typeof OpenAI.APIError>;
  }

  async function expectWorks(key: string, model = 'a'): Promise<void> {
    const answer = await chat(key, model);
    expect(answer.choices[0].message.content).toMatch(/tok/);
  }

  async function expectRefused(key: string, status: number, message: RegExp, model = 'a'): Promise<void> {
    const err = await apiError(chat(key, model));
    expect(err.status).toBe(status);
    expect(err.message).toMatch(message);
  }

  async function listedModels(key: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const m of app.client(key).models.list()) ids.push(m.id);
    return ids.sort();
  }

  const rowCount = async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "LiteLLM_VerificationToken"`))[0].n);

  describe('POST /key/generate', () => {
    it('answers a random sk- key once, its sha256 as token_id, the masked name and the settings; stores only the hash', async () => {
      const tag = uniqueTag('gen');
      const settings = {
        models: ['a'],
        key_alias: `alias-${tag}`,
        max_budget: 12.5,
        budget_duration: '30d',
        rpm_limit: 100,
        tpm_limit: 5000,
        max_parallel_requests: 4,
        metadata: { team: 'research', tag },
        user_id: `user-${tag}`,
        team_id: `team-${tag}`,
      };
      const k = await generate(settings);
      expect(k.key).toMatch(/^sk-[A-Za-z0-9_-]+$/);
      expect(Buffer.from(k.key.slice(3), 'base64url').length).toBeGreaterThanOrEqual(16);
      expect(k.token_id).toBe(sha256(k.key));
      expect(k.token).toBe(k.token_id);
      expect(k.key_name).toBe(`sk-...${k.key.slice(-4)}`);
      expect(k.expires).toBeNull();
      expect(k).toMatchObject(settings);
      expect(k.blocked).not.toBe(true);
      expect(Date.parse(k.budget_reset_at!)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

      const other = await generate();
      expect(other.key).not.toBe(k.key);

      const rows = await db.query<{ token: string; key_name: string; json: string }>(
        `SELECT token, key_name, row_to_json(t)::text AS json FROM "LiteLLM_VerificationToken" t WHERE token = $1`,
        [k.token_id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].key_name).toBe(k.key_name);
      expect(rows[0].json).toContain(settings.key_alias);
      // The plain key, with or without its prefix, is nowhere in the table.
      const all = await db.query<{ json: string }>(`SELECT row_to_json(t)::text AS json FROM "LiteLLM_VerificationToken" t`);
      for (const row of all) {
        expect(row.json).not.toContain(k.key);
        expect(row.json).not.toContain(k.key.slice(3));
      }
    });

    it.each([
      ['30s', 30_000],
      ['30m', 30 * 60_000],
      ['1h', 3_600_000],
      ['30d', 30 * 86_400_000],
      ['2w', 14 * 86_400_000],
    ])('duration %s sets expires = now + %i ms', async (duration, ms) => {
      const before = Date.now();
      const k = await generate({ duration });
      const after = Date.now();
      expect(k.duration).toBe(duration);
      const expires = Date.parse(k.expires!);
      expect(expires).toBeGreaterThanOrEqual(before + ms - 1000);
      expect(expires).toBeLessThanOrEqual(after + ms + 1000);
      const [row] = await db.query<{ expires: Date }>(`SELECT expires FROM "LiteLLM_VerificationToken" WHERE token = $1`, [k.token_id]);
      expect(row.expires.getTime()).toBe(expires);
    });

    it('duration 1mo is one calendar month', async () => {
      const before = new Date();
      const k = await generate({ duration: '1mo' });
      // Same day next month, or that month's last day when it is shorter (Jan 31 + 1mo = Feb 28).
      const expected = new Date(before);
      expected.setUTCDate(1);
      expected.setUTCMonth(expected.getUTCMonth() + 1);
      expected.setUTCDate(Math.min(before.getUTCDate(), new Date(Date.UTC(expected.getUTCFullYear(), expected.getUTCMonth() + 1, 0)).getUTCDate()));
      expect(Math.abs(Date.parse(k.expires!) - expected.getTime())).toBeLessThan(5000);
    });

    it('duration omitted or null never expires', async () => {
      const omitted = await generate({});
      const nulled = await generate({ duration: null });
      expect(omitted.expires).toBeNull();
      expect(nulled.expires).toBeNull();
      const rows = await db.query<{ expires: Date | null }>(`SELECT expires FROM "LiteLLM_VerificationToken" WHERE token = ANY($1)`, [
        [omitted.token_id, nulled.token_id],
      ]);
      expect(rows).toEqual([{ expires: null }, { expires: null }]);
    });

    it('accepts a custom key, which then works on /v1', async () => {
      const custom = `sk-${uniqueTag('custom')}`;
      const k = await generate({ key: custom });
      expect(k.key).toBe(custom);
      expect(k.token_id).toBe(sha256(custom));
      expect(k.key_name).toBe(`sk-...${custom.slice(-4)}`);
      await expectWorks(custom);
      const again = await post('/key/generate', { key: custom });
      expect((await expectErrorEnvelope(again, 400)).message).toMatch(/already exists/);
    });

    it('refuses a duplicate key_alias with a 400 naming it, writing nothing', async () => {
      const alias = `dup-${uniqueTag('alias')}`;
      await generate({ key_alias: alias });
      const before = await rowCount();
      const res = await post('/key/generate', { key_alias: alias, models: ['a'] });
      const err = await expectErrorEnvelope(res, 400);
      expect(err.type).toBe('invalid_request_error');
      expect(err.message).toContain(alias);
      expect(err.param).toBe('key_alias');
      expect(await rowCount()).toBe(before);
    });

    it.each<[string, Record<string, unknown>, RegExp]>([
      ['a negative max_budget', { max_budget: -1 }, /max_budget/],
      ['a bad duration', { duration: '5x' }, /duration/],
      ['models not an array', { models: 'a' }, /models/],
      ['a non-string model', { models: ['a', 5] }, /models/],
      ['a negative rpm_limit', { rpm_limit: -1 }, /rpm_limit/],
      ['a bad custom key', { key: 'not-sk' }, /key/],
      ['an unknown model name', { models: ['a', 'nope'] }, /nope/],
      ['metadata not an object', { metadata: [1] }, /metadata/],
    ])('refuses %s with a 400 in the envelope and writes nothing', async (_what, body, field) => {
      const alias = `bad-${uniqueTag('input')}`;
      const before = await rowCount();
      const res = await post('/key/generate', { key_alias: alias, ...body });
      const err = await expectErrorEnvelope(res, 400);
      expect(err.type).toBe('invalid_request_error');
      expect(err.message).toMatch(field);
      expect(await rowCount()).toBe(before);
      expect(await db.query(`SELECT 1 FROM "LiteLLM_VerificationToken" WHERE key_alias = $1`, [alias])).toEqual([]);
    });
  });

  describe('enforcement on /v1', () => {
    it('a virtual key with models: [] may use every model and lists them all', async () => {
      const k = await generate({ models: [] });
      await expectWorks(k.key, 'a');
      await expectWorks(k.key, 'b');
      expect(await listedModels(k.key)).toEqual(['a', 'b']);
    });

    it('a key scoped to models [a] is refused model b with a 401 naming the allowed models, and lists only a', async () => {
      const k = await generate({ models: ['a'] });
      await expectWorks(k.key, 'a');
      const err = await apiError(chat(k.key, 'b'));
      expect(err.status).toBe(401);
      expect(err.message).toContain('["a"]');
      expect(err.message).toMatch(/Tried to access b/);
      expect(await listedModels(k.key)).toEqual(['a']);
      const one = await app.fetch('/v1/models/b', { key: k.key });
      expect(one.status).toBe(404);
    });

    it('refuses an unknown key with 401', async () => {
      await expectRefused(`sk-${uniqueTag('unknown')}`, 401, /Invalid proxy server token/);
    });

    it('refuses an expired key with 401 "Expired Key"', async () => {
      const k = await generate({ duration: '1s' });
      await expectWorks(k.key);
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(k.expires!) - Date.now()) + 200));
      await expectRefused(k.key, 401, /Expired Key/);
    });

    it('refuses a blocked key with 401; unblocking restores it', async () => {
      const k = await generate();
      await expectWorks(k.key);
      const blocked = await post('/key/block', { key: k.key });
      expect(blocked.status).toBe(200);
      expect(((await blocked.json()) as KeyView).blocked).toBe(true);
      await expectRefused(k.key, 401, /blocked/);
      const unblocked = await post('/key/unblock', { key: k.token_id });
      expect(unblocked.status).toBe(200);
      expect(((await unblocked.json()) as KeyView).blocked).toBe(false);
      await expectWorks(k.key);
    });

    it('refuses a deleted key with 401', async () => {
      const k = await generate();
      await expectWorks(k.key);
      const res = await post('/key/delete', { keys: [k.key] });
      expect(res.status).toBe(200);
      await expectRefused(k.key, 401, /Invalid proxy server token/);
    });

    it('regenerate: the old key is refused, the new one works with the same settings', async () => {
      const alias = `regen-${uniqueTag('alias')}`;
      const k = await generate({ models: ['a'], key_alias: alias, max_budget: 7, rpm_limit: 1000, metadata: { owner: 'ci' } });
      await expectWorks(k.key);
      const res = await post('/key/regenerate', { key: k.key });
      expect(res.status).toBe(200);
      const fresh = (await res.json()) as GeneratedKey;
      expect(fresh.key).toMatch(/^sk-/);
      expect(fresh.key).not.toBe(k.key);
      expect(fresh.token_id).toBe(sha256(fresh.key));
      expect(fresh.key_name).toBe(`sk-...${fresh.key.slice(-4)}`);

      await expectRefused(k.key, 401, /Invalid proxy server token/);
      await expectWorks(fresh.key, 'a');
      const err = await apiError(chat(fresh.key, 'b'));
      expect(err.status).toBe(401);
      const info = await keyInfo(fresh.key);
      expect(info).toMatchObject({ key_alias: alias, models: ['a'], max_budget: 7, rpm_limit: 1000, metadata: { owner: 'ci' } });
      expect(await db.query(`SELECT 1 FROM "LiteLLM_VerificationToken" WHERE token = $1`, [k.token_id])).toEqual([]);

      // LiteLLM's path form regenerates too.
      const byPath = await post(`/key/${encodeURIComponent(fresh.key)}/regenerate`, {});
      expect(byPath.status).toBe(200);
      const third = (await byPath.json()) as GeneratedKey;
      await expectRefused(fresh.key, 401, /Invalid proxy server token/);
      await expectWorks(third.key, 'a');
    });

    it('accepts the key as Authorization: Bearer, x-litellm-api-key and api-key', async () => {
      const k = await generate({ models: ['a'] });
      await expectWorks(k.key);
      for (const header of ['x-litellm-api-key', 'api-key']) {
        const completion = await app.fetch('/v1/chat/completions', {
          method: 'POST',
          key: null,
          headers: { [header]: k.key },
          json: { model: 'a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
        });
        expect(completion.status, header).toBe(200);
        // It is this virtual key that was recognised: its scope applies.
        const denied = await app.fetch('/v1/chat/completions', {
          method: 'POST',
          key: null,
          headers: { [header]: k.key },
          json: { model: 'b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
        });
        expect((await expectErrorEnvelope(denied, 401)).message).toContain('["a"]');
        const models = await app.fetch('/v1/models', { key: null, headers: { [header]: k.key } });
        expect(models.status, header).toBe(200);
        expect(((await models.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toEqual(['a']);
        const wrong = await app.fetch('/v1/models', { key: null, headers: { [header]: `${k.key}x` } });
        await expectErrorEnvelope(wrong, 401);
      }
    });

    it('lets x-litellm-api-key win over an Authorization header carrying another token, with or without "Bearer "', async () => {
      const k = await generate({ models: ['a'] });
      for (const value of [k.key, `Bearer ${k.key}`]) {
        const res = await app.fetch('/v1/chat/completions', {
          method: 'POST',
          key: `token-for-a-gateway-${uniqueTag('other')}`,
          headers: { 'x-litellm-api-key': value },
          json: { model: 'a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
        });
        expect(res.status, `${value.slice(0, 7)}: ${await res.clone().text()}`).toBe(200);
      }
      // The SDK's own Authorization header is overridden the same way.
      const sdk = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'not-a-proxy-key', maxRetries: 0, defaultHeaders: { 'x-litellm-api-key': k.key } });
      const answer = await sdk.chat.completions.create({ model: 'a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
      expect(answer.choices[0].message.content).toMatch(/tok/);
    });
  });

  describe('admin API and /key/info', () => {
    it('answers 403 to a virtual key on every admin route, and does nothing', async () => {
      const k = await generate();
      const victim = await generate({ models: ['a'] });
      const routes: Array<[string, string, unknown?]> = [
        ['POST', '/key/generate', {}],
        ['POST', '/key/update', { key: victim.key, models: ['b'] }],
        ['POST', '/key/delete', { keys: [victim.key] }],
        ['POST', '/key/regenerate', { key: victim.key }],
        ['POST', `/key/${victim.key}/regenerate`, {}],
        ['POST', '/key/block', { key: victim.key }],
        ['POST', '/key/unblock', { key: victim.key }],
        ['GET', '/key/list'],
      ];
      const before = await rowCount();
      for (const [method, path, json] of routes) {
        const res = await app.fetch(path, { method, json, key: k.key });
        const err = await expectErrorEnvelope(res, 403);
        expect(err.type, path).toBe('permission_error');
      }
      expect(await rowCount()).toBe(before);
      await expectWorks(victim.key, 'a');
      expect(await keyInfo(victim.key)).toMatchObject({ models: ['a'] });
    });

    it('lets a virtual key read its own /key/info, never another key', async () => {
      const k = await generate({ key_alias: `self-${uniqueTag('info')}` });
      const other = await generate();
      // As LiteLLM: `key` is what was asked for (the caller's hash when omitted); `info` has no `token`.
      for (const [query, asked] of [
        ['', k.token_id],
        [`?key=${k.key}`, k.key],
        [`?key=${k.token_id}`, k.token_id],
      ]) {
        const res = await app.fetch(`/key/info${query}`, { key: k.key });
        expect(res.status, query).toBe(200);
        const body = (await res.json()) as { key: string; info: KeyView };
        expect(body.key).toBe(asked);
        expect(body.info.key_alias).toBe(k.key_alias);
        expect(body.info).not.toHaveProperty('token');
        if (asked !== k.key) expect(JSON.stringify(body)).not.toContain(k.key);
      }
      for (const query of [`?key=${other.key}`, `?key=${other.token_id}`]) {
        const res = await app.fetch(`/key/info${query}`, { key: k.key });
        expect((await expectErrorEnvelope(res, 403)).type).toBe('permission_error');
      }
    });

    it('lets the master key read any key by plain key or hash; a missing key is 404', async () => {
      const k = await generate({ key_alias: `master-${uniqueTag('info')}`, models: ['b'] });
      const byPlain = await app.fetch(`/key/info?key=${k.key}`);
      const byHash = await app.fetch(`/key/info?key=${k.token_id}`);
      expect(byPlain.status).toBe(200);
      expect(byHash.status).toBe(200);
      const plainBody = (await byPlain.json()) as { key: string; info: KeyView };
      const hashBody = (await byHash.json()) as { key: string; info: KeyView };
      expect(plainBody.info).toEqual(hashBody.info);
      expect(plainBody.key).toBe(k.key);
      expect(hashBody.key).toBe(k.token_id);
      expect(hashBody.info).toMatchObject({ key_alias: k.key_alias, models: ['b'], key_name: k.key_name });
      expect(hashBody.info).not.toHaveProperty('token');
      expect(JSON.stringify(hashBody)).not.toContain(k.key);

      const missing = await app.fetch(`/key/info?key=sk-${uniqueTag('missing')}`);
      expect((await expectErrorEnvelope(missing, 404)).message).toMatch(/not found/i);
      const missingHash = await app.fetch(`/key/info?key=${sha256('nope')}`);
      await expectErrorEnvelope(missingHash, 404);
    });
  });

  describe('GET /key/list', () => {
    it('pages, filters by alias, user and team, and never shows a plain key', async () => {
      const team = `team-${uniqueTag('list')}`;
      const u1 = `${team}-u1`;
      const u2 = `${team}-u2`;
      const keys = [
        await generate({ team_id: team, user_id: u1, key_alias: `${team}-k1` }),
        await generate({ team_id: team, user_id: u1, key_alias: `${team}-k2` }),
        await generate({ team_id: team, user_id: u2, key_alias: `${team}-k3` }),
      ];
      const tokens = keys.map((k) => k.token_id).sort();
      const list = async (query: string) => {
        const res = await app.fetch(`/key/list?${query}`);
        expect(res.status, query).toBe(200);
        return (await res.json()) as { keys: Array<string | KeyView>; total_count: number; current_page: number; total_pages: number };
      };

      const page1 = await list(`team_id=${team}&size=2&page=1`);
      const page2 = await list(`team_id=${team}&size=2&page=2`);
      expect(page1).toMatchObject({ total_count: 3, current_page: 1, total_pages: 2 });
      expect(page2).toMatchObject({ total_count: 3, current_page: 2, total_pages: 2 });
      expect(page1.keys).toHaveLength(2);
      expect(page2.keys).toHaveLength(1);
      expect([...page1.keys, ...page2.keys].sort()).toEqual(tokens);

      const byAlias = await list(`key_alias=${team}-k2`);
      expect(byAlias).toMatchObject({ keys: [keys[1].token_id], total_count: 1 });
      const byUser = await list(`user_id=${u1}`);
      expect([...byUser.keys].sort()).toEqual([keys[0].token_id, keys[1].token_id].sort());
      const byUserAndTeam = await list(`user_id=${u2}&team_id=${team}`);
      expect(byUserAndTeam.keys).toEqual([keys[2].token_id]);
      expect((await list(`team_id=${team}-nobody`)).keys).toEqual([]);

      const full = await list(`team_id=${team}&return_full_object=true&size=10`);
      expect(full.total_count).toBe(3);
      const objects = full.keys as KeyView[];
      expect(objects.map((o) => o.token).sort()).toEqual(tokens);
      expect(objects.map((o) => o.key_alias).sort()).toEqual(keys.map((k) => k.key_alias).sort());
      for (const o of objects) expect(o).not.toHaveProperty('key');
      const text = JSON.stringify(full);
      for (const k of keys) expect(text).not.toContain(k.key);

      const bad = await app.fetch('/key/list?size=0');
      await expectErrorEnvelope(bad, 400);
    });
  });

  describe('POST /key/update', () => {
    it('changes which models a key may use, enforced on /v1 at once', { timeout: 60_000 }, async () => {
      const k = await generate({ models: ['a'] });
      await expectWorks(k.key, 'a');
      await expectRefused(k.key, 401, /Tried to access b/, 'b');
      // Many rounds: a change seen only "eventually" (when the NOTIFY echo arrives) passes most single
      // tries; each round asks right after the update answered, with the model it just took away.
      for (let i = 0; i < 100; i++) {
        const [now, then] = i % 2 === 0 ? ['b', 'a'] : ['a', 'b'];
        const res = await post('/key/update', { key: k.key, models: [now] });
        expect(res.status).toBe(200);
        expect(((await res.json()) as KeyView).models).toEqual([now]);
        await expectRefused(k.key, 401, new RegExp(`Tried to access ${then}`), then);
      }
      await expectWorks(k.key, 'a');
      const all = await post('/key/update', { key: k.token_id, models: [] });
      expect(all.status).toBe(200);
      await expectWorks(k.key, 'a');
      await expectWorks(k.key, 'b');
    });

    it('refuses an alias another key holds with a 400 naming it, changing nothing', async () => {
      const taken = `taken-${uniqueTag('alias')}`;
      await generate({ key_alias: taken });
      const k = await generate({ key_alias: `mine-${uniqueTag('alias')}`, models: ['a'] });
      const res = await post('/key/update', { key: k.key, key_alias: taken, models: ['b'] });
      const err = await expectErrorEnvelope(res, 400);
      expect(err.message).toContain(taken);
      expect(await keyInfo(k.key)).toMatchObject({ key_alias: k.key_alias, models: ['a'] });
      await expectWorks(k.key, 'a');
    });

    it('answers 404 for a missing key and 400 for bad settings, changing nothing', async () => {
      const missing = await post('/key/update', { key: `sk-${uniqueTag('missing')}`, models: ['a'] });
      expect((await expectErrorEnvelope(missing, 404)).message).toMatch(/not found/i);
      const k = await generate({ max_budget: 3, models: ['a'], metadata: { keep: true } });
      for (const body of [{ max_budget: -5 }, { models: 'a' }, { metadata: [1] }, { duration: '5x' }, { models: ['nope'] }]) {
        const bad = await post('/key/update', { key: k.key, ...body });
        await expectErrorEnvelope(bad, 400);
      }
      // null for a column that is never null, and unknown fields, change nothing (LiteLLM's exclude_none; leniency).
      for (const body of [{ models: null }, { metadata: null }, { surprise: 1 }]) {
        const res = await post('/key/update', { key: k.key, ...body });
        expect(res.status, JSON.stringify(body)).toBe(200);
      }
      expect(await keyInfo(k.key)).toMatchObject({ max_budget: 3, models: ['a'], metadata: { keep: true }, expires: null });
      await expectRefused(k.key, 401, /Tried to access b/, 'b');
    });
  });

  describe('POST /key/delete', () => {
    it('deletes by keys and key_aliases and answers deleted_keys', async () => {
      const alias = `del-${uniqueTag('alias')}`;
      const byKey = await generate();
      const byAlias = await generate({ key_alias: alias });
      const byHash = await generate();
      const res = await post('/key/delete', { keys: [byKey.key, byHash.token_id], key_aliases: [alias] });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { deleted_keys: string[] };
      expect([...body.deleted_keys].sort()).toEqual([byKey.key, byHash.token_id, alias].sort());
      for (const k of [byKey, byAlias, byHash]) await expectRefused(k.key, 401, /Invalid proxy server token/);
      expect(await db.query(`SELECT 1 FROM "LiteLLM_VerificationToken" WHERE token = ANY($1)`, [[byKey.token_id, byAlias.token_id, byHash.token_id]])).toEqual(
        [],
      );
    });

    it('deletes the keys that exist and names the others, as LiteLLM does; none existing is a 404 naming them', async () => {
      const alias = `keep-${uniqueTag('alias')}`;
      const keep = await generate({ key_alias: alias });
      await expectWorks(keep.key);
      const missingKey = `sk-${uniqueTag('missing')}`;
      const res = await post('/key/delete', { keys: [missingKey] });
      const err = await expectErrorEnvelope(res, 404);
      expect(err.message).toContain(`sk-...${missingKey.slice(-4)}`);
      expect(err.message).not.toContain(missingKey);
      const res2 = await post('/key/delete', { key_aliases: [`${alias}-missing`] });
      expect((await expectErrorEnvelope(res2, 404)).message).toContain(`${alias}-missing`);
      await expectWorks(keep.key);
      expect(await db.query(`SELECT 1 FROM "LiteLLM_VerificationToken" WHERE token = $1`, [keep.token_id])).toHaveLength(1);

      const mixed = await post('/key/delete', { keys: [keep.key, missingKey], key_aliases: [`${alias}-missing`] });
      expect(mixed.status).toBe(200);
      expect(await mixed.json()).toEqual({ deleted_keys: [keep.key], not_found_keys: [missingKey, `${alias}-missing`] });
      await expectRefused(keep.key, 401, /Invalid proxy server token/);

      const empty = await post('/key/delete', {});
      await expectErrorEnvelope(empty, 400);
    });
  });
});
